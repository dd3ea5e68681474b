"""What the notifications service is asked to do: by other services' events, and by the people it alerts."""
from __future__ import annotations

from dataclasses import dataclass

from shared.envelope import Envelope


@dataclass(frozen=True)
class RouteEvent:
    """An event someone must be told of, as its producer published it."""
    event: Envelope


@dataclass(frozen=True)
class RecordUnit:
    """A unit's registration, as the plans service published it."""
    event: Envelope


@dataclass(frozen=True)
class AcknowledgeAlert:
    """`via` says where: "inbox" from the portal's inbox, "api" from any other token caller."""
    alert_id: str
    expected_version: int | None = None
    via: str = "api"


@dataclass(frozen=True)
class AcknowledgeByLink:
    """The signed one-time link of an e-mail or SMS was used: the link is the credential."""
    token: str


@dataclass(frozen=True)
class SetInboxState:
    """The caller's own read state of an alert of their inbox (domain/inbox.py STATES)."""
    alert_id: str
    state: str
    expected_version: int | None = None


@dataclass(frozen=True)
class EscalateDueAlerts:
    """Run by the worker's timer: tell the next level of every alert whose acknowledgement is overdue."""


@dataclass(frozen=True)
class DeliverDue:
    """Run by the worker's timer: make the next attempt of every delivery that is due."""


@dataclass(frozen=True)
class ResendDelivery:
    """A person sends a parked delivery again."""
    delivery_id: str
