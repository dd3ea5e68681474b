"""What the notifications use cases need from storage, the read model, the member directory and the channels, as
protocols (bootstrap.py wires the mongoengine adapters and the channel clients in)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.notifications.domain.deliveries import Delivery, Reach
from services.notifications.domain.model import Alert, UnitEntry
from services.notifications.domain.resolutions import Resolution
from services.notifications.domain.rules import Rule


class AlertViews(Protocol):
    """The read model (services/notifications/views.py)."""

    def inbox(self, unit: str, hidden_subject_types: tuple[str, ...], unacknowledged: bool, first: int,
              limit: int) -> tuple[list[Alert], int]: ...

    def open_about(self, subject_id: str) -> list[str]:
        """Ids of the open alerts about this subject."""

    def awaiting_escalation(self) -> list[tuple[str, datetime]]:
        """(alert id, when its next escalation is due) of every alert that may still escalate."""


class Resolutions(Protocol):
    """The resolving events kept for alerts raised after them (domain/resolutions.py)."""

    def remember(self, resolutions: list[Resolution]) -> None:
        """Keep them; one kept before (a redelivered event) stays as it is."""

    def about(self, subject_ids: set[str]) -> list[Resolution]: ...

    def forget_before(self, kept_before: datetime) -> int:
        """Drop those kept before then; how many."""


class UnitDirectory(Protocol):
    """This service's copy of the plans service's unit directory."""

    def entries(self) -> list[UnitEntry]: ...

    def named(self, unit_codes) -> list[UnitEntry]:
        """These units only, each looked up by its code."""

    def for_routing(self) -> list[UnitEntry]:
        """The entries as routing reads them, kept a few seconds."""

    def keep(self, unit_code: str, kind: str, covers: list[str], version: int) -> None:
        """Keep the registration unless a newer version of the unit is kept already."""


class RuleStore(Protocol):
    def active_for(self, event_type: str) -> list[Rule]:
        """The current version of every enabled rule of this event type (cached for a few seconds)."""

    def resolving(self, event_type: str) -> list[Rule]:
        """The current rules whose alerts this event type can resolve."""

    def get(self, rule_id: str, version: int | None = None) -> Rule | None: ...


class Audience(Protocol):
    """Who of a unit is reached by a channel, after their preferences, quiet hours and verified contact points
    (the member directory, service_layer/members.py's port)."""

    def reach(self, unit: str, roles: tuple[str, ...], heads_only: bool, category: str, channel: str,
              urgent: bool, now: datetime) -> list[Reach]: ...


class DeliveryQueue(Protocol):
    def add(self, deliveries: list[Delivery]) -> None:
        """Store the deliveries not stored yet (an id already stored is left as it is)."""

    def add_to_digest(self, target: str, alert_id: str, language: str, address: str, at: datetime) -> None: ...

    def cancel_for(self, alert_id: str) -> int:
        """Cancel the deliveries of this alert not sent yet; answers how many."""

    def purge_finished(self, created_before: datetime) -> int:
        """Remove the finished deliveries made before then, their attempts and sent digest entries; how many
        deliveries."""


class Titles(Protocol):
    """An alert's title in Vietnamese and English, rendered from its template's in-app variant."""

    def of(self, template_id: str, context: dict) -> tuple[str, str]: ...

    def escalated(self, template_id: str, context: dict) -> tuple[str, str]:
        """The title of the alert the next level receives when nobody acknowledged."""


@dataclass(frozen=True)
class Endpoint:
    """An agency system's webhook: its owner unit's alerts are posted to it, signed with its secrets."""
    id: str
    unit_code: str
    url: str
    secrets: tuple[str, ...]
    active: bool = True


class Endpoints(Protocol):
    def named(self, endpoint_ids) -> list[Endpoint]: ...

    def disable(self, endpoint_id: str, reason: str) -> None:
        """The receiver answered 410 Gone: nothing more is posted to it until an admin enables it again."""


class DeliveryStore(DeliveryQueue, Protocol):
    """The queue as the dispatcher works it (adapters/deliveries.py)."""

    def queued(self, now: datetime | None = None) -> list[Delivery]: ...

    def every_with_status(self, status: str) -> list[Delivery]: ...

    def get(self, delivery_id: str) -> Delivery | None: ...

    def claim_attempt(self, delivery: Delivery, worker: str, now: datetime) -> bool: ...

    def record_outcome(self, delivery: Delivery, outcome, now: datetime) -> None: ...

    def attempts(self, delivery_id: str) -> list[dict]: ...

    def with_status(self, status: str, first: int, limit: int) -> tuple[list[Delivery], int]: ...

    def requeue(self, delivery: Delivery, now: datetime) -> None: ...


class Channels(Protocol):
    def get(self, channel: str):
        """The client of this channel (services/notifications/domain/messages.py `Channel`)."""


class MessageContent(Protocol):
    def message(self, deliveries: list[Delivery]):
        """The one message (domain/messages.py `Message`) that makes these deliveries to one addressee: their
        alerts rendered in the addressee's language for the channel, or None when every alert was resolved."""


class DeliveryMetrics(Protocol):
    def count(self, channel: str, outcome: str) -> None: ...


@dataclass(frozen=True)
class Disclosure:
    case_id: str
    to: str
    channel: str
    rule_id: str | None
    alert_id: str
    delivery_id: str | None
    at: datetime


class Disclosures(Protocol):
    """The accounting of disclosures: each time a case was named to someone outside its record."""

    def record(self, case_id: str, to: str, channel: str, rule_id: str | None, alert_id: str,
               delivery_id: str | None, at: datetime) -> None: ...

    def record_many(self, disclosures: list[Disclosure]) -> None: ...
