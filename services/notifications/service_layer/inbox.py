"""A person's inbox: their unit's alerts within their areas (domain/access.py), each with the person's own read
state; its counts; one alert's detail (which marks it read); the person's read, unread or archived state.

Counts come from counting queries, never from reading the alerts: the unit's alerts in scope, less those the
person read or archived (their state documents carry the alert's unit, area and subject type)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.clock import Clock
from shared.errors import ConcurrencyConflict, InvalidInput, expect_version
from shared.ports import AuditTrail

from services.notifications.domain.commands import SetInboxState
from services.notifications.domain.inbox import (ALL, ARCHIVED, BOXES, READ, STATES, TOUCHED, UNREAD, InboxFilter,
                                                 InboxScope, InboxState)
from services.notifications.domain.model import Alert
from services.notifications.domain.queries import Inbox, InboxCounts, ReadAlert, ReadInboxState
from services.notifications.service_layer.unit_of_work import AlertsUnitOfWork

AUDITED = ("alert",)
"""An alert names a case and what happened to it (a relapse, an abscondment): each one shown is audited."""


class InboxStates(Protocol):
    """Each person's read state of their inbox's alerts (adapters/inbox.py)."""

    def of(self, subject: str, alert_id: str) -> InboxState: ...

    def of_many(self, subject: str, alert_ids: list[str]) -> dict[str, str]:
        """The states of those of the alerts the person touched."""

    def alert_ids(self, subject: str, scope: InboxScope, states: tuple[str, ...]) -> list[str]: ...

    def count(self, subject: str, scope: InboxScope, state: str) -> int: ...

    def put(self, current: InboxState, state: str, alert: Alert, at: datetime) -> InboxState: ...


class InboxViews(Protocol):
    """The inbox queries of the read model (views.py)."""

    def inbox_page(self, scope: InboxScope, narrowed: InboxFilter, only: list[str] | None, without: list[str],
                   first: int, limit: int) -> tuple[list[Alert], int]: ...

    def inbox_count(self, scope: InboxScope, narrowed: InboxFilter) -> int: ...


@dataclass(frozen=True)
class InboxItem:
    alert: Alert
    state: str


def list_inbox(query: Inbox, principal, views: InboxViews, inbox_states: InboxStates,
               audit: AuditTrail) -> tuple[list[InboxItem], int]:
    if query.box not in BOXES:
        raise InvalidInput.field("box", f"must be one of {', '.join(BOXES)}")
    scope, me = InboxScope.of(principal), principal.subject
    narrowed = InboxFilter(query.urgent, query.category, query.unacknowledged)
    only, without = None, []
    if query.box == UNREAD:
        without = inbox_states.alert_ids(me, scope, TOUCHED)
    elif query.box != ALL:
        only = inbox_states.alert_ids(me, scope, (query.box,))
        if not only:
            return [], 0
    alerts, total = views.inbox_page(scope, narrowed, only, without, query.first, query.limit)
    audit.record_many(principal, "list", "alert", [alert.id for alert in alerts], AUDITED)
    states = inbox_states.of_many(me, [alert.id for alert in alerts])
    return [InboxItem(alert, states.get(alert.id, UNREAD)) for alert in alerts], total


def inbox_counts(query: InboxCounts, principal, views: InboxViews, inbox_states: InboxStates) -> dict[str, int]:
    scope, me = InboxScope.of(principal), principal.subject
    in_scope = views.inbox_count(scope, InboxFilter())
    read, archived = inbox_states.count(me, scope, READ), inbox_states.count(me, scope, ARCHIVED)
    return {"unread": max(in_scope - read - archived, 0), "read": read, "archived": archived,
            "unacknowledged": views.inbox_count(scope, InboxFilter(unacknowledged=True)),
            "urgent_unacknowledged": views.inbox_count(scope, InboxFilter(urgent=True, unacknowledged=True))}


def read_alert(query: ReadAlert, principal, uow: AlertsUnitOfWork, inbox_states: InboxStates,
               clock: Clock, audit: AuditTrail) -> InboxItem:
    alert = uow.visible(query.alert_id, principal)
    audit.record(principal, "read", "alert", alert.id, AUDITED)
    return InboxItem(alert, mark_read(inbox_states, principal.subject, alert, clock.now()).state)


def read_inbox_state(query: ReadInboxState, principal, uow: AlertsUnitOfWork, inbox_states: InboxStates) -> InboxState:
    return inbox_states.of(principal.subject, uow.visible(query.alert_id, principal).id)


def set_inbox_state(command: SetInboxState, principal, uow: AlertsUnitOfWork, inbox_states: InboxStates,
                    clock: Clock) -> InboxState:
    if command.state not in STATES:
        raise InvalidInput.field("state", f"must be one of {', '.join(STATES)}")
    alert = uow.visible(command.alert_id, principal)
    current = inbox_states.of(principal.subject, alert.id)
    expect_version(current.version, command.expected_version)
    if current.state == command.state:
        return current
    return inbox_states.put(current, command.state, alert, clock.now())


def mark_read(inbox_states: InboxStates, subject: str, alert: Alert, at: datetime) -> InboxState:
    """An unread alert the person opened or acted on is read (an archived one stays archived)."""
    current = inbox_states.of(subject, alert.id)
    if current.state != UNREAD:
        return current
    try:
        return inbox_states.put(current, READ, alert, at)
    except ConcurrencyConflict:
        return inbox_states.of(subject, alert.id)


HANDLERS = {Inbox: list_inbox, InboxCounts: inbox_counts, ReadAlert: read_alert, ReadInboxState: read_inbox_state,
            SetInboxState: set_inbox_state}
