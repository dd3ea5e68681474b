"""The pages' reads and the acknowledgement: each a call, or two, to the services' APIs with the person's own
token, shaped for the templates. A service that refuses or is silent leaves its part of a page empty with a
problem to show; the other parts still render."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from services.portal.domain.commands import AcknowledgeFromInbox, StartHeader
from services.portal.domain.pages import INBOX_PAGE_SIZE, ServiceProblem, day_of, moment_of
from services.portal.domain.queries import ReadInbox, ReadInboxCounts, ReadMyWork

URGENT_ON_TOP = 100
"""At most this many urgent unacknowledged alerts head the inbox, whatever page or filter is shown."""


class ServicesApi(Protocol):
    """The three services' HTTP APIs, called with a person's access token; refusals raise ServiceProblem."""

    def get(self, service: str, path: str, token: str, params: dict | None = None) -> tuple[object, dict]: ...

    def get_many(self, calls: list[tuple[str, str, dict | None]], token: str) -> list:
        """Independent reads at once: each answer as `get` gives it, or the ServiceProblem it raised, in order."""

    def ahead(self, calls: list[tuple[str, str, dict | None]], token: str) -> None:
        """Start reads the same request will `get` later."""

    def put(self, service: str, path: str, token: str, headers: dict | None = None) -> object: ...


@dataclass(frozen=True)
class AlertRow:
    """An alert as a page shows it; any open alert nobody acknowledged yet may be acknowledged (the count in the
    header), not only those whose rule requires it."""
    id: str
    version: int
    category: str
    title_vi: str
    title_en: str
    urgent: bool
    raised_at: datetime | None
    awaits_acknowledgement: bool
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    state: str | None

    @classmethod
    def of(cls, alert: dict) -> "AlertRow":
        return cls(id=alert["id"], version=int(alert["version"]), category=alert.get("category", ""),
                   title_vi=alert.get("title_vi", ""), title_en=alert.get("title_en", ""),
                   urgent=bool(alert.get("urgent")), raised_at=moment_of(alert.get("raised_at")),
                   awaits_acknowledgement=bool(alert.get("open") and not alert.get("acknowledged_by")),
                   acknowledged_by=alert.get("acknowledged_by"),
                   acknowledged_at=moment_of(alert.get("acknowledged_at")), state=alert.get("state"))


@dataclass(frozen=True)
class InboxPage:
    urgent: list[AlertRow]
    alerts: list[AlertRow]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class WorkItem:
    case_id: str
    case_number: str
    stage: str
    next_due_on: date | None
    due: dict[str, date]

    @classmethod
    def of(cls, item: dict) -> "WorkItem":
        return cls(item["case_id"], item.get("case_number", ""), item.get("stage", ""),
                   day_of(item.get("next_due_on")), {name: day_of(on) for name, on in (item.get("due") or {}).items()})


@dataclass(frozen=True)
class ProposalItem:
    """A termination proposal of methadone treatment for the treating clinic's health workers to decide."""
    case_id: str
    case_number: str
    ground: str
    proposed_on: date | None


@dataclass
class MyWorkPage:
    overdue: list[WorkItem] = field(default_factory=list)
    due_soon: list[WorkItem] = field(default_factory=list)
    urgent_alerts: list[AlertRow] = field(default_factory=list)
    termination_proposals: list[ProposalItem] = field(default_factory=list)
    problems: list[ServiceProblem] = field(default_factory=list)


URGENT_ALERTS = ("notifications", "/inbox", {"urgent": "true", "unacknowledged": "true", "page_size": URGENT_ON_TOP})


def _awaiting(body: list) -> list[AlertRow]:
    return [row for row in map(AlertRow.of, body) if row.awaits_acknowledgement]


def _urgent_unacknowledged(token: str, services_api: ServicesApi) -> list[AlertRow]:
    service, path, params = URGENT_ALERTS
    return _awaiting(services_api.get(service, path, token, params)[0])


def read_inbox(query: ReadInbox, principal, services_api: ServicesApi) -> InboxPage:
    """The urgent alerts nobody acknowledged yet come first, on every page; the filtered list follows, newest
    first, without them."""
    urgent = _urgent_unacknowledged(query.access_token, services_api)
    params = {"box": query.box, "unacknowledged": str(query.unacknowledged).lower(), "page": query.page,
              "page_size": INBOX_PAGE_SIZE}
    if query.urgent is not None:
        params["urgent"] = str(query.urgent).lower()
    body, headers = services_api.get("notifications", "/inbox", query.access_token, params)
    on_top = {row.id for row in urgent}
    total, pages = _pagination(headers, len(body))
    return InboxPage(urgent=urgent, alerts=[row for row in map(AlertRow.of, body) if row.id not in on_top],
                     page=query.page, pages=pages, total=total)


def _pagination(headers: dict, count: int) -> tuple[int, int]:
    """flask-smorest's X-Pagination header (absent when everything fits on one page)."""
    try:
        described = json.loads(headers.get("X-Pagination") or "{}")
    except ValueError:
        described = {}
    return int(described.get("total", count)), max(int(described.get("total_pages", 1)), 1)


INBOX_COUNTS = ("notifications", "/inbox/counts", None)


def read_inbox_counts(query: ReadInboxCounts, principal, services_api: ServicesApi, header_counts) -> dict:
    kept = None if query.fresh or not query.username else header_counts.recent(query.username)
    if kept is not None:
        return kept
    service, path, params = INBOX_COUNTS
    asked_at = header_counts.now()
    body, _headers = services_api.get(service, path, query.access_token, params)
    if query.username:
        header_counts.keep(query.username, body, asked_at)
    return body


def start_header(command: StartHeader, principal, services_api: ServicesApi, header_counts) -> None:
    """The header's counts, asked as soon as the page has its token, so they come back while it reads its own;
    not at all when the person's recent counts will do (`header_counts`: views.RecentHeaderCounts)."""
    if command.fresh or not command.username or header_counts.recent(command.username) is None:
        services_api.ahead([INBOX_COUNTS], command.access_token)


def read_my_work(query: ReadMyWork, principal, services_api: ServicesApi) -> MyWorkPage:
    """The person's cases and the urgent alerts, read at once; either one failing leaves its part empty with a
    message."""
    page = MyWorkPage()
    work, urgent = services_api.get_many([("cases", "/cases/my-work", None), URGENT_ALERTS], query.access_token)
    if isinstance(work, ServiceProblem):
        page.problems.append(work)
    else:
        page.overdue = [WorkItem.of(item) for item in work[0].get("overdue", [])]
        page.due_soon = [WorkItem.of(item) for item in work[0].get("due_soon", [])]
        page.termination_proposals = [
            ProposalItem(item["case_id"], item.get("case_number", ""), item.get("ground", ""),
                         day_of(item.get("proposed_on"))) for item in work[0].get("termination_proposals") or []
            if isinstance(item, dict) and item.get("case_id")]
    if isinstance(urgent, ServiceProblem):
        page.problems.append(urgent)
    else:
        page.urgent_alerts = _awaiting(urgent[0])
    return page


def acknowledge_from_inbox(command: AcknowledgeFromInbox, principal, services_api: ServicesApi) -> AlertRow:
    alert = services_api.put("notifications", f"/inbox/{command.alert_id}/acknowledgement", command.access_token,
                             {"If-Match": f'"{command.version}"'})
    return AlertRow.of(alert)


HANDLERS = {ReadInbox: read_inbox, ReadInboxCounts: read_inbox_counts, ReadMyWork: read_my_work,
            AcknowledgeFromInbox: acknowledge_from_inbox, StartHeader: start_header}
