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
    """`fresh`: asked of the notifications service now, for a page that also lists alerts (My work, the inbox) or
    answers an acknowledgement; otherwise the person's counts read in the last HEADER_COUNTS_KEPT_SECONDS do."""
    access_token: str
    username: str | None = None
    fresh: bool = False


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


@dataclass(frozen=True)
class FindKeptPage:
    """The page a kept form belongs to, if it is the form of the account of the session `session_token`, or None;
    the form stays kept."""
    handle: str
    session_token: str


@dataclass(frozen=True)
class ListPlanPage:
    access_token: str
    page: int = 1


@dataclass(frozen=True)
class ReadPlanPage:
    """The plan, its tasks, its reports the person may see and its roll-up (the whole plan)."""
    access_token: str
    plan_id: str


@dataclass(frozen=True)
class ReadReportPage:
    """A unit's report on a task for a period; none yet is a blank draft at version 0."""
    access_token: str
    plan_id: str
    task_id: str
    unit_code: str
    period: str


@dataclass(frozen=True)
class ReadHotspots:
    access_token: str


@dataclass(frozen=True)
class ExportCaseList:
    """The cases API's spreadsheet of the filtered list, for a stated purpose (register_pages.py)."""
    access_token: str
    purpose: str
    terms: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ReadMethadonePage:
    """The case (its version and therapy section) and the dose log, read through the cases API, which audits
    both and answers the clinical section only to the treating clinic and consented units."""
    access_token: str
    case_id: str


@dataclass(frozen=True)
class ReadDisclosures:
    """A case's accounting of disclosures from the cases and the notifications APIs, which answer it only to the
    inspectorate whose areas cover the case and audit the read."""
    access_token: str
    case_id: str


@dataclass(frozen=True)
class ReadReferralUnits:
    """The plans service's unit directory, for the referral form's list of units."""
    access_token: str


@dataclass(frozen=True)
class ListSecurityKeys:
    """The signed-in session's account's keys and the account's version (the If-Match of a removal)."""
    session_token: str


@dataclass(frozen=True)
class ReadSecondFactors:
    """Which second steps a session awaiting one may take: (a code, a security key)."""
    session_token: str
