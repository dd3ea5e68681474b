"""The facts of the direction measures, kept once each by unique insert under a key derived from the event id."""
from __future__ import annotations

from datetime import date

from mongoengine.errors import NotUniqueError

from services.plans.adapters.documents import DirectionFactRecord
from services.plans.domain.direction import EXIT, DirectionFact

IN_LIMIT = 500
"""FerretDB answers `$in` from an index up to this many values (docs/operations.md)."""


def _record(fact: DirectionFact) -> DirectionFactRecord:
    return DirectionFactRecord(key=fact.key, kind=fact.kind, quarter=fact.quarter, commune_code=fact.commune_code,
                               case_id=fact.case_id, day=fact.day.isoformat(), person_code=fact.person_code,
                               treatment=fact.treatment, ends_on=fact.ends_on.isoformat() if fact.ends_on else None)


def _fact(row: dict) -> DirectionFact:
    return DirectionFact(key=row["_id"], kind=row["kind"], quarter=row["quarter"], commune_code=row["commune_code"],
                         case_id=row["case_id"], day=date.fromisoformat(row["day"]),
                         person_code=row.get("person_code"), treatment=row.get("treatment"),
                         ends_on=date.fromisoformat(row["ends_on"]) if row.get("ends_on") else None)


def _chunks(values: list[str]):
    for start in range(0, len(values), IN_LIMIT):
        yield values[start:start + IN_LIMIT]


class DirectionFacts:
    def add(self, facts: list[DirectionFact]) -> int:
        added = 0
        for fact in facts:
            try:
                _record(fact).save(force_insert=True)
                added += 1
            except NotUniqueError:
                pass
        return added

    def in_quarters(self, quarters: list[str], area_code: str) -> list[DirectionFact]:
        """A commune's facts are filtered on its code as well; a province's are every commune's (the service
        layer keeps those of the province)."""
        query = {"quarter": {"$in": quarters}}
        if len(area_code) == 5:
            query["commune_code"] = area_code
        return [_fact(row) for row in DirectionFactRecord._get_collection().find(query)]

    def exits_of(self, case_ids: list[str]) -> list[DirectionFact]:
        collection = DirectionFactRecord._get_collection()
        return [_fact(row) for chunk in _chunks(sorted(set(case_ids)))
                for row in collection.find({"case_id": {"$in": chunk}, "kind": EXIT})]
