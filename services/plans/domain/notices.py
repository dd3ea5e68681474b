"""Deadlines the daily timer notices: a task due within the warning period or past due and not done, and a
unit's report due soon or missing after its due date. Each is noticed once (the task remembers it), and again
only if its due date moves."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from services.plans.domain.periods import ReportingPeriod, owes
from services.plans.domain.progress import DONE
from services.plans.domain.reports import APPROVED, UNDER_REVIEW

WARNING_DAYS = 7
"""Days before a deadline when its unit is told it is due soon (configuration; default)."""
TASK_DUE_SOON, TASK_OVERDUE = "plans.task.due_soon", "plans.task.overdue"
REPORT_DUE_SOON, REPORT_OVERDUE = "plans.report.due_soon", "plans.report.overdue"
DEADLINE_NOTICES = (TASK_DUE_SOON, TASK_OVERDUE, REPORT_DUE_SOON, REPORT_OVERDUE)
ACCOUNTED = (*UNDER_REVIEW, APPROVED)
"""Report statuses that meet a deadline: a draft or a returned report does not."""


@dataclass(frozen=True)
class Notice:
    notice: str
    unit_code: str
    due_on: date
    period: str | None = None

    @property
    def key(self) -> str:
        return f"{self.notice}:{self.unit_code}:{self.period or ''}:{self.due_on.isoformat()}"


def _notice_of(due_on: date, today: date, soon: str, late: str) -> str | None:
    if today > due_on:
        return late
    if today >= due_on - timedelta(days=WARNING_DAYS):
        return soon
    return None


def task_deadline(task, status: str, today: date) -> Notice | None:
    """The lead unit is told its task is due soon or overdue, unless the task is done."""
    notice = None if status == DONE else _notice_of(task.due_on, today, TASK_DUE_SOON, TASK_OVERDUE)
    return Notice(notice, task.lead_unit, task.due_on) if notice else None


def report_deadlines(task, periods: list[ReportingPeriod], accounted: set[tuple[str, str]],
                     today: date) -> list[Notice]:
    """Each live assignment's reports due soon or missing; `accounted` holds (unit, period) already reported."""
    deadlines = []
    for assignment in task.live_assignments():
        for period in periods:
            if (assignment.unit_code, period.code) in accounted or not owes(task, period):
                continue
            notice = _notice_of(period.due_on, today, REPORT_DUE_SOON, REPORT_OVERDUE)
            if notice:
                deadlines.append(Notice(notice, assignment.unit_code, period.due_on, period.code))
    return deadlines
