"""A unit's deadlines in the plans in force: the due dates of the tasks it leads, supports or is assigned, the
report deadlines of each of its live assignments per reporting period, and, for the unit that coordinates a plan,
the date the plan's summary report is due upward.

Each deadline has an identity that does not change when its date does (an amendment moves a due date), so a
calendar subscribed to the feed moves the event instead of adding a second one. Deadlines carry tasks, plans and
dates only: never a person (not even the plan's signer)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared import areas
from shared.working_days import WorkingCalendar

from services.plans.domain.access import COORDINATORS
from services.plans.domain.periods import FINAL, ReportingPeriod, owes, reporting_periods

COORDINATING_UNIT_KINDS = ("provincial_committee", "commune_committee")
"""The People's Committee of the plan's area, where the standing office sits, compiles and sends the summary
report: its unit's calendar carries the plan's summary report due date."""
ROLE_WORDS = {"lead": "chủ trì", "supporting": "phối hợp", "assigned": "được giao"}


@dataclass(frozen=True)
class Deadline:
    key: str
    """Stable within the unit's calendar: what is due, never when."""
    due_on: date
    summary: str
    description: str


def may_mint_calendar_token(principal, unit) -> bool:
    """The unit's own reporters, and the plan coordinators (or admins) of its area, subscribe to its calendar."""
    own = principal.has_role("unit_reporter") and principal.unit == unit.id
    coordinator = principal.has_role(*COORDINATORS) and areas.within_any(principal.areas, unit.area_code)
    return own or coordinator


def unit_deadlines(unit, plans: dict, tasks: list, working: WorkingCalendar) -> list[Deadline]:
    """The unit's deadlines in the live plans among `plans` (by id), from `tasks` (those of any plan), by date."""
    deadlines = []
    for task in tasks:
        plan = plans.get(task.plan_id)
        if plan is not None and plan.is_live:
            deadlines += _task_deadlines(unit.id, plan, task, working)
    for plan in plans.values():
        if plan.is_live and coordinates(unit, plan) and plan.summary_report_due_on:
            deadlines.append(Deadline(f"summary-report.{plan.id}", plan.summary_report_due_on,
                                      f"Hạn báo cáo tổng hợp kết quả {_plan_words(plan)} gửi cấp trên",
                                      _plan_line(plan)))
    return sorted(deadlines, key=lambda d: (d.due_on, d.key))


def coordinates(unit, plan) -> bool:
    return unit.kind in COORDINATING_UNIT_KINDS and unit.area_code == plan.area_code


def role_in(unit_code: str, task) -> str | None:
    """How the unit takes part in the task: it leads, supports, or only holds an assignment that was not waived."""
    if task.lead_unit == unit_code:
        return "lead"
    if unit_code in task.supporting_units:
        return "supporting"
    assignment = task.assignments.get(unit_code)
    return "assigned" if assignment is not None and not assignment.waived else None


def _task_deadlines(unit_code: str, plan, task, working: WorkingCalendar) -> list[Deadline]:
    role = role_in(unit_code, task)
    if role is None:
        return []
    about = f"{_plan_line(plan)}\nNhiệm vụ: {task.title}\nĐơn vị chủ trì: {task.lead_unit}"
    deadlines = [Deadline(f"task-due.{task.id}", task.due_on,
                          f"Hạn hoàn thành nhiệm vụ ({ROLE_WORDS[role]}): {task.title}", about)]
    assignment = task.assignments.get(unit_code)
    if assignment is None or assignment.waived:
        return deadlines
    for period in reporting_periods(plan.kind, plan.starts_on, plan.ends_on, plan.summary_report_due_on, working):
        if not owes(task, period):
            continue
        deadlines.append(Deadline(f"report-due.{task.id}.{period.code}", period.due_on,
                                  f"Hạn nộp báo cáo {period_words(period)}: {task.title}",
                                  f"{about}\nKỳ báo cáo: {period.starts_on:%d/%m/%Y} - {period.ends_on:%d/%m/%Y}"))
    return deadlines


def period_words(period: ReportingPeriod) -> str:
    """'tuần 2 (08/06 - 14/06)', 'tháng 06/2026' or 'cuối kỳ' (the final report)."""
    if period.kind == FINAL:
        return "cuối kỳ"
    if period.kind == "weekly":
        return f"tuần {period.code[1:]} ({period.starts_on:%d/%m} - {period.ends_on:%d/%m})"
    return f"tháng {period.starts_on:%m/%Y}"


def _plan_words(plan) -> str:
    return f"Kế hoạch {plan.document_number}" if plan.document_number else "kế hoạch"


def _plan_line(plan) -> str:
    number = f" số {plan.document_number}" if plan.document_number else ""
    return f"Kế hoạch{number}: {plan.title}"
