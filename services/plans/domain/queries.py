"""What callers ask to read; service_layer answers through the read model (views.py)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ListUnits:
    first: int = 0
    limit: int = 50


@dataclass(frozen=True)
class ListPlans:
    status: str | None = None
    kind: str | None = None
    first: int = 0
    limit: int = 50


@dataclass(frozen=True)
class ReadPlan:
    plan_id: str


@dataclass(frozen=True)
class PlanHistory:
    """Every change of the plan and of its tasks, oldest first."""
    plan_id: str


@dataclass(frozen=True)
class ListTasks:
    plan_id: str
    tag: str | None = None
    status: str | None = None
    unit_code: str | None = None
    first: int = 0
    limit: int = 50


@dataclass(frozen=True)
class ReadTask:
    task_id: str


@dataclass(frozen=True)
class MyTasks:
    """The caller's unit's assignments in plans in force: a unit's "my tasks"."""
    first: int = 0
    limit: int = 50


@dataclass(frozen=True)
class ReadDirection:
    """The direction measures of an area for the quarters `first` to `last` ("2026Q1"), as the caller wrote them."""
    area_code: str
    first: str
    last: str


@dataclass(frozen=True)
class HotspotFilters:
    commune_code: str | None = None
    status: str | None = None
    kind: str | None = None
    task_id: str | None = None


@dataclass(frozen=True)
class ReadHotspot:
    hotspot_id: str


@dataclass(frozen=True)
class ListHotspots:
    filters: HotspotFilters = HotspotFilters()
    first: int = 0
    limit: int = 50


@dataclass(frozen=True)
class MapHotspots:
    """Every matching hotspot, for the GeoJSON export."""
    filters: HotspotFilters = HotspotFilters()


@dataclass(frozen=True)
class ReadBudgetLine:
    budget_line_id: str


@dataclass(frozen=True)
class ListBudgetLines:
    """A plan's budget lines with their totals by source and by task."""
    plan_id: str


@dataclass(frozen=True)
class ReadUnitCalendar:
    """A unit's deadlines as iCalendar, for whoever holds the unit's current calendar secret."""
    unit_code: str
    token: str | None


@dataclass(frozen=True)
class ReadReport:
    task_id: str
    unit_code: str
    period: str


@dataclass(frozen=True)
class ReportFilters:
    unit_code: str | None = None
    period: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class ListReports:
    plan_id: str
    filters: ReportFilters = ReportFilters()
    first: int = 0
    limit: int = 50


@dataclass(frozen=True)
class ExportPlanReport:
    """The plan's consolidated report as an XLSX workbook in the administrative layout."""
    plan_id: str


@dataclass(frozen=True)
class ExportPlanReportCsv:
    """The plan's figures per unit and indicator as CSV."""
    plan_id: str


@dataclass(frozen=True)
class ReadRollup:
    """The plan's roll-up: the province total and a row per unit or per area (`by`), for one reporting period or
    the whole plan (`period` "all")."""
    plan_id: str
    by: str = "unit"
    period: str = "all"
