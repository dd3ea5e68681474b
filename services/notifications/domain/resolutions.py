"""A resolving event, remembered by the subject it ends alerts about.

Events reach the routing out of order: a redelivered message comes back behind later ones, and two consumers (two
threads or two workers) each take their own share of the queue. An alert's raising event handled after the event
that ends it would leave the alert open, and an open urgent alert escalates. So every resolving event is kept here
before the stored alerts are looked at, and every alert a rule with `resolved_by` raises is checked against what was
kept after it is stored: whichever of the two comes second sees the other."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.envelope import Envelope

from services.notifications.domain.rules import Rule


@dataclass(frozen=True)
class Cause:
    """Where an event stands in time: the same stream orders by version, different streams by `occurred_at`."""
    event_id: str
    stream_id: str
    stream_version: int
    occurred_at: datetime

    @classmethod
    def of_event(cls, event: Envelope) -> "Cause":
        return cls(event.id, event.stream.id, event.stream.version, event.occurred_at)

    def before(self, other: "Cause") -> bool:
        """Strictly before: of two events that cannot be told apart, neither ends what the other raised (an alert
        wrongly left open escalates to someone who can close it; one wrongly resolved is a notice never given)."""
        if self.stream_id == other.stream_id:
            return self.stream_version < other.stream_version
        return self.occurred_at < other.occurred_at


@dataclass(frozen=True)
class Resolution:
    """`fields` are the event's subject field and the rule's `resolve_fields`, all `Rule.resolved_by_event`
    compares."""
    rule_id: str
    subject_id: str
    event_type: str
    fields: dict
    cause: Cause

    @property
    def id(self) -> str:
        return f"{self.cause.event_id}:{self.rule_id}"

    @classmethod
    def of(cls, rule: Rule, event: Envelope) -> "Resolution | None":
        subject = event.data.get(rule.subject_field)
        if subject is None or event.type not in rule.resolved_by:
            return None
        return cls(rule.id, str(subject), event.type,
                   {name: event.data.get(name) for name in (rule.subject_field, *rule.resolve_fields)},
                   Cause.of_event(event))

    def ends(self, rule: Rule, raised_by: Cause | None, facts: dict) -> bool:
        """Whether this ends the alert `rule` raised from the event `raised_by` with these `facts` (an alert
        stored before alerts kept their cause: whatever event comes)."""
        return (self.rule_id == rule.id and (raised_by is None or raised_by.before(self.cause))
                and rule.resolved_by_event(self.event_type, self.fields, facts))
