"""The case counts projection in the database (domain/counts.py): a member document per case saying where it is
counted, and a row per commune. Written by one consumer at a time (the `cases.counts` queue has a single active
consumer): FerretDB v1 has no atomic read-modify-write, and this projection needs none with one writer."""
from __future__ import annotations

import json
from datetime import date

from pymongo.errors import DuplicateKeyError

from services.cases.adapters.documents import CaseCountMember, CaseCountRow, CaseSnapshot
from services.cases.domain.counts import CommuneCount, Placement, moved

NEW = "new"
COMPLETE = "~complete"
"""The row whose presence says every case is counted (no commune has this code)."""


def _row(document: dict) -> CommuneCount:
    return CommuneCount(document["_id"], json.loads(document["stages"]), document.get("earliest_opened_on"),
                        document.get("latest_opened_on"), json.loads(document.get("stage_days") or "{}"))


def _placement(document: dict) -> Placement:
    return Placement(document["commune_code"], document["stage"], document["opened_on"])


class CaseCounts:
    def place(self, case_id: str, after: Placement) -> None:
        """Count the case at `after`. Idempotent: placing a case where it is counted changes nothing. The member
        says where the case moves from (`moving_from`, NEW for a case not counted yet) until its rows are written,
        so a placement a dead consumer left half done is finished by recounting those communes from the members.
        A row changed by one count is also recounted from its members once a day: a row gone wrong anyway (a
        placement dead-lettered, two consumers during a broker partition) is right again by the next day."""
        members, today = CaseCountMember._get_collection(), date.today().isoformat()
        member = members.find_one({"_id": case_id})
        if member and member.get("moving_from"):
            stale = {after.commune_code, member["commune_code"]}
            if member["moving_from"] != NEW:
                stale.add(json.loads(member["moving_from"])["commune_code"])
            self._set_member(case_id, after, member["moving_from"])
        else:
            before = _placement(member) if member else None
            if before == after:
                return
            self._set_member(case_id, after, json.dumps(vars(before)) if before else NEW)
            stored = {commune: CaseCountRow._get_collection().find_one({"_id": commune})
                      for commune in {after.commune_code, *([before.commune_code] if before else [])}}
            for row in moved({c: _row(doc) for c, doc in stored.items() if doc}, before, after):
                self._write(row)
            stale = {c for c, doc in stored.items() if not doc or doc.get("recounted_on") != today}
        for commune in sorted(stale):
            self.recount(commune, today)
        members.update_one({"_id": case_id}, {"$unset": {"moving_from": ""}})

    def recount(self, commune_code: str, today: str | None = None) -> CommuneCount:
        """The commune's row from its members, written."""
        members = CaseCountMember._get_collection().find({"commune_code": commune_code})
        row = CommuneCount.of(commune_code, (_placement(m) for m in members))
        self._write(row, recounted_on=today or date.today().isoformat())
        return row

    def rows(self, communes) -> dict[str, CommuneCount]:
        """The rows of these communes that have any, or none at all while the counts are not complete (the
        collection holds a row per commune: a province's few hundred at most, so it is read whole)."""
        wanted, rows, complete = set(communes), {}, False
        for row in CaseCountRow._get_collection().find():
            complete = complete or row["_id"] == COMPLETE
            if row["_id"] in wanted:
                rows[row["_id"]] = _row(row)
        return rows if complete else {}

    def complete(self) -> bool:
        return CaseCountRow._get_collection().find_one({"_id": COMPLETE}, {"_id": 1}) is not None

    def start(self) -> None:
        """A system with no case yet will count every case from its events: its counts are complete. One that had
        cases before the counts existed is not, until `rebuild`."""
        if CaseSnapshot._get_collection().find_one({}, {"_id": 1}) is None:
            self._mark_complete()

    def rebuild(self, communes) -> int:
        """Every member and row again from the case snapshots, commune by commune (for a system that had cases
        before the projection, or a benchmark that loads snapshots directly): run it while no worker counts."""
        CaseCountMember._get_collection().delete_many({})
        CaseCountRow._get_collection().delete_many({})
        counted = 0
        for commune in communes:
            found = CaseSnapshot._get_collection().find({"commune_code": commune},
                                                          {"_id": 1, "commune_code": 1, "stage": 1, "opened_on": 1})
            members = [{"_id": s["_id"], "commune_code": s["commune_code"], "stage": s["stage"],
                        "opened_on": s["opened_on"]} for s in found]
            if members:
                CaseCountMember._get_collection().insert_many(members, ordered=False)
                self._write(CommuneCount.of(commune, (_placement(m) for m in members)),
                            recounted_on=date.today().isoformat())
                counted += len(members)
        self._mark_complete()
        return counted

    @staticmethod
    def _mark_complete() -> None:
        """Every API and worker process marks a new system at start: the one whose upsert loses the race finds the
        mark made."""
        try:
            CaseCountRow._get_collection().update_one({"_id": COMPLETE}, {"$setOnInsert": {"stages": "{}"}},
                                                      upsert=True)
        except DuplicateKeyError:
            pass

    @staticmethod
    def _set_member(case_id: str, placement: Placement, moving_from: str) -> None:
        CaseCountMember._get_collection().replace_one({"_id": case_id}, {
            "commune_code": placement.commune_code, "stage": placement.stage, "opened_on": placement.opened_on,
            "moving_from": moving_from}, upsert=True)

    @staticmethod
    def _write(row: CommuneCount, **also) -> None:
        CaseCountRow._get_collection().update_one({"_id": row.commune_code}, {"$set": {
            "stages": json.dumps(row.stages, sort_keys=True), "earliest_opened_on": row.earliest_opened_on,
            "latest_opened_on": row.latest_opened_on, "stage_days": json.dumps(row.stage_days, sort_keys=True),
            **also}}, upsert=True)
