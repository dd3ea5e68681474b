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
