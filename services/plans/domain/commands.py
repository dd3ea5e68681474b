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


@dataclass(frozen=True)
class RecordDirectionEvent:
    """A case event the direction measures count (domain/direction.py), as the cases service published it."""
    event: Envelope


@dataclass(frozen=True)
class RecountIndicators:
    """Recount the case-derived indicators from the cases event log and compare with the ledger; `fix` adds the
    contributions the ledger misses (it never deletes: extras are listed)."""
    plan_id: str | None = None
    fix: bool = False
