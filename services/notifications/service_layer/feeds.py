"""An agency's current alerts as an Atom feed carrying each alert's CAP 1.2 message, and each one's CAP message
alone, for agency systems that poll rather than receive webhooks.

Feed readers cannot send a bearer token, so the URL carries a secret of the agency's, as the plans calendar does:
minted by a caller of that unit who works cases (the feed carries its case alerts, which the unit's other roles may
not read: domain/access.py) or an admin of its areas, shown once, kept only as its SHA-256 and compared in
constant time, replaced whenever a new one is minted (a URL that leaked stops working). A missing secret answers
401, a wrong one 403, the same whether the unit exists or not. "Current" means open: a resolved alert leaves the
feed (and its CAP message answers 404), rather than staying as a CAP Cancel."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.clock import Clock
from shared.errors import ConcurrencyConflict, Conflict, NotAuthorised, NotFound, ServiceError, expect_version

from services.notifications.domain.access import CASE_READERS
from services.notifications.domain.commands import MintFeedToken
from services.notifications.domain.model import Alert
from services.notifications.domain.queries import ReadAgencyCap, ReadAgencyFeed
from services.notifications.service_layer.members import administers
from services.notifications.service_layer.ports import UnitDirectory

TOKEN_BYTES = 32
FEED_SIZE = 100
NOWHERE = hashlib.sha256(b"no feed token was minted").hexdigest()
"""Compared against when the unit has no token, so an answer takes as long whether it has one or not."""


class FeedTokenMissing(ServiceError):
    status, title = 401, "Unauthorized"


class FeedTokens(Protocol):
    """The agencies' feed secrets, each kept as its SHA-256 hex digest (adapters/feed_tokens.py)."""

    def digest_of(self, unit_code: str) -> str | None: ...

    def generation_of(self, unit_code: str) -> int:
        """How many secrets the unit has had (0: none yet)."""

    def replace(self, unit_code: str, digest: str, minted_at: datetime, minted_by: str) -> int:
        """Keep `digest` as the unit's secret; raises ConcurrencyConflict when another was minted meanwhile."""


class OpenAlerts(Protocol):
    def open_of_unit(self, unit_code: str, limit: int) -> list[Alert]:
        """The unit's open alerts, newest first."""


class CapMessages(Protocol):
    def cap(self, alert: Alert, msg_type: str = "Alert") -> bytes: ...


class AlertStore(Protocol):
    def get(self, alert_id: str) -> Alert | None: ...


@dataclass(frozen=True)
class MintedFeedToken:
    unit_code: str
    token: str
    generation: int


@dataclass(frozen=True)
class FeedItem:
    alert: Alert
    cap: bytes


@dataclass(frozen=True)
class AgencyFeed:
    unit_code: str
    updated: datetime
    items: tuple[FeedItem, ...]


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def mint_feed_token(command: MintFeedToken, principal, feed_tokens: FeedTokens, directory: UnitDirectory,
                    clock: Clock) -> MintedFeedToken:
    own_case_staff = principal.unit == command.unit_code and principal.has_role(*CASE_READERS)
    if not (own_case_staff or administers(principal, command.unit_code, directory)):
        raise NotAuthorised("only the agency's own staff who work cases and the admins of its areas mint its feed "
                            "secret")
    expect_version(feed_tokens.generation_of(command.unit_code), command.expected_version)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    try:
        generation = feed_tokens.replace(command.unit_code, digest(token), clock.now(), principal.subject)
    except ConcurrencyConflict:
        raise Conflict("another secret was minted for this feed at the same moment: mint again") from None
    return MintedFeedToken(command.unit_code, token, generation)


def _opened(unit_code: str, token: str | None, feed_tokens: FeedTokens) -> None:
    if not token:
        raise FeedTokenMissing("give the agency's feed secret as ?token=")
    stored = feed_tokens.digest_of(unit_code)
    if not hmac.compare_digest(stored or NOWHERE, digest(token)) or stored is None:
        raise NotAuthorised("this secret does not open this feed")


def read_agency_feed(query: ReadAgencyFeed, principal, feed_tokens: FeedTokens, views: OpenAlerts,
                     content: CapMessages, clock: Clock) -> AgencyFeed:
    _opened(query.unit_code, query.token, feed_tokens)
    alerts = views.open_of_unit(query.unit_code, FEED_SIZE)
    updated = max((alert.raised.raised_at for alert in alerts), default=clock.now())
    return AgencyFeed(query.unit_code, updated, tuple(FeedItem(alert, content.cap(alert)) for alert in alerts))


def read_agency_cap(query: ReadAgencyCap, principal, feed_tokens: FeedTokens, alerts: AlertStore,
                    content: CapMessages) -> bytes:
    _opened(query.unit_code, query.token, feed_tokens)
    alert = alerts.get(query.alert_id)
    if alert is None or alert.raised is None or alert.raised.recipient_unit != query.unit_code or not alert.open:
        raise NotFound("no current alert of this agency has that id")
    return content.cap(alert)


HANDLERS = {MintFeedToken: mint_feed_token, ReadAgencyFeed: read_agency_feed, ReadAgencyCap: read_agency_cap}
