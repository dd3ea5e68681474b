"""What the plans use cases need from the read model and the indicator ledger, as protocols (bootstrap.py wires
the mongoengine adapters in)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from shared.envelope import Envelope

from services.plans.domain.direction import DirectionFact


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

    def computed_figures(self, plan_id: str) -> list["ComputedFigure"]:
        """Every contribution to the plan's computed indicators, with its commune and day, for the roll-up."""


@dataclass(frozen=True)
class ComputedFigure:
    """One contribution to a computed indicator: where (`area_code`, the commune) and when (`counted_on`, the day
    the fact happened) it counts, and what it adds."""
    indicator_code: str
    area_code: str | None
    counted_on: date
    amount: int


@dataclass(frozen=True)
class Contribution:
    """What one event adds to one plan's indicator, under the key that counts it once."""
    plan_id: str
    indicator_code: str
    key: str
    amount: int
    event_id: str
    area_code: str | None
    counted_on: date


class IndicatorLedger(Protocol):
    def add(self, plan_id: str, indicator_code: str, key: str, amount: int, event_id: str,
            area_code: str | None, *, counted_on: date) -> bool:
        """Add a contribution once under its key; False if that key was counted before. `counted_on` is the day
        the fact happened (the roll-up buckets by it)."""

    def contributions(self, plan_id: str) -> list[Contribution]:
        """Every contribution recorded for the plan (the recount compares them with the event log)."""


class CaseEventLog(Protocol):
    """The cases service's event log, read-only (the recount replays it)."""

    def events(self, event_types: tuple[str, ...]) -> Iterator[Envelope]:
        """The events of these types in the order they happened, as their consumers receive them."""


class DirectionProjection(Protocol):
    """The facts the direction measures count (domain/direction.py), each kept once under its key."""

    def add(self, facts: list[DirectionFact]) -> int:
        """Keep the facts not kept yet; how many were new."""

    def in_quarters(self, quarters: list[str], area_code: str) -> list[DirectionFact]:
        """The facts of these quarters in the area (a province or one commune)."""

    def exits_of(self, case_ids: list[str]) -> list[DirectionFact]:
        """Every step out of aftercare of these cases, whenever it happened."""
