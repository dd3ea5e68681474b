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


@dataclass(frozen=True)
class SearchCases:
    access_token: str
    terms: tuple[tuple[str, str], ...] = ()
    """(name, value) pairs of SEARCH_TERMS with a value."""
    page: int = 1


@dataclass(frozen=True)
class ReadCasePage:
    """One read of the case through the cases API (which audits it), its history and the workflows' stage names."""
    access_token: str
    case_id: str


@dataclass(frozen=True)
class ReadStageNames:
    """The workflows' stages, for the search form's stage list."""
    access_token: str

@dataclass(frozen=True)
class ListClients:
    """The service clients within the admin's areas (an agency has a handful: no filter)."""


@dataclass(frozen=True)
class ReadUnitDirectory:
    """The plans service's unit directory, for the admin pages."""
    access_token: str
    page: int = 1


@dataclass(frozen=True)
class ReadRoutingRules:
    """The notifications service's routing rules (current versions), for the admin pages."""
    access_token: str


@dataclass(frozen=True)
class DryRunRouting:
    """A stored rule tried on a sample event: nothing is stored or sent. `data` holds the sample's (field, value)
    pairs as typed."""
    access_token: str
    rule_id: str
    event_type: str
    area_code: str = ""
    data: tuple[tuple[str, str], ...] = ()

