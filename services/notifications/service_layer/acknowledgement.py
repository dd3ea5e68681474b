"""Acknowledging an alert: in the inbox or by API (the caller's unit, within their areas, If-Match), or through the
signed one-time link of an e-mail or SMS (the link is the credential).

The next levels' alerts and the original are one matter: acknowledging an alert a next level received also
acknowledges the original (which stops its escalation), and once the original is acknowledged the open alerts the
next levels received are resolved ("acknowledged_at_origin")."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.clock import Clock
from shared.envelope import Actor
from shared.errors import ConcurrencyConflict, Conflict, NotFound, ServiceError
from shared.ports import Repository

from services.notifications.domain.commands import AcknowledgeAlert, AcknowledgeByLink
from services.notifications.domain.model import Alert, AlreadyAcknowledged, AlreadyResolved
from services.notifications.domain.queries import ReadAckLink
from services.notifications.service_layer.inbox import InboxStates, mark_read
from services.notifications.service_layer.unit_of_work import AlertsUnitOfWork

RESOLVED_AT_ORIGIN = "acknowledged_at_origin"
VIA_LINK = "link"
RETRIES = 3


class LinkTampered(ServiceError):
    """A link this service did not make names nothing here: 404, as for any credential in a URL
    (shared/web.py `checks_own_credential`)."""
    status, title = 404, "Not found"


class Gone(ServiceError):
    status, title = 410, "Gone"


@dataclass(frozen=True)
class LinkGrant:
    """What a verified link says: acknowledge `alert_id` as `target` (a delivery's addressee), once."""
    alert_id: str
    target: str
    token_id: str
    expires_at: datetime


class AckLinks(Protocol):
    """Signed, expiring, one-time acknowledgement links (adapters/ack_links.py); the dispatcher puts `link_for`
    into an e-mail or SMS of an alert that requires acknowledgement."""

    def link_for(self, alert_id: str, target: str) -> str: ...

    def open(self, token: str) -> LinkGrant:
        """The grant the token signs; LinkTampered if it is not ours, Gone if it has expired."""

    def spend(self, grant: LinkGrant) -> bool:
        """True for the one use that claims the link."""

    def spent(self, grant: LinkGrant) -> bool: ...


class AlertsTouched(Protocol):
    """What acknowledgement needs of the read model and of the deliveries."""

    def open_about(self, subject_id: str) -> list[str]: ...


class Withdrawing(Protocol):
    def withdraw(self, alert: Alert) -> int: ...


@dataclass(frozen=True)
class LinkView:
    """What the link's page may show: what an e-mail may name (the alert's category, the case number or subject
    reference, the area), never the in-app title, which may name any fact of the event: anyone holding the link
    sees the page without logging in."""
    alert_id: str
    category: str
    subject_ref: str
    area_code: str | None
    acknowledged_by: str | None
    open: bool

    @classmethod
    def of(cls, alert: Alert) -> "LinkView":
        raised = alert.raised
        return cls(alert.id, raised.category, str(raised.facts.get("case_number") or raised.subject_id),
                   raised.area_code, alert.acknowledged_by, alert.open)


def acknowledge_alert(command: AcknowledgeAlert, principal, uow: AlertsUnitOfWork, alerts: Repository,
                      views: AlertsTouched, inbox_states: InboxStates, delivery: Withdrawing, clock: Clock) -> Alert:
    now = clock.now()
    with uow.changing(command.alert_id, command.expected_version, principal) as alert:
        _acknowledge(alert, principal.subject, command.via, now)
    _spread(alert, principal.subject, command.via, now, alerts, views, delivery, Actor.of(principal))
    mark_read(inbox_states, principal.subject, alert, now)
    return alert


def read_ack_link(query: ReadAckLink, principal, ack_links: AckLinks, alerts: Repository) -> LinkView:
    grant = ack_links.open(query.token)
    if ack_links.spent(grant):
        raise Gone("this link has been used already")
    alert = _linked(alerts, grant)
    return LinkView.of(alert)


def acknowledge_by_link(command: AcknowledgeByLink, principal, ack_links: AckLinks, alerts: Repository,
                        views: AlertsTouched, delivery: Withdrawing, clock: Clock) -> Alert:
    """The link is claimed before anything else, so of two uses one acknowledges and the other is 410."""
    grant = ack_links.open(command.token)
    alert = _linked(alerts, grant)
    if not ack_links.spend(grant):
        raise Gone("this link has been used already")
    now, actor = clock.now(), Actor(id=grant.target, role=VIA_LINK, unit=alert.raised.recipient_unit)
    for _ in range(RETRIES):
        _acknowledge(alert, grant.target, VIA_LINK, now)
        try:
            alerts.save(alert, actor)
            break
        except ConcurrencyConflict:
            alert = _linked(alerts, grant)
    else:
        raise Conflict("the alert kept changing while it was acknowledged; ask for a new link")
    _spread(alert, grant.target, VIA_LINK, now, alerts, views, delivery, actor)
    return alert


def _linked(alerts: Repository, grant: LinkGrant) -> Alert:
    alert = alerts.get(grant.alert_id)
    if alert is None or alert.raised is None:
        raise NotFound("the alert of this link no longer exists")
    return alert


def _acknowledge(alert: Alert, by: str, via: str, at: datetime) -> None:
    try:
        alert.acknowledge(by, via, at)
    except AlreadyAcknowledged:
        raise Conflict(f"already acknowledged by {alert.acknowledged_by}",
                       acknowledged_by=alert.acknowledged_by) from None
    except AlreadyResolved:
        raise Conflict(f"the alert was resolved ({alert.resolved_reason}); there is nothing to acknowledge") from None


def _spread(alert: Alert, by: str, via: str, at: datetime, alerts: Repository, views: AlertsTouched,
            delivery: Withdrawing, actor: Actor) -> None:
    origin_id = alert.raised.escalated_from
    if origin_id:
        _change(alerts, origin_id, lambda origin: origin.acknowledge(by, via, at), actor)
    origin_id = origin_id or alert.id
    for other_id in views.open_about(alert.raised.subject_id):
        if other_id in (alert.id, origin_id):
            continue
        other = alerts.get(other_id)
        if other is None or other.raised.escalated_from != origin_id:
            continue
        resolved = _change(alerts, other_id, lambda next_level: next_level.resolve(RESOLVED_AT_ORIGIN, at), actor)
        if resolved is not None:
            delivery.withdraw(resolved)


def _change(alerts: Repository, alert_id: str, change: Callable[[Alert], None], actor: Actor) -> Alert | None:
    """Apply `change` to the alert as it is now, again if another writer (the escalation timer) got in first;
    an alert already acknowledged or resolved is left as it is."""
    for _ in range(RETRIES):
        alert = alerts.get(alert_id)
        if alert is None:
            return None
        try:
            change(alert)
        except (AlreadyAcknowledged, AlreadyResolved):
            return None
        try:
            alerts.save(alert, actor)
            return alert
        except ConcurrencyConflict:
            continue
    return None


HANDLERS = {AcknowledgeAlert: acknowledge_alert, AcknowledgeByLink: acknowledge_by_link, ReadAckLink: read_ack_link}
