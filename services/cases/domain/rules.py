"""What every part of a case relies on: the refusals the domain raises, written reasons, and date arithmetic.

The service layer turns each kind of refusal into one kind of answer (service_layer/unit_of_work.py): an invalid
decision or fact names its field (422), a step not allowed now names what is (409), a role that may not take a step
is forbidden (403).
"""
from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Protocol


class Refusal(Exception):
    """The domain will not record this."""


class DecisionInvalid(Refusal):
    """A decision field or a fact is missing or breaks a rule; `field` names it."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


class NotAllowedNow(Refusal):
    """Not possible in the case's current state; `allowed` names what is, where that helps."""

    def __init__(self, message: str, allowed: list[str] | None = None):
        super().__init__(message)
        self.allowed = allowed


class TransitionRefused(NotAllowedNow):
    """A workflow step that does not start from the case's stage."""


class SharingRefused(NotAllowedNow):
    """A referral or transfer that cannot be made or settled now."""


class TransitionForbidden(Refusal):
    """The caller's role may not take this workflow step."""


REASON_MIN_LENGTH = 5


def check_reason(reason: str | None, minimum: int = REASON_MIN_LENGTH, field_name: str = "reason") -> None:
    """A written reason: refusals, revocations, dismissals and break-the-glass must say why."""
    if not reason or len(reason.strip()) < minimum:
        raise DecisionInvalid(field_name, f"say why, in at least {minimum} characters")


def check_fact_date(field_name: str, on: date, opened_on: date, closed_on: date | None, today: date) -> None:
    """A fact about the person happened while the case was open, and not in the future."""
    if on > today:
        raise DecisionInvalid(field_name, "is in the future")
    if on < opened_on:
        raise DecisionInvalid(field_name, "is before the case was opened")
    if closed_on is not None and on > closed_on:
        raise DecisionInvalid(field_name, "is after the case was closed")


class WorkingCalendar(Protocol):
    def is_working_day(self, day: date) -> bool: ...


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_working_days(day: date, count: int, working: WorkingCalendar) -> date:
    current = day
    while count > 0:
        current += timedelta(days=1)
        if working.is_working_day(current):
            count -= 1
    return current
