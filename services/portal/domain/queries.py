"""What callers ask the portal to read."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReadAccount:
    username: str


@dataclass(frozen=True)
class ListAccounts:
    unit: str | None = None


@dataclass(frozen=True)
class ReadClient:
    client_id: str


@dataclass(frozen=True)
class ReadSession:
    """The signed-in account of a session (and its stage); an idle session ends here."""
    session_token: str


@dataclass(frozen=True)
class SignInLog:
    username: str
    limit: int = 50


@dataclass(frozen=True)
class ReadInbox:
    access_token: str
    box: str = "all"
    urgent: bool | None = None
    unacknowledged: bool = False
    page: int = 1


@dataclass(frozen=True)
class ReadInboxCounts:
    access_token: str


@dataclass(frozen=True)
class ReadMyWork:
    access_token: str
