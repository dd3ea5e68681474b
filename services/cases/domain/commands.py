from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class PersonDetails:
    full_name: str
    birth_date: date
    sex: str


@dataclass(frozen=True)
class OpenCase:
    person: PersonDetails
    commune_code: str
    opened_on: date
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
