"""A person's inbox: their unit's alerts within their areas, each unread until they read or archive it.

The unit's alerts are shared; whether one has been read is each person's own (`InboxState`), kept only for the
alerts they touched, so an alert nobody opened costs nothing per member."""
from __future__ import annotations

from dataclasses import dataclass

from shared import areas

from services.notifications.domain.access import hidden_subject_types

UNREAD, READ, ARCHIVED = "unread", "read", "archived"
STATES = (UNREAD, READ, ARCHIVED)
ALL = "all"
BOXES = (UNREAD, READ, ARCHIVED, ALL)
TOUCHED = (READ, ARCHIVED)


@dataclass(frozen=True)
class InboxState:
    """One person's state of one alert; `version` counts its changes (the ETag of `/inbox/{id}/state`)."""
    subject: str
    alert_id: str
    state: str = UNREAD
    version: int = 0


@dataclass(frozen=True)
class InboxScope:
    """Which of the stored alerts a person may see, as equality and `$in` filters on the alert snapshots' top-level
    copies: their unit, an area inside their areas (or none), and no subject hidden from their roles."""
    unit: str
    area_codes: tuple[str, ...]
    hidden_subject_types: tuple[str, ...]

    @classmethod
    def of(cls, principal) -> "InboxScope":
        return cls(principal.unit or "", codes_within(principal.areas), hidden_subject_types(principal))


@dataclass(frozen=True)
class InboxFilter:
    urgent: bool | None = None
    category: str | None = None
    unacknowledged: bool = False


def codes_within(area_codes) -> tuple[str, ...]:
    """Every area code inside the given areas (a province and its communes), so that "within the caller's areas"
    is an `$in` on the alert's `area_code` (shared/areas.py `covers`, spelt out)."""
    codes: set[str] = set()
    for code in area_codes:
        codes.add(code)
        if areas.is_province(code):
            codes.update(commune for commune, _name in areas.communes_of(code))
    return tuple(sorted(codes))
