"""A rehabilitation and aftercare case: the stream of legal facts about one person's path."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.aggregate import Aggregate, DomainEvent

LAW_120_2025_FROM = date(2026, 7, 1)
OPENING_STAGES = ("tested", "user_management")


def regime_for(opened_on: date) -> str:
    """A case keeps the regime it opened under: Law 73/2021 before 2026-07-01, Law 120/2025 from then."""
    return "law-120-2025" if opened_on >= LAW_120_2025_FROM else "law-73-2021"


@dataclass(frozen=True)
class CaseOpened(DomainEvent):
    type = "cases.case.opened"
    case_id: str
    case_number: str
    person_code: str
    commune_code: str
    regime: str
    stage: str
    opened_on: date


@dataclass(frozen=True)
class CaseWorkerAssigned(DomainEvent):
    type = "cases.case.worker_assigned"
    case_id: str
    commune_code: str
    worker_id: str


class Case(Aggregate):
    stream_type = "case"
    event_types = {e.type: e for e in (CaseOpened, CaseWorkerAssigned)}

    def __init__(self, id: str):
        super().__init__(id)
        self.case_number = self.person_code = self.commune_code = self.regime = self.stage = None
        self.opened_on: date | None = None
        self.assigned_worker: str | None = None

    @property
    def area_code(self) -> str | None:
        return self.commune_code

    @classmethod
    def open(cls, case_id: str, case_number: str, person_code: str, commune_code: str, opened_on: date,
             stage: str) -> "Case":
        case = cls(case_id)
        case.record(CaseOpened(case_id=case_id, case_number=case_number, person_code=person_code,
                               commune_code=commune_code, regime=regime_for(opened_on), stage=stage,
                               opened_on=opened_on))
        return case

    def assign_worker(self, worker_id: str) -> None:
        if worker_id != self.assigned_worker:
            self.record(CaseWorkerAssigned(case_id=self.id, commune_code=self.commune_code, worker_id=worker_id))

    def _on_CaseOpened(self, event: CaseOpened) -> None:
        self.case_number, self.person_code = event.case_number, event.person_code
        self.commune_code, self.regime, self.stage = event.commune_code, event.regime, event.stage
        self.opened_on = event.opened_on

    def _on_CaseWorkerAssigned(self, event: CaseWorkerAssigned) -> None:
        self.assigned_worker = event.worker_id

    def snapshot(self) -> dict:
        return {"case_number": self.case_number, "person_code": self.person_code,
                "commune_code": self.commune_code, "regime": self.regime, "stage": self.stage,
                "opened_on": self.opened_on.isoformat(), "assigned_worker": self.assigned_worker}

    @classmethod
    def from_snapshot(cls, id: str, state: dict, version: int) -> "Case":
        case = cls(id)
        case.__dict__.update(state)
        case.opened_on = date.fromisoformat(state["opened_on"])
        case.version = version
        return case
