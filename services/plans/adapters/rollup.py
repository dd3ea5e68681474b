"""The roll-up's rows as a maintained projection, and the current state it is folded from.

One document per (plan, unit), per (plan, area) and for the province total, `_id` "<plan>:unit:<code>",
"<plan>:area:<code>" and "<plan>:total", with a top-level `plan_id`: the dashboard's read is one `plan_id` equality,
which FerretDB answers from its index; a unit reporter's read is point lookups by `_id`.

The figures are kept as one JSON string (`body`), not as nested documents: nothing filters on them, and FerretDB v1
decodes nested documents in Go at about 10 ms per 6 kB row (a 21-row plan read in 280 ms; the same rows as strings
in 8 ms)."""
from __future__ import annotations

import json
from datetime import date, datetime

from mongoengine import DateTimeField, Document, StringField
from pymongo.errors import DuplicateKeyError

from shared.clock import aware
from shared.packed import unpacked
from shared.repository import EventSourcedRepository

from services.plans.adapters.documents import TaskSnapshot, UnitSnapshot
from services.plans.domain.rollup import TOTAL, RollupRow, row_from_plain, row_to_plain
from services.plans.service_layer.ports import StoredRollupRow


class RollupDocument(Document):
    key = StringField(primary_key=True)
    plan_id = StringField(required=True)
    kind = StringField(required=True)
    code = StringField(required=True)
    as_of = DateTimeField(required=True)
    rebuilt_on = StringField()
    body = StringField(required=True)
    """JSON: {"row": the row's figures, "versions": {stream id: version folded from}}."""
    meta = {"collection": "rollup_rows", "auto_create_index": False, "indexes": ["plan_id"]}


def row_key(plan_id: str, kind: str, code: str) -> str:
    return f"{plan_id}:total" if kind == TOTAL else f"{plan_id}:{kind}:{code}"


class RollupStore:
    def rows(self, plan_id: str, kinds: tuple[str, ...] | None = None) -> list[StoredRollupRow]:
        """The plan's rows (of these kinds): the index answers `plan_id`, and SQLite leaves out other kinds
        before FerretDB decodes anything."""
        query = {"plan_id": plan_id, **({"kind": {"$in": list(kinds)}} if kinds else {})}
        return [_stored(d) for d in RollupDocument._get_collection().find(query)]

    def rows_named(self, plan_id: str, names: list[tuple[str, str]]) -> list[StoredRollupRow]:
        """The rows of these (kind, code), by `_id`."""
        keys = [row_key(plan_id, kind, code) for kind, code in names]
        return [_stored(d) for d in RollupDocument._get_collection().find({"_id": {"$in": keys}})]

    def put(self, plan_id: str, rows: list[StoredRollupRow], over_newer: bool = False) -> None:
        """Each row replaces one folded from earlier state (`as_of` no later than its own), or is inserted; where
        a newer one is kept, the upsert's insert hits its `_id` and nothing changes. One write per row: FerretDB
        answers a bulk write with such a collision in a form pymongo cannot read."""
        collection = RollupDocument._get_collection()
        for s in rows:
            key = row_key(plan_id, s.row.kind, s.row.code)
            document = {"plan_id": plan_id, "kind": s.row.kind, "code": s.row.code, "as_of": s.as_of,
                        "rebuilt_on": s.rebuilt_on.isoformat() if s.rebuilt_on else None,
                        "body": json.dumps({"row": row_to_plain(s.row), "versions": s.versions},
                                           ensure_ascii=False, separators=(",", ":"))}
            try:
                collection.replace_one({"_id": key} if over_newer else {"_id": key, "as_of": {"$lte": s.as_of}},
                                       document, upsert=True)
            except DuplicateKeyError:
                pass

    def drop_except(self, plan_id: str, kept: list[RollupRow], folded_before: datetime) -> int:
        """Delete the plan's unit and area rows that are not among `kept` (nothing left in them) and were folded
        before `folded_before` (a refresh since may have found something)."""
        keep = {row_key(plan_id, row.kind, row.code) for row in kept}
        stale = [d["_id"] for d in RollupDocument._get_collection().find({"plan_id": plan_id}, {"_id": 1, "kind": 1,
                                                                                                "as_of": 1})
                 if d["_id"] not in keep and d["kind"] != TOTAL and aware(d["as_of"]) < folded_before]
        if stale:
            RollupDocument._get_collection().delete_many({"_id": {"$in": stale}})
        return len(stale)


def _stored(document: dict) -> StoredRollupRow:
    body = json.loads(document["body"])
    rebuilt_on = document.get("rebuilt_on")
    return StoredRollupRow(row=row_from_plain(body["row"]), as_of=aware(document["as_of"]),
                           versions=body["versions"], rebuilt_on=date.fromisoformat(rebuilt_on) if rebuilt_on else None)


class PlanState:
    """The tasks of a plan as they are now, and units by code: what the roll-up folds besides reports and the
    ledger."""

    def __init__(self, tasks: EventSourcedRepository):
        self.repository = tasks

    def tasks(self, plan_id: str, ids: list[str] | None = None) -> list:
        """Read through the repository, whose cache makes an unchanged task one lookup of its next event; the
        tasks are for reading, never to be changed. Without `ids` they are listed from the snapshots (FerretDB
        decodes each whole to answer even an `_id` projection)."""
        if ids is None:
            ids = [d["_id"] for d in TaskSnapshot._get_collection().find({"plan_id": plan_id}, {"_id": 1})]
        return sorted(filter(None, map(self.repository.read, ids)), key=lambda task: task.id)

    def units(self, codes: list[str]) -> dict[str, tuple[str, str]]:
        """(name, area code) of each registered unit of these codes."""
        found = UnitSnapshot._get_collection().find({"_id": {"$in": sorted(set(codes))}}, {"state": 1})
        states = {d["_id"]: unpacked(d["state"]) for d in found}
        return {code: (state["name"], state["area_code"]) for code, state in states.items()}


DOCUMENTS = (RollupDocument,)
