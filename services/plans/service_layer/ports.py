"""What the plans use cases need from the read model and the indicator ledger, as protocols (bootstrap.py wires
the mongoengine adapters in)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from shared.envelope import Envelope

from services.plans.domain.direction import DirectionFact
from services.plans.domain.queries import HotspotFilters
from services.plans.domain.rollup import RollupRow
from services.plans.domain.task import Task


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
    kind: str
    status: str
    area_code: str
    starts_on: date
    ends_on: date
    indicator_codes: tuple[str, ...]
    document_number: str | None = None


@dataclass(frozen=True)
class ReportRow:
    """A unit's progress report on an assignment for one period, as the read model keeps it: `values` are the
    latest figures (draft, submitted or resubmitted), `approved_values` those last approved (locked), or None."""
    id: str
    version: int
    plan_id: str
    task_id: str
    unit_code: str
    area_code: str
    period: str
    status: str
    revision: int
    late: bool
    due_on: date
    submitted_on: date | None
    values: dict[str, float]
    approved_values: dict[str, float] | None
    crackdown: dict | None
    lead_unit: str | None = None


@dataclass(frozen=True)
class HotspotRow:
    id: str
    version: int
    place_name: str
    commune_code: str
    kind: str
    activity: str
    level: str
    status: str
    found_on: date
    latitude: float | None
    longitude: float | None
    task_ids: list[str]


@dataclass(frozen=True)
class BudgetLineRow:
    id: str
    version: int
    plan_id: str
    task_id: str | None
    source: str
    purpose: str
    planned_vnd: int
    spent_vnd: int
    spending: list[dict]

    @property
    def overspent(self) -> bool:
        return self.spent_vnd > self.planned_vnd


@dataclass(frozen=True)
class BudgetTotals:
    """A plan's budget in đồng, (planned, spent) by source and by task; task None is the plan's own lines."""
    by_source: dict[str, tuple[int, int]]
    by_task: dict[str | None, tuple[int, int]]


class PlanViews(Protocol):
    """The read model (services/plans/views.py)."""

    def units(self, first: int, limit: int) -> tuple[list[UnitRow], int]: ...

    def plans(self) -> list[PlanRow]:
        """Every plan, newest first: a province has a few dozen."""

    def task_ids(self, plan_id: str) -> list[str]: ...

    def plan_tasks(self, plan_id: str) -> list[Task]:
        """The plan's tasks as they are now (from their snapshots), by due date."""

    def reports_of_plan(self, plan_id: str) -> list[ReportRow]: ...

    def reports_of_task(self, task_id: str) -> list[ReportRow]: ...

    def reports_of_assignment(self, task_id: str, unit_code: str) -> list[ReportRow]: ...

    def reports(self, plan_id: str, unit_code: str | None, period: str | None,
                status: str | None) -> list[ReportRow]:
        """The plan's reports matching the filters that are given."""

    def indicator_totals(self, plan_id: str) -> dict[str, int]: ...

    def hotspots(self, communes: list[str], filters: HotspotFilters, first: int,
                 limit: int) -> tuple[list[HotspotRow], int]:
        """Hotspots of these communes matching `filters`, most recently found first, and how many match."""

    def budget_lines(self, plan_id: str) -> list[BudgetLineRow]: ...

    def budget_totals(self, plan_id: str) -> BudgetTotals: ...

    def reports_of_units(self, plan_id: str, unit_codes: list[str]) -> list[ReportRow]: ...

    def reports_in_areas(self, plan_id: str, area_codes: list[str]) -> list[ReportRow]: ...

    def computed_in_areas(self, plan_id: str, area_codes: list[str]) -> list["ComputedFigure"]:
        """The contributions counted in these communes (as recorded: old codes of merged communes included)."""

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


@dataclass(frozen=True)
class StoredRollupRow:
    """A roll-up row as kept: `as_of`, when the fold it came from began reading; the plan's and tasks' stream
    versions it was folded from; and (the total) the day of the plan's last rebuild from scratch, which the
    versions kept on the total stand for."""
    row: RollupRow
    as_of: datetime
    versions: dict[str, int]
    rebuilt_on: date | None = None


class RollupStore(Protocol):
    """The roll-up's rows, a maintained projection (adapters/rollup.py)."""

    def rows(self, plan_id: str, kinds: tuple[str, ...] | None = None) -> list[StoredRollupRow]: ...

    def rows_named(self, plan_id: str, names: list[tuple[str, str]]) -> list[StoredRollupRow]:
        """The rows of these (kind, code)."""

    def put(self, plan_id: str, rows: list[StoredRollupRow], over_newer: bool = False) -> None:
        """Keep these rows, each only over a row folded from earlier state unless `over_newer`."""

    def drop_except(self, plan_id: str, kept: list[RollupRow], folded_before) -> int:
        """Delete the plan's unit and area rows not among `kept` that were folded before that time."""


class PlanState(Protocol):
    def tasks(self, plan_id: str, ids: list[str] | None = None) -> list[Task]:
        """The plan's tasks (these, if `ids`) as they are now (their logs, not a snapshot that lost a race), for
        reading only."""

    def units(self, codes: list[str]) -> dict[str, tuple[str, str]]:
        """(name, area code) of each registered unit of these codes."""
