"""The roll-up's read: the rows as the projection keeps them, cut to what the caller may see and to one period,
never folded per request."""
from __future__ import annotations

import dataclasses
from datetime import datetime

from shared import areas
from shared.auth import Principal
from shared.errors import InvalidInput, NotFound
from shared.working_days import WorkingCalendar

from services.plans.domain.periods import reporting_periods
from services.plans.domain.queries import ReadRollup
from services.plans.domain.model import is_computed
from services.plans.domain.rollup import (ALL, AREA, BY, TOTAL, UNIT, computed_of_areas, percentage,
                                          unit_computed)
from services.plans.domain.rollup_access import reporting_unit, sees_every_row
from services.plans.service_layer.ports import RollupStore, StoredRollupRow
from services.plans.service_layer.unit_of_work import PlansUnitOfWork


@dataclasses.dataclass(frozen=True)
class IndicatorLine:
    code: str
    target: float
    reported: float
    pending: float
    computed: float | None
    percentage: float | None
    plan_target: float | None = None
    unassigned: float | None = None


@dataclasses.dataclass(frozen=True)
class RollupLine:
    kind: str
    code: str
    name: str | None
    status: str
    statuses: dict[str, int]
    reports: dict[str, int]
    indicators: list[IndicatorLine]
    as_of: datetime
    areas: list[str]
    tasks: dict[str, str]


@dataclasses.dataclass(frozen=True)
class RollupAnswer:
    plan_id: str
    by: str
    period: str
    periods: list[str]
    as_of: datetime | None
    total: RollupLine | None
    rows: list[RollupLine]


def read_rollup(query: ReadRollup, principal: Principal, uow: PlansUnitOfWork, rollup_store: RollupStore,
                working_days: WorkingCalendar) -> RollupAnswer:
    """The rows as kept (never folded here): all of them for the standing office, a unit's own row and the total
    for its reporters."""
    plan = uow.plans.read(query.plan_id)
    every = plan is not None and sees_every_row(principal, plan)
    unit = None if plan is None or every else reporting_unit(principal, plan)
    if plan is None or not (every or unit):
        raise NotFound(f"no plan {query.plan_id} visible to you")
    if query.by not in BY:
        raise InvalidInput.field("by", f"must be one of {', '.join(BY)}")
    periods = [p.code for p in reporting_periods(plan.kind, plan.starts_on, plan.ends_on, plan.summary_report_due_on,
                                                 working_days)] + [ALL]
    if query.period not in periods:
        raise InvalidInput.field("period", f"{query.period!r} is not a reporting period of this plan: "
                                           f"{', '.join(periods)}")
    stored = _visible_rows(plan, query.by, unit, rollup_store)
    total = next((s for s in stored if s.row.kind == TOTAL), None)
    computed_in = computed_of_areas(total.row if total else None, [s.row for s in stored if s.row.kind == AREA],
                                    lambda area: area == plan.area_code or areas.is_province(area))
    lines = [_line(s, query.period, unit_computed(s.row, computed_in, areas.covers) if s.row.kind == UNIT
                   else None)
             for s in stored if s.row.kind == query.by and (every or s.row.code == unit)]
    when = [s.as_of for s in stored if s.row.kind in (TOTAL, query.by)]
    return RollupAnswer(plan.id, query.by, query.period, periods, min(when) if when else None,
                        _line(total, query.period, None) if total else None,
                        sorted(lines, key=lambda line: line.code))


def _visible_rows(plan, by: str, unit: str | None, store: RollupStore) -> list[StoredRollupRow]:
    if unit is None:
        return store.rows(plan.id, (TOTAL, AREA) if by == AREA else None)
    own = store.rows_named(plan.id, [(TOTAL, ""), (UNIT, unit)])
    if not any(s.row.kind == UNIT for s in own):
        raise NotFound(f"no plan {plan.id} visible to you")
    if by == AREA:
        return [s for s in own if s.row.kind == TOTAL]
    unit_row = next(s.row for s in own if s.row.kind == UNIT)
    communes = [a for a in unit_row.areas if a != plan.area_code and not areas.is_province(a)]
    return [*own, *store.rows_named(plan.id, [(AREA, a) for a in communes])]


def _line(stored: StoredRollupRow, period: str, computed: dict[str, dict[str, float]] | None) -> RollupLine:
    row = stored.row
    figures = row.periods.get(period)
    indicators = []
    for code, f in (figures.indicators.items() if figures else []):
        if computed is not None:
            f = dataclasses.replace(f, computed=computed.get(period, {}).get(code, 0.0))
        indicators.append(IndicatorLine(
            code, f.target, f.reported, f.pending, f.computed if is_computed(code) else None, percentage(code, f),
            row.plan_targets.get(code) if row.kind == TOTAL else None,
            row.unassigned.get(code, 0.0) if row.kind == TOTAL else None))
    return RollupLine(row.kind, row.code, row.name, row.status, row.statuses,
                      dataclasses.asdict(figures.reports) if figures else {}, indicators, stored.as_of,
                      list(row.areas), {task: row.task_status(task) for task in sorted(row.task_statuses)}
                      if row.kind == TOTAL else {})


HANDLERS = {ReadRollup: read_rollup}
