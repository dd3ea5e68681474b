"""What callers ask the plans service to do."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.envelope import Envelope


@dataclass(frozen=True)
class RegisterUnit:
    unit_code: str
    name: str
    kind: str
    area_code: str
    covers: list[str]


@dataclass(frozen=True)
class CreatePlan:
    title: str
    kind: str
    area_code: str
    starts_on: date
    ends_on: date
    indicators: list[dict]


@dataclass(frozen=True)
class AssignTask:
    plan_id: str
    title: str
    lead_unit: str
    supporting_units: list[str]
    due_on: date


@dataclass(frozen=True)
class CountCaseEvent:
    """A case event some indicators count, as the cases service published it."""
    event: Envelope
