"""The read model of the cases service: every list, search and stream query, answered from the snapshots and
the people register (cosmicpython's views.py). The service layer reaches it through `ports.CaseViews`.

Each list query filters on indexed top-level fields (equality or `$in`, which FerretDB answers from an index);
tests/integration/test_list_indexes.py checks them against the indexes the documents declare.
"""
from __future__ import annotations

import re
from datetime import date

from shared.crypto import FieldCipher
from shared.keys import OwnerCipher
from shared.repository import EventSourcedRepository

from services.cases.adapters.documents import CaseSnapshot, Person
from services.cases.adapters.people import id_hash, person_record
from services.cases.domain.alerts import CaseAlertLog
from services.cases.domain.person import PersonRecord, normalise_name
from services.cases.domain.queries import CaseFilters
from services.cases.domain.retention import ClosedCase
from services.cases.service_layer.ports import CaseRow, OpenProposal


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
             limit: int) -> tuple[list[CaseRow], int]:
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
        query = query.order_by("-opened_on", "id")
        return [_row(s) for s in query.skip(first).limit(limit)], query.count()

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

    def steps(self, case_id: str) -> list[tuple]:
        return self.cases.history(case_id)

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
