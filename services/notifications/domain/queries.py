"""What callers ask to read; service_layer answers through the read model (views.py)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Inbox:
    """The alerts of the caller's unit within their areas, newest first: `box` is one of domain/inbox.py BOXES
    (the caller's own read state), the other fields narrow it."""
    box: str = "all"
    urgent: bool | None = None
    category: str | None = None
    unacknowledged: bool = False
    first: int = 0
    limit: int = 50


@dataclass(frozen=True)
class InboxCounts:
    """How many of the caller's inbox alerts are unread, read, archived, unacknowledged, urgent and unacknowledged."""


@dataclass(frozen=True)
class ReadAlert:
    """One alert of the caller's inbox; reading it marks it read for the caller."""
    alert_id: str


@dataclass(frozen=True)
class ReadInboxState:
    alert_id: str


@dataclass(frozen=True)
class ReadAckLink:
    """What a signed acknowledgement link is for, to show before anything is acknowledged (GET never acts)."""
    token: str


@dataclass(frozen=True)
class ListDisclosures:
    """The accounting of disclosures of one case, for the inspectorate."""
    case_id: str
    first: int = 0
    limit: int = 50


@dataclass(frozen=True)
class ReadMyMembership:
    pass


@dataclass(frozen=True)
class ListMembers:
    """The members of a unit, for an admin of its areas."""
    unit: str
    first: int = 0
    limit: int = 50


@dataclass(frozen=True)
class ReadMember:
    subject: str


@dataclass(frozen=True)
class ReadUnitSettings:
    unit: str


@dataclass(frozen=True)
class ListContactPoints:
    """`owner` as in AddContactPoint."""
    owner: str


@dataclass(frozen=True)
class ListRules:
    """The current version of every rule, by id; only those of `event_type` if given."""
    event_type: str | None = None
    first: int = 0
    limit: int = 50


@dataclass(frozen=True)
class ReadRule:
    rule_id: str
    version: int | None = None


@dataclass(frozen=True)
class RuleHistory:
    rule_id: str
    first: int = 0
    limit: int = 50


@dataclass(frozen=True)
class DryRunRule:
    """Who would get what by which channel if `event` ({type, area_code, data}) happened now: for a stored rule
    (`rule_id`) or an unsaved one (`rule`, its plain data)."""
    event: dict
    rule_id: str | None = None
    rule: dict | None = None


@dataclass(frozen=True)
class ListTemplates:
    first: int = 0
    limit: int = 50


@dataclass(frozen=True)
class ReadTemplate:
    template_id: str
    version: int | None = None


@dataclass(frozen=True)
class TemplateHistory:
    template_id: str
    first: int = 0
    limit: int = 50


@dataclass(frozen=True)
class PreviewTemplate:
    """A stored template (`template_id`) or an unsaved one (`template`) rendered for a sample event."""
    event: dict
    channel: str
    language: str = "vi"
    template_id: str | None = None
    template: dict | None = None


@dataclass(frozen=True)
class DeadLetters:
    """Deliveries that failed every attempt (or were refused for good), newest first: each can be resent."""
    first: int = 0
    limit: int = 50


@dataclass(frozen=True)
class DeliveryDetail:
    delivery_id: str


@dataclass(frozen=True)
class ListEndpoints:
    """The webhook endpoints of a unit in the admin's areas (never their secrets)."""
    unit_code: str
    first: int = 0
    limit: int = 50


@dataclass(frozen=True)
class ReadEndpoint:
    endpoint_id: str


@dataclass(frozen=True)
class ReadAgencyFeed:
    """An agency's open alerts with their CAP messages, to whoever holds the agency's feed secret (no bearer
    token: feed readers cannot send one)."""
    unit_code: str
    token: str | None


@dataclass(frozen=True)
class ReadAgencyCap:
    """One open alert of an agency as its CAP 1.2 message, to the holder of the agency's feed secret."""
    unit_code: str
    alert_id: str
    token: str | None
