"""The daily timer of the plans service: issued plans start on their first day; tasks and reports due soon or
overdue are noticed once each, and notifications tells the units."""
from __future__ import annotations

from shared.auth import Principal
from shared.clock import Clock
from shared.errors import Conflict
from shared.working_days import WorkingCalendar

from services.plans.domain.commands import NoticeDeadlines
from services.plans.domain.notices import ACCOUNTED, report_deadlines, task_deadline
from services.plans.domain.periods import reporting_periods
from services.plans.domain.plan import ISSUED, LIVE
from services.plans.service_layer.ports import PlanRow, PlanViews
from services.plans.service_layer.tasks import progress_of
from services.plans.service_layer.unit_of_work import PlansUnitOfWork


def notice_deadlines(command: NoticeDeadlines, principal: Principal | None, uow: PlansUnitOfWork, views: PlanViews,
                     clock: Clock, working_days: WorkingCalendar) -> int:
    """How many notices were recorded; a second run on the same day records none."""
    today, noticed = clock.today(), 0
    for row in views.plans():
        if row.status == ISSUED and row.starts_on <= today:
            plan = uow.plans.get(row.id)
            if plan.status == ISSUED:
                plan.start(today)
                uow.save(plan, principal)
        if row.status in LIVE:
            noticed += _notice_plan(row, uow, views, working_days, today, principal)
    return noticed


def _notice_plan(row: PlanRow, uow: PlansUnitOfWork, views: PlanViews, working_days: WorkingCalendar, today,
                 principal: Principal | None) -> int:
    plan = uow.plans.get(row.id)
    periods = reporting_periods(plan.kind, plan.starts_on, plan.ends_on, plan.summary_report_due_on, working_days)
    reports: dict[str, list] = {}
    for report in views.reports_of_plan(plan.id):
        reports.setdefault(report.task_id, []).append(report)
    noticed = 0
    for task in views.plan_tasks(plan.id):
        task_reports = reports.get(task.id, [])
        accounted = {(r.unit_code, r.period) for r in task_reports if r.status in ACCOUNTED}
        deadlines = report_deadlines(task, periods, accounted, today)
        due = task_deadline(task, progress_of(task, task_reports, today).status, today)
        noticed += _record(task.id, ([due] if due else []) + deadlines, uow, principal)
    return noticed


def _record(task_id: str, deadlines: list, uow: PlansUnitOfWork, principal: Principal | None) -> int:
    """Notices recorded on the task as the log has it (the read model may lag); a task changed meanwhile is left
    to the next run, so one busy task never stops the others' notices."""
    task = uow.tasks.get(task_id)
    recorded = sum(task.notice(deadline) for deadline in deadlines)
    if recorded:
        try:
            uow.save(task, principal)
        except Conflict:
            return 0
    return recorded


HANDLERS = {NoticeDeadlines: notice_deadlines}
