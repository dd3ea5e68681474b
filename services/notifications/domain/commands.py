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
    alert_id: str
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
