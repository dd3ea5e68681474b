"""Progress reports on assignments: a unit drafts and submits its figures for a reporting period, the task's lead
unit or the plan's coordinators return or approve them, and approved figures are corrected by revisions."""
from __future__ import annotations

from shared.auth import Principal
from shared.clock import Clock
from shared.errors import NotAuthorised, NotFound, expect_version
from shared.refusals import domain_refusals
from shared.working_days import WorkingCalendar

from services.plans.domain.access import sees_plan
from services.plans.domain.commands import ApproveReport, ReturnReport, ReviseReport, SaveReport, SubmitReport
from services.plans.domain.periods import period_named, reporting_periods
from services.plans.domain.queries import ListReports, ReadReport
from services.plans.domain.report_access import may_review_report, may_see_report, reports_for
from services.plans.domain.reports import Report, ReportContent, report_content, report_id
from services.plans.service_layer.plans import visible_plan
from services.plans.service_layer.ports import PlanViews, ReportRow
from services.plans.service_layer.unit_of_work import PlansUnitOfWork


def _assignment(uow: PlansUnitOfWork, principal: Principal, task_id: str, unit_code: str):
    """The plan and task of the unit's assignment, if the caller may see its reports; otherwise 404."""
    task = uow.tasks.read(task_id)
    plan = uow.plans.read(task.plan_id) if task is not None else None
    return visible_assignment(principal, task_id, unit_code, plan, task)


def visible_assignment(principal: Principal, task_id: str, unit_code: str, plan, task):
    """`_assignment` of a plan and task read beforehand (None where there is none); a draft plan's assignments
    are seen only by those who manage the plan."""
    assignment = (task.assignments.get(unit_code) if plan is not None and task is not None
                  and sees_plan(principal, plan) else None)
    if assignment is None or not may_see_report(principal, plan.area_code, task.lead_unit, unit_code,
                                                assignment.area_code):
        raise NotFound(f"no assignment of {unit_code} in task {task_id} visible to you")
    return plan, task


def _seen(plan, task):
    return lambda principal, report: may_see_report(principal, plan.area_code, task.lead_unit, report.unit_code,
                                                    report.area_code)


def _written(principal: Principal, report: Report) -> bool:
    return reports_for(principal, report.unit_code)


def _reviewed(plan, task):
    return lambda principal, report: may_review_report(principal, plan.area_code, task.lead_unit, report.unit_code)


def _content(command, task, uow: PlansUnitOfWork, clock: Clock) -> ReportContent:
    unit = uow.units.get(command.unit_code) if command.crackdown is not None else None
    return report_content(dict(command.values or {}), command.narrative, list(command.documents),
                          command.crackdown, [t.code for t in task.indicators], unit.kind if unit else None,
                          clock.today())


def save_report(command: SaveReport, principal: Principal, uow: PlansUnitOfWork, clock: Clock,
                working_days: WorkingCalendar) -> tuple[Report, bool]:
    """The report, and whether it was created (a first save) rather than changed."""
    plan, task = _assignment(uow, principal, command.task_id, command.unit_code)
    if not reports_for(principal, command.unit_code):
        raise NotAuthorised(f"only the reporters of {command.unit_code} write its reports")
    the_id = report_id(task.id, command.unit_code, command.period)
    if not uow.reports.exists(the_id):
        expect_version(0, command.expected_version)
        with domain_refusals():
            periods = reporting_periods(plan.kind, plan.starts_on, plan.ends_on, plan.summary_report_due_on,
                                        working_days)
            period = period_named(periods, command.period)
            report = Report.draft(plan, task, command.unit_code, period, _content(command, task, uow, clock))
        uow.add(report, principal)
        return report, True
    with uow.changing("report", the_id, principal, command.expected_version, _seen(plan, task), _written) as report:
        report.change(plan, task, _content(command, task, uow, clock))
    return report, False


def submit_report(command: SubmitReport, principal: Principal, uow: PlansUnitOfWork, clock: Clock) -> Report:
    plan, task = _assignment(uow, principal, command.task_id, command.unit_code)
    the_id = report_id(task.id, command.unit_code, command.period)
    with uow.changing("report", the_id, principal, command.expected_version, _seen(plan, task), _written) as report:
        report.submit(plan, task, clock.today())
    return report


def return_report(command: ReturnReport, principal: Principal, uow: PlansUnitOfWork, clock: Clock) -> Report:
    plan, task = _assignment(uow, principal, command.task_id, command.unit_code)
    the_id = report_id(task.id, command.unit_code, command.period)
    with uow.changing("report", the_id, principal, command.expected_version, _seen(plan, task),
                      _reviewed(plan, task)) as report:
        report.return_(plan, task, command.comments, principal.subject, principal.unit, clock.now(), clock.today())
    return report


def approve_report(command: ApproveReport, principal: Principal, uow: PlansUnitOfWork, clock: Clock) -> Report:
    plan, task = _assignment(uow, principal, command.task_id, command.unit_code)
    the_id = report_id(task.id, command.unit_code, command.period)
    with uow.changing("report", the_id, principal, command.expected_version, _seen(plan, task),
                      _reviewed(plan, task)) as report:
        report.approve(plan, task, command.comments, principal.subject, principal.unit, clock.now(), clock.today())
    return report


def revise_report(command: ReviseReport, principal: Principal, uow: PlansUnitOfWork, clock: Clock) -> Report:
    plan, task = _assignment(uow, principal, command.task_id, command.unit_code)
    the_id = report_id(task.id, command.unit_code, command.period)
    with uow.changing("report", the_id, principal, command.expected_version, _seen(plan, task), _written) as report:
        report.revise(plan, task, command.reason, _content(command, task, uow, clock), clock.today())
    return report


def read_report(query: ReadReport, principal: Principal, uow: PlansUnitOfWork) -> Report:
    """The report with its reviews and revisions."""
    plan, task = _assignment(uow, principal, query.task_id, query.unit_code)
    return uow.visible("report", report_id(task.id, query.unit_code, query.period), principal, _seen(plan, task))


def list_reports(query: ListReports, principal: Principal, uow: PlansUnitOfWork,
                 views: PlanViews) -> tuple[list[ReportRow], int]:
    """The plan's reports the caller may see, by due date, task and unit."""
    plan = visible_plan(query.plan_id, principal, uow.plans)
    filters = query.filters
    rows = views.reports(plan.id, filters.unit_code, filters.period, filters.status)
    visible = sorted((row for row in rows
                      if may_see_report(principal, plan.area_code, row.lead_unit, row.unit_code, row.area_code)),
                     key=lambda row: (row.due_on, row.task_id, row.unit_code))
    return visible[query.first:query.first + query.limit], len(visible)


HANDLERS = {SaveReport: save_report, SubmitReport: submit_report, ReturnReport: return_report,
            ApproveReport: approve_report, ReviseReport: revise_report, ReadReport: read_report,
            ListReports: list_reports}
