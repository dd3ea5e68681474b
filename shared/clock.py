"""Today's date and the time now, from one object each service is given, so tests and benchmarks can move time."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

PROVINCE_TIME = ZoneInfo("Asia/Ho_Chi_Minh")
"""The province's clock: its days bound audit chains and break-the-glass caps."""


class Clock:
    def __init__(self, today=date.today):
        self.today = today

    @staticmethod
    def now() -> datetime:
        return datetime.now(timezone.utc)


def aware(moment: datetime) -> datetime:
    """A time read back without a zone is UTC: the store keeps UTC, and FerretDB and pymongo drop the zone."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
