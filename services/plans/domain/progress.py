"""How far an assignment and a task have got: `not_started`, `on_track`, `at_risk` (behind a linear pace once
half the period has passed), `overdue` (past due and not done) or `done` (the final report approved, or every
share reached). A task's status is its assignments' (the worst that applies); a task without assignments is
measured against its own targets."""
from __future__ import annotations

from datetime import date
from typing import Protocol

from services.plans.domain.periods import FINAL
from services.plans.domain.reports import APPROVED, UNDER_REVIEW

NOT_STARTED, ON_TRACK, AT_RISK, OVERDUE, DONE = "not_started", "on_track", "at_risk", "overdue", "done"
TASK_STATUSES = (NOT_STARTED, ON_TRACK, AT_RISK, OVERDUE, DONE)
PACE_CHECKED_FROM = 0.5
"""Share of the period after which being behind a linear pace puts work at risk."""


class ReportFigures(Protocol):
    """What progress needs of a report (the read model's ReportRow has it)."""
    period: str
    status: str
    values: dict[str, float]
    approved_values: dict[str, float] | None




def _standing(report: ReportFigures, approved_only: bool) -> dict[str, float] | None:
    """The figures a report stands for: the approved ones, or (for pace) the newest submitted ones."""
    if not approved_only and report.status in UNDER_REVIEW:
        return report.values
    return report.approved_values


def reported_figures(reports: list[ReportFigures], approved_only: bool = False) -> dict[str, float] | None:
    """A unit's figures so far on one assignment: the final report's, which stand for the whole period, or else the
    sum of the interim reports'; None when nothing is reported. Drafts and returned reports do not count (a
    returned revision leaves the figures approved before it)."""
    final = next((r for r in reports if r.period == FINAL and _standing(r, approved_only) is not None), None)
    if final is not None:
        return dict(_standing(final, approved_only))
    interim = [f for r in reports if r.period != FINAL and (f := _standing(r, approved_only)) is not None]
    if not interim:
        return None
    totals: dict[str, float] = {}
    for figures in interim:
        for code, value in figures.items():
            totals[code] = totals.get(code, 0) + value
    return totals


def final_approved(reports: list[ReportFigures]) -> bool:
    return any(r.period == FINAL and r.status == APPROVED for r in reports)


def elapsed(starts_on: date, due_on: date, today: date) -> float:
    """The share of the period that has passed, 0 to 1."""
    if today <= starts_on:
        return 0.0
    if today >= due_on:
        return 1.0
    return (today - starts_on).days / max((due_on - starts_on).days, 1)


def achieved(targets: dict[str, float], actual: dict[str, float]) -> float:
    """The least share of a target reached, 0 to 1; targets of 0 do not count (nothing to reach)."""
    ratios = [min(actual.get(code, 0) / target, 1.0) for code, target in targets.items() if target > 0]
    return min(ratios) if ratios else 1.0


def status_of(targets: dict[str, float], actual: dict[str, float], reported: bool, final_approved: bool,
              starts_on: date, due_on: date, today: date) -> str:
    progress = achieved(targets, actual)
    if final_approved or (reported and progress >= 1.0):
        return DONE
    if today > due_on:
        return OVERDUE
    passed = elapsed(starts_on, due_on, today)
    if passed > PACE_CHECKED_FROM and progress < passed:
        return AT_RISK
    return ON_TRACK if reported else NOT_STARTED


def assignment_status(shares: dict[str, float], reports: list[ReportFigures], starts_on: date, due_on: date,
                      today: date) -> str:
    figures = reported_figures(reports)
    return status_of(shares, figures or {}, figures is not None, final_approved(reports), starts_on, due_on, today)


def combined(statuses: list[str]) -> str:
    """A task's status from its assignments': all done is done, then the worst of overdue and at risk; all not
    started is not started; otherwise on track."""
    if not statuses:
        return NOT_STARTED
    if all(s == DONE for s in statuses):
        return DONE
    for worst in (OVERDUE, AT_RISK):
        if worst in statuses:
            return worst
    return NOT_STARTED if all(s == NOT_STARTED for s in statuses) else ON_TRACK
