"""What every part of a case relies on: the refusals the domain raises (shared/refusals.py, with the case's own
kinds), written reasons, and date arithmetic."""
from __future__ import annotations

import calendar
from datetime import date

from shared.refusals import (REASON_MIN_LENGTH, DecisionInvalid, NotAllowedNow, Refusal, TransitionForbidden,
                             check_reason)
from shared.working_days import WorkingCalendar, add_working_days

__all__ = ["REASON_MIN_LENGTH", "DecisionInvalid", "NotAllowedNow", "Refusal", "TransitionForbidden",
           "TransitionRefused", "SharingRefused", "WorkingCalendar", "add_working_days", "check_reason",
           "check_fact_date", "add_months"]


class TransitionRefused(NotAllowedNow):
    """A workflow step that does not start from the case's stage."""


class SharingRefused(NotAllowedNow):
    """A referral or transfer that cannot be made or settled now."""


def check_fact_date(field_name: str, on: date, opened_on: date, closed_on: date | None, today: date) -> None:
    """A fact about the person happened while the case was open, and not in the future."""
    if on > today:
        raise DecisionInvalid(field_name, "is in the future")
    if on < opened_on:
        raise DecisionInvalid(field_name, "is before the case was opened")
    if closed_on is not None and on > closed_on:
        raise DecisionInvalid(field_name, "is after the case was closed")


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
