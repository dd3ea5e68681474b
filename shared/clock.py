"""Today's date and the time now, from one object each service is given, so tests and benchmarks can move time."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

PROVINCE_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
"""The province's clock: its days bound audit chains and break-the-glass caps."""


def province_today(at: datetime | None = None) -> date:
    """The date in the province (UTC+7) now, or `at`: from 17:00 UTC it is already tomorrow there, and "not in the
    future", due dates and notices go by the province's calendar, not the machine's."""
    return (at or datetime.now(timezone.utc)).astimezone(PROVINCE_TIME).date()


class Clock:
    def __init__(self, today=province_today):
        self.today = today

    @staticmethod
    def now() -> datetime:
        return datetime.now(timezone.utc)


def aware(moment: datetime) -> datetime:
    """A time read back without a zone is UTC: the store keeps UTC, and FerretDB and pymongo drop the zone."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
