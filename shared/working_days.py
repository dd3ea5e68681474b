"""Working days and their arithmetic: legal and reporting deadlines count Monday to Friday, except Vietnamese
public holidays."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Protocol


class WorkingCalendar(Protocol):
    def is_working_day(self, day: date) -> bool: ...


def add_working_days(day: date, count: int, working: WorkingCalendar) -> date:
    """`count` working days after `day`, or before it when `count` is negative."""
    current, step, left = day, timedelta(days=1 if count >= 0 else -1), abs(count)
    while left > 0:
        current += step
        if working.is_working_day(current):
            left -= 1
    return current


class VietnameseWorkingDays:
    """Monday to Friday, except Vietnamese public holidays (the `holidays` package)."""

    def __init__(self):
        import holidays
        self._holidays = holidays.country_holidays("VN")

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays
