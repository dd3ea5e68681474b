"""The facts of a case's legal path that the case records itself (care, methadone and sharing keep theirs)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from shared.aggregate import DomainEvent, VariantEvent

from services.cases.domain.workflow import PRIVATE_FIELDS, Decision

DUE_TYPES = ("cases.case.due_soon", "cases.case.overdue")


def notice_key(event_type: str, due_name: str, due_on: date) -> str:
    return f"{event_type.rsplit('.', 1)[1]}:{due_name}:{due_on.isoformat()}"


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
    person_birth_date: date | None = None


@dataclass(frozen=True)
class CaseWorkerAssigned(DomainEvent):
    type = "cases.case.worker_assigned"
    case_id: str
    commune_code: str
    worker_id: str


@dataclass(frozen=True, kw_only=True)
class CaseTransitioned(Decision, VariantEvent):
    """A step of the regime's workflow; its type is the transition's `emits` (e.g. cases.case.relapse_reported).
    It carries the step's decision fields (`Decision`); the private ones are sealed in the log."""
    sealed_fields = PRIVATE_FIELDS
    case_id: str
    case_number: str
    person_code: str
    commune_code: str
    regime: str
    transition: str
    from_stage: str
    to_stage: str
    effective_on: date
    due: dict[str, date] = field(default_factory=dict)
    by_unit: str | None = None
    due_started: dict[str, date] = field(default_factory=dict)
    phase: str | None = None


@dataclass(frozen=True)
class CasePhaseChanged(DomainEvent):
    """The next phase of a stage that has phases (the five of a rehab facility)."""
    type = "cases.case.phase_changed"
    published = False
    case_id: str
    stage: str
    phase: str
    effective_on: date
    changed_by: str


@dataclass(frozen=True)
class CaseDueNoticed(VariantEvent):
    """A due date came near (`cases.case.due_soon`) or passed (`cases.case.overdue`); recorded once each."""
    case_id: str
    case_number: str
    commune_code: str
    due_name: str
    due_on: date

    @property
    def notice_key(self) -> str:
        return notice_key(self.event_type, self.due_name, self.due_on)


@dataclass(frozen=True)
class DrugTestRecorded(DomainEvent):
    type = "cases.case.drug_test_recorded"
    case_id: str
    case_number: str
    commune_code: str
    test_id: str
    tested_on: date
    result: str
    tested_by: str
    substances_sealed: str | None = None
    findings: tuple = ()
    """Only in tests recorded before the findings were sealed with the substances; never written now."""


@dataclass(frozen=True)
class RelapseSuspected(DomainEvent):
    """A positive test during aftercare or methadone: the commune police and caseworker must know."""
    type = "cases.case.relapse_suspected"
    case_id: str
    case_number: str
    commune_code: str
    stage: str
    tested_on: date
