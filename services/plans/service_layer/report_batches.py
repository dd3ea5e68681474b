"""A unit's reports submitted in one batch: at a weekly deadline a reporter submits every draft of the period at
once. Each report is checked and submitted exactly as one submitted alone (the same access rules, If-Match version
and domain decision); a refused one is answered with its own problem and stores nothing, and never holds back the
others. The reports are read together and saved together (shared/repository.py `get_many`, `save_many`): a few
round trips for the whole batch where one submission makes seven."""
from __future__ import annotations

from dataclasses import dataclass

from shared.auth import Principal
from shared.clock import Clock
from shared.errors import Conflict, ServiceError
from shared.refusals import domain_refusals
from shared.working_days import WorkingCalendar

from services.plans.domain.commands import ReportSubmission, SubmitReports
from services.plans.domain.periods import period_named, reporting_periods
from services.plans.domain.reports import Report, report_id
from services.plans.service_layer.reports import _seen, _written, visible_assignment
from services.plans.service_layer.unit_of_work import PlansUnitOfWork


@dataclass(frozen=True)
class SubmissionOutcome:
    """One report of the batch: submitted (`report`, as saved) or refused (`refusal`, the answer a single
    submission would have had)."""
    task_id: str
    period: str
    report_id: str
    report: Report | None = None
    refusal: ServiceError | None = None


def submit_reports(command: SubmitReports, principal: Principal, uow: PlansUnitOfWork, clock: Clock,
                   working_days: WorkingCalendar) -> list[SubmissionOutcome]:
    """The outcome of each report, in the order asked."""
    ids = [report_id(item.task_id, command.unit_code, item.period) for item in command.reports]
    found = uow.reports.get_many(ids, where=[{"unit_code": command.unit_code, "period": period}
                                             for period in sorted({item.period for item in command.reports})])
    today, periods, listed, read = clock.today(), {}, set(), _Reads(uow)
    submitted: dict[int, Report] = {}
    refused: dict[int, ServiceError] = {}
    for index, (item, the_id) in enumerate(zip(command.reports, ids)):
        try:
            if the_id in listed:
                raise Conflict(f"the report {the_id} is listed more than once in this batch")
            listed.add(the_id)
            submitted[index] = _submitted(item, the_id, found.get(the_id), command.unit_code, principal, uow,
                                          read, lambda plan: _periods(plan, periods, working_days), today)
        except ServiceError as refusal:
            refused[index] = refusal
    conflicts = uow.save_each("report", list(submitted.values()), principal)
    for index, report in list(submitted.items()):
        if report.id in conflicts:
            refused[index] = conflicts[report.id]
            del submitted[index]
    return [SubmissionOutcome(item.task_id, item.period, the_id, submitted.get(index), refused.get(index))
            for index, (item, the_id) in enumerate(zip(command.reports, ids))]


def _submitted(item: ReportSubmission, the_id: str, report: Report | None, unit_code: str, principal: Principal,
               uow: PlansUnitOfWork, read: "_Reads", periods_of, today) -> Report:
    """The report submitted in memory, with the checks of `submit_report` (404, 422 for a period the plan has
    not, 403, 412, then the domain's refusals)."""
    task = read.task(item.task_id)
    plan = read.plan(task.plan_id) if task is not None else None
    plan, task = visible_assignment(principal, item.task_id, unit_code, plan, task)
    with domain_refusals():
        period_named(periods_of(plan), item.period)
    uow.check_change("report", the_id, report, principal, item.expected_version, _seen(plan, task), _written)
    with domain_refusals():
        report.submit(plan, task, today)
    return report


class _Reads:
    """Each plan and task the batch names, read once for the whole batch (its reports are mostly of one plan)."""

    def __init__(self, uow: PlansUnitOfWork):
        self.uow, self.plans, self.tasks = uow, {}, {}

    def plan(self, plan_id: str):
        if plan_id not in self.plans:
            self.plans[plan_id] = self.uow.plans.read(plan_id)
        return self.plans[plan_id]

    def task(self, task_id: str):
        if task_id not in self.tasks:
            self.tasks[task_id] = self.uow.tasks.read(task_id)
        return self.tasks[task_id]


def _periods(plan, known: dict, working_days: WorkingCalendar) -> list:
    if plan.id not in known:
        known[plan.id] = reporting_periods(plan.kind, plan.starts_on, plan.ends_on, plan.summary_report_due_on,
                                           working_days)
    return known[plan.id]


HANDLERS = {SubmitReports: submit_reports}
