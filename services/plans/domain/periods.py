"""The periods a plan's units report for, and when each report is due.

During the Action Month units report weekly (weeks counted from the plan's first day, the last one cut at its
end); in a yearly or thematic plan monthly (calendar months cut at the plan's period); in every plan a final report
for the whole period. An interim report is due a few working days after its period ends; the final report early
enough before the province's own summary report is due upward for the standing office to compile it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from shared.refusals import DecisionInvalid
from shared.working_days import WorkingCalendar, add_working_days

FINAL = "final"
INTERIM_REPORT_WORKING_DAYS = 2
"""Working days after an interim period ends by which its report is due (configuration; default)."""
COMPILING_WORKING_DAYS = 3
"""Working days the standing office keeps between the units' final reports and the province's summary report."""
FINAL_REPORT_WORKING_DAYS = 5
"""Without a summary report date: working days after the plan ends by which final reports are due."""


@dataclass(frozen=True)
class ReportingPeriod:
    code: str
    kind: str
    starts_on: date
    ends_on: date
    due_on: date

    def holds(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


def _weeks(starts_on: date, ends_on: date):
    number, start = 1, starts_on
    while start <= ends_on:
        yield f"W{number}", "weekly", start, min(start + timedelta(days=6), ends_on)
        number, start = number + 1, start + timedelta(days=7)


def _months(starts_on: date, ends_on: date):
    start = starts_on
    while start <= ends_on:
        next_month = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        yield f"{start:%Y-%m}", "monthly", start, min(next_month - timedelta(days=1), ends_on)
        start = next_month


def reporting_periods(kind: str, starts_on: date, ends_on: date, summary_report_due_on: date | None,
                      working: WorkingCalendar) -> list[ReportingPeriod]:
    interim = _weeks(starts_on, ends_on) if kind == "action_month" else _months(starts_on, ends_on)
    periods = [ReportingPeriod(code, period_kind, start, end, add_working_days(end, INTERIM_REPORT_WORKING_DAYS,
                                                                               working))
               for code, period_kind, start, end in interim]
    final_due = (add_working_days(summary_report_due_on, -COMPILING_WORKING_DAYS, working)
                 if summary_report_due_on else add_working_days(ends_on, FINAL_REPORT_WORKING_DAYS, working))
    return [*periods, ReportingPeriod(FINAL, FINAL, starts_on, ends_on, max(final_due, ends_on))]


def owes(task, period: ReportingPeriod) -> bool:
    """An assignment owes the final report, and an interim report for each period its task's span touches: a task
    of July and August reports for July and August, never for the months before it starts."""
    return period.code == FINAL or (period.starts_on <= task.due_on and period.ends_on >= task.starts_on)


def period_named(periods: list[ReportingPeriod], code: str, field_name: str = "period") -> ReportingPeriod:
    """The plan's period of that code; any other is outside the plan (422 naming the field)."""
    for period in periods:
        if period.code == code:
            return period
    raise DecisionInvalid(field_name, f"{code!r} is not a reporting period of this plan: "
                                      f"{', '.join(p.code for p in periods)}")
