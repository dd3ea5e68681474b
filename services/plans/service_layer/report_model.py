"""What the consolidated report is made of, apart from how it is drawn: the roll-up's figures as the report reads
them (the port the roll-up adapter answers), and the report as sections of tables with their totals rows (what the
renderer draws, adapters/spreadsheet_report.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class IndicatorFigures:
    """One indicator over the plan's whole period: the shares assigned, the approved figures reported, what the
    case events count."""
    target: float | None
    reported: float | None
    computed: float | None


@dataclass(frozen=True)
class RolledRow:
    """A unit's row (with the areas its assignments lie in), an area's, or the province's."""
    code: str
    indicators: dict[str, IndicatorFigures]
    late_reports: int = 0
    areas: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlanRollup:
    units: list[RolledRow]
    areas: list[RolledRow]
    total: RolledRow | None
    task_statuses: dict[str, str] = field(default_factory=dict)
    """Each task's status (domain/progress.py), by task id."""


class RollupFigures(Protocol):
    """The roll-up projection as the report reads it (adapters/rollup_figures.py)."""

    def of_plan(self, plan_id: str) -> PlanRollup: ...


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = "text"
    """text, count, number, percent (a ratio: 1.0 is 100 %), vnd or date."""
    width: int = 14
    group: str | None = None
    """A heading over consecutive columns of the same group (an indicator over its target, reported...)."""


@dataclass(frozen=True)
class Table:
    columns: list[Column]
    rows: list[list]
    totals: list | None = None
    """The `Tổng cộng` row: each column's sum where a sum means something."""
    caption: str | None = None


@dataclass(frozen=True)
class Section:
    sheet_name: str
    heading: str
    tables: list[Table]
    frozen_columns: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ConsolidatedReport:
    """The report as laid out on paper: the heading block, the title, then one section per sheet."""
    issuing_body: str
    office: str
    place_and_date: str
    title: str
    plan_title: str
    period: str
    sections: list[Section]


class ReportRenderer(Protocol):
    def xlsx(self, report: ConsolidatedReport) -> bytes: ...

    def csv(self, header: list[str], rows: list[list]) -> bytes:
        """UTF-8 with a byte order mark, so Excel reads Vietnamese; text that looks like a formula stays text."""
