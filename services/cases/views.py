"""The read model of the cases service: every list, search and stream query, answered from the snapshots and
the people register (cosmicpython's views.py). The service layer reaches it through `ports.CaseViews`.

Each list query filters on indexed top-level fields (equality or `$in`, which FerretDB answers from an index);
tests/integration/test_list_indexes.py checks them against the indexes the documents declare.
"""
from __future__ import annotations

import calendar
import math
import re
from datetime import date, timedelta

from shared.crypto import FieldCipher
from shared.keys import OwnerCipher
from shared.repository import EventSourcedRepository

from services.cases.adapters.documents import CaseSnapshot, Person
from services.cases.adapters.people import id_hash, person_record
from services.cases.domain.alerts import CaseAlertLog
from services.cases.domain.counts import OpeningSpan
from services.cases.domain.person import PersonRecord, normalise_name
from services.cases.domain.queries import CaseFilters
from services.cases.domain.retention import ClosedCase
from services.cases.service_layer.ports import CaseRow, OpenProposal


MAX_WINDOW_DAYS = 256


def _window_days(wanted: int, per_day: float) -> int:
    """Days expected to hold half again as many cases as `wanted`."""
    return max(1, min(MAX_WINDOW_DAYS, math.ceil(1.5 * wanted / per_day))) if per_day > 0 else MAX_WINDOW_DAYS


def _position(after: str) -> tuple[str, str]:
    opened_on, _, case_id = after.partition("/")
    return opened_on, case_id


def _on_or_before(day: str) -> date:
    """The real day a position's day stands for in the list's order: 2026-02-30 sorts where 2026-02-28 ends."""
    year, month, day_of_month = (int(part) for part in day.split("-"))
    return date(year, month, min(day_of_month, calendar.monthrange(year, month)[1]))


def _row(snapshot: CaseSnapshot) -> CaseRow:
    return CaseRow(id=snapshot.id, version=snapshot.version, case_number=snapshot.case_number,
                   person_code=snapshot.person_code or snapshot.state["person_code"],
                   commune_code=snapshot.commune_code, stage=snapshot.stage, regime=snapshot.state["regime"],
                   opened_on=snapshot.opened_on, assigned_worker=snapshot.assigned_worker,
                   next_due_on=snapshot.next_due_on, due=dict(snapshot.state.get("due") or {}))


