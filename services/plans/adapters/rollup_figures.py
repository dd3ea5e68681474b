"""The roll-up projection (adapters/rollup.py, folded by domain/rollup.py) as the consolidated report reads it: the
whole plan's figures of each unit, each area and the province, and each task's status, as kept (never folded
here).

A unit row is kept without computed figures: they are those of the areas its assignments lie in, taken from the
area rows (the province total's for the plan's own area) the way the roll-up's own read takes them, so the report
and the dashboard never disagree."""
from __future__ import annotations

from shared import areas

from services.plans.adapters.rollup import RollupStore
from services.plans.domain.rollup import ALL, AREA, TOTAL, UNIT, RollupRow, computed_of_areas, unit_computed
from services.plans.service_layer.report_model import IndicatorFigures, PlanRollup, RolledRow


class RollupReportFigures:
    def __init__(self, store: RollupStore | None = None):
        self.store = store or RollupStore()

    def of_plan(self, plan_id: str) -> PlanRollup:
        rows = [stored.row for stored in self.store.rows(plan_id)]
        by_area = {row.code: row for row in rows if row.kind == AREA}
        total = next((row for row in rows if row.kind == TOTAL), None)

        computed_in = computed_of_areas(total, by_area.values(), lambda area: (
            total is not None and area == total.code) or areas.is_province(area))
        return PlanRollup(
            units=[_rolled(row, unit_computed(row, computed_in, areas.covers).get(ALL, {}))
                   for row in rows if row.kind == UNIT],
            areas=[_rolled(row) for row in by_area.values()],
            total=_rolled(total) if total is not None else None,
            task_statuses={task_id: total.task_status(task_id) for task_id in total.task_statuses} if total else {})


def _whole(row: RollupRow):
    return row.periods[ALL]


def _rolled(row: RollupRow, computed: dict[str, float] | None = None) -> RolledRow:
    whole = _whole(row)
    return RolledRow(code=row.code, late_reports=whole.reports.late, areas=tuple(row.areas), indicators={
        code: IndicatorFigures(figures.target, figures.reported,
                               computed.get(code, 0.0) if computed is not None else figures.computed)
        for code, figures in whole.indicators.items()})
