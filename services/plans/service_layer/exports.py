"""A plan's consolidated report (báo cáo kết quả thực hiện kế hoạch) for the standing office to send upward: as an
XLSX workbook in the administrative layout, and as CSV, one row per unit and indicator.

Both read the roll-up (figures per unit, area and indicator, kept as a projection) and the read model of tasks,
reports and budget lines; nothing is recounted from the raw documents here. Only the coordinators, auditors and
admins of the plan's area may take the report out; to anyone else the plan does not exist."""
from __future__ import annotations

from shared import areas
from shared.auth import Principal
from shared.clock import Clock
from shared.errors import NotFound

from services.plans.domain.consolidated import achieved, may_export, ratio
from services.plans.domain.model import is_computed
from services.plans.domain.model import INDICATORS
from services.plans.domain.queries import ExportPlanReport, ExportPlanReportCsv
from services.plans.service_layer.ports import PlanViews
from services.plans.service_layer.report_model import IndicatorFigures, ReportRenderer, RolledRow, RollupFigures
from services.plans.service_layer.report_sections import build_report
from services.plans.service_layer.unit_of_work import PlansUnitOfWork


CSV_COLUMNS = (("Mã đơn vị", "unit_code"), ("Tên đơn vị", "unit_name"), ("Mã địa bàn", "area_codes"),
               ("Tên địa bàn", "area_names"), ("Mã chỉ tiêu", "indicator_code"), ("Tên chỉ tiêu", "indicator_name"),
               ("Đơn vị tính", "measure"), ("Chỉ tiêu", "target"), ("Báo cáo", "reported"),
               ("Tính từ hồ sơ", "computed"), ("Tỷ lệ %", "percent"), ("Báo cáo trễ hạn", "late_reports"))


def exported_plan(plan_id: str, principal: Principal, uow: PlansUnitOfWork):
    plan = uow.plans.get(plan_id)
    if plan is None or not may_export(principal, plan):
        raise NotFound(f"no plan {plan_id} visible to you")
    return plan


def unit_names(views: PlanViews) -> dict[str, str]:
    rows, _ = views.units(0, 100_000)
    return {row.id: row.name for row in rows}


def export_plan_report(query: ExportPlanReport, principal: Principal, uow: PlansUnitOfWork, views: PlanViews,
                       report_figures: RollupFigures, report_renderer: ReportRenderer, clock: Clock) -> bytes:
    plan = exported_plan(query.plan_id, principal, uow)
    report = build_report(plan, report_figures.of_plan(plan.id), views.plan_tasks(plan.id),
                          views.reports_of_plan(plan.id), views.budget_totals(plan.id),
                          views.indicator_totals(plan.id), unit_names(views), clock.today())
    return report_renderer.xlsx(report)


def export_plan_report_csv(query: ExportPlanReportCsv, principal: Principal, uow: PlansUnitOfWork,
                           views: PlanViews, report_figures: RollupFigures, report_renderer: ReportRenderer) -> bytes:
    """One row per unit and indicator of the plan, as the roll-up has them."""
    plan = exported_plan(query.plan_id, principal, uow)
    names = unit_names(views)
    rows = []
    for unit in sorted(report_figures.of_plan(plan.id).units, key=lambda row: row.code):
        for item in plan.indicators:
            rows.append(_csv_row(unit, item.code, names))
    return report_renderer.csv([f"{vi} ({code})" for vi, code in CSV_COLUMNS], rows)


def _csv_row(unit: RolledRow, code: str, names: dict[str, str]) -> list:
    definition = INDICATORS[code]
    figures = unit.indicators.get(code, IndicatorFigures(None, None, None))
    computed = figures.computed if is_computed(code) else None
    share = ratio(achieved(code, figures.reported, computed), figures.target)
    return [unit.code, names.get(unit.code, unit.code), ";".join(unit.areas),
            "; ".join(areas.name_of(a) or a for a in unit.areas), code, definition.name_vi, definition.measure,
            figures.target, figures.reported, computed, None if share is None else round(100 * share, 1),
            unit.late_reports]


HANDLERS = {ExportPlanReport: export_plan_report, ExportPlanReportCsv: export_plan_report_csv}
