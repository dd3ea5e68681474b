"""What the notifications service is asked to do: by other services' events, and by the people it alerts."""
from __future__ import annotations

from dataclasses import dataclass

from shared.envelope import Envelope

from services.notifications.domain.members import MemberSettings


@dataclass(frozen=True)
class RouteEvent:
    """An event someone must be told of, as its producer published it."""
    event: Envelope


@dataclass(frozen=True)
class RouteEvents:
    """Several such events at once, as the worker's consumer takes them from the queue."""
    events: list[Envelope]


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
class NextEscalationDue:
    """Asked by the worker's timer after each run: how soon the next escalation falls due, to run at that moment."""


@dataclass(frozen=True)
class ForgetResolutions:
    """Run by the worker's timer: drop the resolving events kept longer than any event waits in the queue."""


@dataclass(frozen=True)
class PurgeDeliveryLog:
    """Run by the worker's timer: remove the finished deliveries older than the delivery log's retention."""


@dataclass(frozen=True)
class DeliverDue:
    """Run by the worker's timer: make the next attempt of every delivery that is due."""


@dataclass(frozen=True)
class ResendDelivery:
    """A person sends a parked delivery again."""
    delivery_id: str


@dataclass(frozen=True)
class SetMyMembership:
    """The caller's own member record: unit and roles from their token, the rest from the body."""
    settings: MemberSettings
    expected_version: int | None = None


@dataclass(frozen=True)
class SetMember:
    """An admin's edit of any member of a unit in their areas, `head` included."""
    subject: str
    unit: str
    roles: tuple[str, ...]
    head: bool
    settings: MemberSettings
    expected_version: int | None = None


@dataclass(frozen=True)
class SetUnitSettings:
    """How a unit's own duty contact points are reached (an admin or the unit's head)."""
    unit: str
    settings: MemberSettings
    expected_version: int | None = None


@dataclass(frozen=True)
class AddContactPoint:
    """`owner` is "me" (the caller) or "unit:<code>"; a one-time code goes out through the new point."""
    owner: str
    kind: str
    address: str


@dataclass(frozen=True)
class RemoveContactPoint:
    owner: str
    contact_point_id: str


@dataclass(frozen=True)
class VerifyContactPoint:
    owner: str
    contact_point_id: str
    code: str
    expected_version: int | None = None


@dataclass(frozen=True)
class SendDigests:
    """Run by the worker's timer: each addressee's daily digest, once, when its time has come."""


@dataclass(frozen=True)
class CreateRule:
    """An admin adds a routing rule (version 1); `rule` is its plain data (domain/rule_data.py)."""
    rule: dict


@dataclass(frozen=True)
class ChangeRule:
    """An admin saves the next version of a rule; `if_match_sent` is False when the request named no version."""
    rule_id: str
    rule: dict
    expected_version: int | None = None
    if_match_sent: bool = True


@dataclass(frozen=True)
class CreateTemplate:
    template: dict


@dataclass(frozen=True)
class ChangeTemplate:
    template_id: str
    template: dict
    expected_version: int | None = None
    if_match_sent: bool = True


@dataclass(frozen=True)
class CreateEndpoint:
    """An admin registers an agency system's webhook for a unit of their areas; its signing secret is shown once."""
    unit_code: str
    name: str
    url: str


@dataclass(frozen=True)
class ChangeEndpoint:
    """`None` keeps a field; status "active" brings back an endpoint disabled (by a 410 Gone or by an admin)."""
    endpoint_id: str
    name: str | None = None
    url: str | None = None
    status: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class RotateEndpointSecret:
    """A new signing secret, shown once; the ones before keep signing for `grace_hours`, so the receiver may
    switch at its own pace."""
    endpoint_id: str
    grace_hours: int = 24
    expected_version: int | None = None


@dataclass(frozen=True)
class MintFeedToken:
    """A new secret for an agency's alert feed (the earlier one stops working)."""
    unit_code: str
    expected_version: int | None = None
