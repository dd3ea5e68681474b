"""What callers ask to read; service_layer answers through the read model (views.py)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Inbox:
    """The alerts of the caller's unit within their areas, newest first: `box` is one of domain/inbox.py BOXES
    (the caller's own read state), the other fields narrow it."""
    box: str = "all"
    urgent: bool | None = None
    category: str | None = None
    unacknowledged: bool = False
    first: int = 0
    limit: int = 50


@dataclass(frozen=True)
class InboxCounts:
    """How many of the caller's inbox alerts are unread, read, archived, unacknowledged, urgent and unacknowledged."""


@dataclass(frozen=True)
class ReadAlert:
    """One alert of the caller's inbox; reading it marks it read for the caller."""
    alert_id: str


@dataclass(frozen=True)
class ReadInboxState:
    alert_id: str


@dataclass(frozen=True)
class ReadAckLink:
    """What a signed acknowledgement link is for, to show before anything is acknowledged (GET never acts)."""
    token: str


@dataclass(frozen=True)
class ListDisclosures:
    """The accounting of disclosures of one case, for the inspectorate."""
    case_id: str
    first: int = 0
    limit: int = 50
