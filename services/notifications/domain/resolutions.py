"""A resolving event, remembered by the subject it ends alerts about.

Events reach the routing out of order: a redelivered message comes back behind later ones, and two consumers (two
threads or two workers) each take their own share of the queue. An alert's raising event handled after the event
that ends it would leave the alert open, and an open urgent alert escalates. So every resolving event is kept here
before the stored alerts are looked at, and every alert a rule with `resolved_by` raises (or an escalation raises
for the next level) is checked against what was kept after it is stored: whichever of the two comes second sees the
other."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.envelope import Envelope

from services.notifications.domain.rules import Rule

DECIDED_BEFORE_STAMPED = timedelta(seconds=60)
"""How long before its `occurred_at` a producer may have read what it decided an event from: the plans timer reads
which reports are in, then stamps each overdue notice. A notice stamped that soon after a submission of another
stream may rest on a read from before it, so the submission still ends it."""


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

    def precedes(self, ending: "Cause") -> bool:
        """Whether an alert this event raised is one the event `ending` ends. In one stream: strictly earlier (a
        transfer requested again after one was revoked keeps its alert). Across streams: stamped before it, or so
        little after it that it may have been decided before (DECIDED_BEFORE_STAMPED)."""
        if self.stream_id == ending.stream_id:
            return self.stream_version < ending.stream_version
        return self.occurred_at < ending.occurred_at + DECIDED_BEFORE_STAMPED


@dataclass(frozen=True)
class Resolution:
    """`compared_fields` are the event's values of the rule's subject field and `resolve_fields`, what
    `Rule.resolved_by_event` compares (as the rule's version stood when the event was kept: a later version that
    adds a resolve field matches none of the events kept before it, and leaves those alerts open)."""
    rule_id: str
    subject_id: str
    event_type: str
    compared_fields: dict
    cause: Cause

    @property
    def id(self) -> str:
        return f"{self.cause.event_id}:{self.rule_id}"

    @classmethod
    def of(cls, rule: Rule, event: Envelope) -> "Resolution | None":
        """None for an event that does not name the rule's subject (or, as a guard, that the rule is not resolved
        by)."""
        subject = event.data.get(rule.subject_field)
        if subject is None or event.type not in rule.resolved_by:
            return None
        return cls(rule.id, str(subject), event.type,
                   {name: event.data.get(name) for name in (rule.subject_field, *rule.resolve_fields)},
                   Cause.of_event(event))

    def ends(self, rule: Rule, raised_by: Cause | None, facts: dict) -> bool:
        """Whether this ends the alert `rule` raised from the event `raised_by` with these `facts` (an alert
        stored before alerts kept their cause: whatever event comes)."""
        return (self.rule_id == rule.id and (raised_by is None or raised_by.precedes(self.cause))
                and rule.resolved_by_event(self.event_type, self.compared_fields, facts))
