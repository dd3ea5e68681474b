"""What the plans use cases need from the read model and the indicator ledger, as protocols (bootstrap.py wires
the mongoengine adapters in)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol


@dataclass(frozen=True)
class UnitRow:
    id: str
    version: int
    name: str
    kind: str
    area_code: str
    covers: list[str]


@dataclass(frozen=True)
class PlanRow:
    id: str
    version: int
    title: str
    area_code: str
    starts_on: date
    ends_on: date
    indicator_codes: tuple[str, ...]


@dataclass(frozen=True)
class TaskRow:
    id: str
    version: int
    plan_id: str
    title: str
    lead_unit: str
    supporting_units: list[str]
    due_on: date


class PlanViews(Protocol):
    """The read model (services/plans/views.py)."""

    def units(self, first: int, limit: int) -> tuple[list[UnitRow], int]: ...

    def plans(self) -> list[PlanRow]:
        """Every plan, newest first: a province has a few dozen."""

    def tasks(self, plan_id: str, first: int, limit: int) -> tuple[list[TaskRow], int]: ...

    def indicator_totals(self, plan_id: str) -> dict[str, int]: ...


class IndicatorLedger(Protocol):
    def add(self, plan_id: str, indicator_code: str, key: str, amount: int, event_id: str,
            area_code: str | None) -> bool:
        """Add a contribution once under its key; False if that key was counted before."""