class CaseViews:
    def __init__(self, cases: EventSourcedRepository, cipher: FieldCipher, sealer: OwnerCipher,
                 alert_logs: EventSourcedRepository, grants: EventSourcedRepository):
        self.cases, self.cipher, self.sealer, self.alert_logs, self.grants = cases, cipher, sealer, alert_logs, grants

    def page(self, communes: list[str], filters: CaseFilters, person_codes: list[str] | None, first: int,
             limit: int, after: str | None = None) -> tuple[list[CaseRow], int]:
        """The page and how many match (counted by FerretDB decoding each match: for selective filters)."""
        query = CaseSnapshot.objects(commune_code__in=communes)
        if person_codes is not None:
            query = query.filter(person_code__in=person_codes)
        for name in ("stage", "assigned_worker", "case_number"):
            if getattr(filters, name):
                query = query.filter(**{name: getattr(filters, name)})
        if filters.due_from:
            query = query.filter(next_due_on__gte=filters.due_from.isoformat())
        if filters.due_until:
            query = query.filter(next_due_on__lte=filters.due_until.isoformat())
        total = query.count()
        if after is not None:
            opened_on, case_id = _position(after)
            query = query.filter(__raw__={"$or": [{"opened_on": {"$lt": opened_on}},
                                                  {"opened_on": opened_on, "_id": {"$gt": case_id}}]})
            first = 0
        query = query.order_by("-opened_on", "id")
        return [_row(s) for s in query.skip(first).limit(limit)], total

    def newest(self, communes: list[str], stage: str | None, first: int, limit: int, after: str | None,
               span: OpeningSpan) -> list[CaseRow]:
        """Walks back from the day after the latest opening day the counts know (a case opened since is listed once
        counted, within a second) or from the `after` row's day, by windows of days, each one query of an
        `$in` of days on the `opened_on` index (FerretDB cannot range or sort from an index); a window is sorted
        here. A window holds about the cases still wanted at the span's cases per day; an empty one doubles."""
        wanted, rows = set(communes), []
        per_day = span.cases / ((date.fromisoformat(span.latest) - date.fromisoformat(span.earliest)).days + 1)
        end = date.fromisoformat(span.latest) + timedelta(days=1)
        if after is not None:
            after_on, after_id = _position(after)
            end, first = min(end, _on_or_before(after_on)), 0
        days = _window_days(first + limit, per_day)
        while len(rows) < first + limit and end.isoformat() >= span.earliest:
            window = [(end - timedelta(days=back)).isoformat() for back in range(days)]
            found = [s for s in CaseSnapshot.objects(opened_on__in=window)
                     if s.commune_code in wanted and (stage is None or s.stage == stage)
                     and (after is None or s.opened_on < after_on or s.id > after_id)]
            rows += sorted(sorted(found, key=lambda s: s.id), key=lambda s: s.opened_on, reverse=True)
            end -= timedelta(days=days)
            days = _window_days(first + limit - len(rows), per_day) if found else min(days * 2, MAX_WINDOW_DAYS)
        return [_row(s) for s in rows[first:first + limit]]

    def assigned_due(self, worker: str, horizon: date) -> list[CaseRow]:
        return [_row(s) for s in CaseSnapshot.objects(assigned_worker=worker, next_due_on__lte=horizon.isoformat())]

    def open_proposals(self, clinic_unit: str) -> list[OpenProposal]:
        return [OpenProposal(case_id=s.id, case_number=s.case_number, proposal_id=proposal_id,
                             ground=proposal["ground"], proposed_on=proposal["proposed_on"])
                for s in CaseSnapshot.objects(proposals_for=clinic_unit)
                for proposal_id, proposal in s.state["therapy"]["proposals"].items() if proposal["status"] == "open"]

    def owing_notices(self, days: list[date]) -> list[str]:
        return [s.id for s in CaseSnapshot.objects(next_notice_on__in=[d.isoformat() for d in days]).only("id")]

    def with_due_until(self, day: date) -> list[str]:
        return [s.id for s in CaseSnapshot.objects(next_due_on__lte=day.isoformat()).only("id")]

    def closed_cases(self) -> list[ClosedCase]:
        return [ClosedCase(s.id, s.person_code or s.state["person_code"], s.state["regime"],
                           date.fromisoformat(s.state["last_effective_on"]) if s.state.get("last_effective_on") else None)
                for s in CaseSnapshot.objects(stage="closed").only("id", "person_code", "state")]

    def case_count_of(self, person_code: str) -> int:
        return CaseSnapshot.objects(person_code=person_code).count()

    def grants_on(self, case_id: str) -> list:
        return sorted(self.grants.find({"case_id": case_id}).values(),
                      key=lambda g: g.escalated.opened_at or g.escalated.expires_at)

    def steps(self, case_id: str, known_version: int = 0) -> list[tuple]:
        return self.cases.history(case_id, known_version)

    def alert_log(self, case_id: str) -> CaseAlertLog | None:
        return self.alert_logs.read(case_id)

    def alert_steps(self, case_id: str) -> list[tuple]:
        return self.alert_logs.history(case_id)

    def _people(self, communes: list[str], name: str | None, national_id: str | None):
        query = Person.objects(residence_code__in=communes)
        if national_id:
            query = query.filter(national_id_hash=id_hash(self.cipher, national_id))
        if name:
            query = query.filter(__raw__={"search_name": {"$regex": re.escape(normalise_name(name))}})
        return query

    def people(self, communes: list[str], name: str | None, national_id: str | None,
               limit: int = 50) -> list[PersonRecord]:
        return [person_record(p, self.sealer)
                for p in self._people(communes, name, national_id).order_by("search_name").limit(limit)]

    def person_codes(self, communes: list[str], name: str | None, national_id: str | None,
                     limit: int = 500) -> list[str]:
        return [p.person_code for p in self._people(communes, name, national_id).only("person_code").limit(limit)]
