"""Alerts to units, and the rules that decide who must know about which event."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared.aggregate import Aggregate, DomainEvent

from services.notifications.domain.resolutions import Cause
from services.notifications.domain.rules import UNIT_HEAD, EscalationLevel, EscalationPolicy, Rule


@dataclass(frozen=True)
class UnitEntry:
    unit_code: str
    kind: str
    covers: tuple[str, ...]


@dataclass(frozen=True)
class AlertRaised(DomainEvent):
    """`facts` are the event's published data, kept to render the alert for each channel and to match the event
    that resolves it; `cause` places that event in time (an escalated alert keeps its parent's), so that only an
    event after it resolves the alert; `escalation` is the rule's policy as it was when the alert was raised."""
    type = "notifications.alert.raised"
    alert_id: str
    recipient_unit: str
    category: str
    subject_type: str
    subject_id: str
    urgent: bool
    area_code: str | None
    title_vi: str
    title_en: str
    raised_at: datetime
    rule_id: str | None = None
    rule_version: int | None = None
    event_type: str | None = None
    channels: list[str] = field(default_factory=list)
    template: str | None = None
    ack_required: bool = False
    ack_due_at: datetime | None = None
    escalation: EscalationPolicy | None = None
    escalated_from: str | None = None
    legal_deadline: bool = False
    facts: dict = field(default_factory=dict)
    cause: Cause | None = None


@dataclass(frozen=True)
class AlertAcknowledged(DomainEvent):
    type = "notifications.alert.acknowledged"
    alert_id: str
    recipient_unit: str
    acknowledged_by: str
    category: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    via: str | None = None
    acknowledged_at: datetime | None = None
    late: bool = False


@dataclass(frozen=True)
class AlertEscalated(DomainEvent):
    type = "notifications.alert.escalated"
    alert_id: str
    recipient_unit: str
    category: str
    subject_type: str
    subject_id: str
    step: int
    level: int
    round: int
    to_units: list[str]
    to_unit_heads: bool
    deadline_missed: bool
    escalated_at: datetime
    next_escalation_at: datetime | None


@dataclass(frozen=True)
class AlertResolved(DomainEvent):
    type = "notifications.alert.resolved"
    alert_id: str
    recipient_unit: str
    category: str
    subject_type: str
    subject_id: str
    reason: str
    resolved_at: datetime


class AlreadyAcknowledged(Exception):
    pass


class AlreadyResolved(Exception):
    pass


@dataclass(eq=False)
class Alert(Aggregate):
    stream_type = "alert"
    event_types = {e.type: e for e in (AlertRaised, AlertAcknowledged, AlertEscalated, AlertResolved)}
    id: str
    raised: AlertRaised | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    escalations: int = 0
    next_escalation_at: datetime | None = None
    resolved_reason: str | None = None

    @property
    def area_code(self):
        return self.raised.area_code if self.raised else None

    @property
    def open(self) -> bool:
        return self.resolved_reason is None

    @property
    def awaiting_escalation(self) -> bool:
        return self.open and self.acknowledged_by is None and self.next_escalation_at is not None

    @classmethod
    def raise_for(cls, alert_id: str, recipient_unit: str, rule: Rule, event_type: str, facts: dict,
                  area_code: str | None, titles: tuple[str, str], raised_at: datetime,
                  escalated_from: str | None = None, cause: Cause | None = None) -> "Alert":
        alert = cls(alert_id)
        alert.record(AlertRaised(
            alert_id=alert_id, recipient_unit=recipient_unit, category=rule.category,
            subject_type=rule.subject_type, subject_id=str(facts[rule.subject_field]), urgent=rule.urgent,
            area_code=area_code, title_vi=titles[0], title_en=titles[1], raised_at=raised_at, rule_id=rule.id,
            rule_version=rule.version, event_type=event_type, channels=list(rule.channels), template=rule.template,
            ack_required=rule.ack_required, ack_due_at=rule.ack_due_at(facts, raised_at),
            escalation=rule.escalation if escalated_from is None else None, escalated_from=escalated_from,
            legal_deadline=bool(rule.ack_due_field and facts.get(rule.ack_due_field)), facts=facts, cause=cause))
        return alert

    def acknowledge(self, by: str, via: str, at: datetime) -> None:
        if self.acknowledged_by is not None:
            raise AlreadyAcknowledged(self.id)
        if not self.open:
            raise AlreadyResolved(self.id)
        due = self.raised.ack_due_at
        self.record(AlertAcknowledged(alert_id=self.id, recipient_unit=self.raised.recipient_unit,
                                      acknowledged_by=by, category=self.raised.category,
                                      subject_type=self.raised.subject_type, subject_id=self.raised.subject_id,
                                      via=via, acknowledged_at=at, late=bool(due and at > due)))

    def escalation_due(self, now: datetime) -> bool:
        return self.awaiting_escalation and self.next_escalation_at <= now

    def next_level(self) -> EscalationLevel:
        return self.raised.escalation.level(self.escalations)

    def escalate(self, to_units: list[str], now: datetime) -> None:
        """Tell the next level; the step after it is due `after_minutes` of its level later, until the policy's
        levels were run through `repeat` times."""
        policy, step = self.raised.escalation, self.escalations
        following = step + 1
        next_at = (self.next_escalation_at + timedelta(minutes=policy.level(following).after_minutes)
                   if following < policy.steps else None)
        level = policy.level(step)
        self.record(AlertEscalated(
            alert_id=self.id, recipient_unit=self.raised.recipient_unit, category=self.raised.category,
            subject_type=self.raised.subject_type, subject_id=self.raised.subject_id, step=step + 1,
            level=step % len(policy.levels) + 1, round=step // len(policy.levels) + 1, to_units=sorted(to_units),
            to_unit_heads=level.to == UNIT_HEAD,
            deadline_missed=self.raised.legal_deadline and now >= self.raised.ack_due_at,
            escalated_at=now, next_escalation_at=next_at))

    def resolve(self, reason: str, at: datetime) -> None:
        if not self.open:
            raise AlreadyResolved(self.id)
        self.record(AlertResolved(alert_id=self.id, recipient_unit=self.raised.recipient_unit,
                                  category=self.raised.category, subject_type=self.raised.subject_type,
                                  subject_id=self.raised.subject_id, reason=reason, resolved_at=at))

    def _on_AlertRaised(self, event: AlertRaised) -> None:
        self.raised = event
        if event.ack_required and event.escalation is not None:
            self.next_escalation_at = event.ack_due_at

    def _on_AlertAcknowledged(self, event: AlertAcknowledged) -> None:
        self.acknowledged_by = event.acknowledged_by
        self.acknowledged_at = event.acknowledged_at

    def _on_AlertEscalated(self, event: AlertEscalated) -> None:
        self.escalations = event.step
        self.next_escalation_at = event.next_escalation_at

    def _on_AlertResolved(self, event: AlertResolved) -> None:
        self.resolved_reason = event.reason
