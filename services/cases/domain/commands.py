from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.cases.domain.person import Guardian


@dataclass(frozen=True)
class RegisterPerson:
    full_name: str
    birth_date: date
    sex: str
    residence_code: str
    national_id: str | None = None
    phone: str | None = None
    address: str | None = None
    guardian: Guardian | None = None
    not_duplicate_of: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpenCase:
    commune_code: str
    opened_on: date
    person: RegisterPerson | None = None
    person_code: str | None = None
    stage: str = "user_management"


@dataclass(frozen=True)
class AssignWorker:
    case_id: str
    worker_id: str
    expected_version: int | None


@dataclass(frozen=True)
class TransitionCase:
    case_id: str
    transition: str
    effective_on: date
    decision: dict
    expected_version: int | None


@dataclass(frozen=True)
class ChangePhase:
    case_id: str
    phase: str
    effective_on: date


@dataclass(frozen=True)
class RecordDrugTest:
    case_id: str
    tested_on: date
    result: str
    substances: tuple[str, ...] = ()


@dataclass(frozen=True)
class BreakGlass:
    case_id: str
    section: str
    reason: str


@dataclass(frozen=True)
class ShareCase:
    """Refer the case to a unit (`to_unit`) or transfer it to a commune (`to_commune`)."""
    case_id: str
    kind: str
    reason: str
    to_unit: str | None = None
    to_commune: str | None = None


@dataclass(frozen=True)
class SettleShare:
    case_id: str
    share_id: str
    status: str
    reason: str


@dataclass(frozen=True)
class PlanFollowUp:
    case_id: str
    every_days: int
    first_on: date


@dataclass(frozen=True)
class RecordVisit:
    case_id: str
    visited_on: date
    kind: str
    outcome: str
    notes: str | None = None


@dataclass(frozen=True)
class RecordSupport:
    case_id: str
    kind: str
    provided_on: date
    amount_vnd: int | None = None
    funding_source: str | None = None
    details: str | None = None


@dataclass(frozen=True)
class ChangeOstPhase:
    case_id: str
    phase: str
    effective_on: date


@dataclass(frozen=True)
class RecordDose:
    case_id: str
    given_on: date
    missed: bool = False
    dose_mg: float | None = None


@dataclass(frozen=True)
class RecordOstBreach:
    case_id: str
    kind: str
    occurred_on: date
    description: str | None = None


@dataclass(frozen=True)
class DismissTermination:
    case_id: str
    proposal_id: str
    reason: str
