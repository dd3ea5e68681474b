"""What the portal's pages ask of the three services, on behalf of the signed-in person.

Every message carries that person's own short-lived access token: the services decide what the person may see and
do, and the portal never widens it. A refusal or silence of a service is a `ServiceProblem`, which the pages turn
into a message."""
from __future__ import annotations

from datetime import date, datetime

NOT_PERMITTED, NOT_FOUND, CONFLICT, STALE, INVALID, UNAVAILABLE, SIGNED_OUT = (
    "not_permitted", "not_found", "conflict", "stale", "invalid", "unavailable", "signed_out")
PROBLEM_OF_STATUS = {401: SIGNED_OUT, 403: NOT_PERMITTED, 404: NOT_FOUND, 409: CONFLICT, 412: STALE}
INBOX_PAGE_SIZE = 25
BOXES = ("all", "unread", "read", "archived")
"""The inbox's boxes as the notifications API names them: your own state of each alert."""


class ServiceProblem(Exception):
    """A service refused or did not answer. `kind` chooses the message people read; `field` and `why` name the
    input a 400/422 refused."""

    def __init__(self, service: str, kind: str, status: int | None = None, field: str | None = None,
                 why: str | None = None):
        super().__init__(f"{service}: {kind} ({status})")
        self.service, self.kind, self.status, self.field, self.why = service, kind, status, field, why

    @classmethod
    def of_answer(cls, service: str, status: int, document: dict | None) -> "ServiceProblem":
        if status >= 500:
            return cls(service, UNAVAILABLE, status)
        if status in PROBLEM_OF_STATUS:
            return cls(service, PROBLEM_OF_STATUS[status], status)
        errors = (document or {}).get("errors") or {}
        field, messages = next(iter(errors.items()), (None, None))
        why = messages[0] if isinstance(messages, list) and messages else (document or {}).get("detail")
        return cls(service, INVALID, status, field, str(why) if why else None)


def day_of(value) -> date | None:
    """A service's ISO day ("2026-11-20", or the day of a timestamp) as a date; None for anything else, so an odd
    answer shows as "—" rather than failing the page."""
    try:
        return date.fromisoformat(value[:10]) if isinstance(value, str) and value else None
    except ValueError:
        return None


def moment_of(value) -> datetime | None:
    """A service's ISO timestamp as a datetime; None for anything else."""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) and value else None
    except ValueError:
        return None
