"""From a raised alert to its deliveries: who of the recipient unit is reached by e-mail and SMS (after their
preferences, quiet hours and digests), the agency systems' webhooks, and the accounting of the disclosure."""
from __future__ import annotations

from datetime import datetime, timezone

from shared.clock import Clock

from services.notifications.domain.access import CASE_READERS, CASE_SUBJECTS
from services.notifications.domain.deliveries import ALERT, ESCALATION, Delivery, Reach, delivery_id
from services.notifications.domain.model import Alert
from services.notifications.domain.rules import Rule
from services.notifications.service_layer.ports import Audience, DeliveryQueue, Endpoint

OUTWARD = ("email", "sms")
NO_MEMBER = ("",)
"""A role nobody holds: asked for, it reaches the unit's own duty contact points alone."""


def reachable_roles(subject_type: str, roles: tuple[str, ...]) -> tuple[str, ...]:
    """The members' roles an alert may reach by e-mail or SMS: an alert about a case only those who work cases
    (within the rule's roles when it names some), as the inbox hides it from the others (domain/access.py); the
    unit's own contact points are its desk and stay reached. An empty answer means every member."""
    if subject_type not in CASE_SUBJECTS:
        return tuple(roles)
    return tuple(r for r in (roles or CASE_READERS) if r in CASE_READERS) or NO_MEMBER


class AlertDelivery:
    def __init__(self, audience: Audience, queue: DeliveryQueue, clock: Clock):
        self.audience, self.queue, self.clock = audience, queue, clock

    def deliver(self, alert: Alert, rule: Rule, hooks: list[Endpoint], urgent: bool | None = None) -> None:
        self.deliver_many([(alert, rule, hooks)], urgent)

    def deliver_many(self, raised: list[tuple[Alert, Rule, list[Endpoint]]], urgent: bool | None = None) -> None:
        """The deliveries of several alerts, stored together; who of a unit is reached is asked once per unit,
        channel and kind of alert. The alert in its unit's inbox is itself the in-app disclosure, listed with the
        others (adapters/deliveries.py `DisclosureLog.for_case`); the deliveries' disclosures are recorded as they
        are sent."""
        now, batch, reached = self.clock.now(), [], {}
        for alert, rule, hooks in raised:
            event = alert.raised
            alert_urgent = event.urgent if urgent is None else urgent
            roles = reachable_roles(event.subject_type, rule.roles)
            for channel in (c for c in OUTWARD if c in event.channels):
                asked = (event.recipient_unit, roles, event.category, channel, alert_urgent)
                if asked not in reached:
                    reached[asked] = self.audience.reach(event.recipient_unit, roles, False, event.category,
                                                         channel, alert_urgent, now)
                for reach in reached[asked]:
                    if reach.digest and not alert_urgent:
                        self.queue.add_to_digest(reach.target, alert.id, reach.language, reach.address, now)
                    else:
                        batch.append(self._delivery(alert, channel, reach, ALERT, rule, now, alert_urgent))
            batch += [self._delivery(alert, "webhook", Reach(f"endpoint:{hook.id}", hook.url), ALERT, rule, now,
                                     True) for hook in hooks if "webhook" in event.channels]
        self.queue.add(batch)

    def to_heads(self, alert: Alert, step: int) -> None:
        """An escalation to the recipient unit's heads: e-mail and SMS now, whatever their quiet hours (of an alert
        about a case, the heads who work cases)."""
        raised, now = alert.raised, self.clock.now()
        roles = reachable_roles(raised.subject_type, ())
        self.queue.add([self._delivery(alert, channel, reach, ESCALATION, None, now, True, step)
                        for channel in OUTWARD
                        for reach in self.audience.reach(raised.recipient_unit, roles, True, raised.category,
                                                         channel, True, now)])

    def withdraw(self, alert: Alert) -> int:
        """The condition ended: what was not sent yet need not be."""
        return self.queue.cancel_for(alert.id)

    @staticmethod
    def _delivery(alert: Alert, channel: str, reach: Reach, purpose: str, rule: Rule | None, now: datetime,
                  urgent: bool, step: int = 0) -> Delivery:
        raised = alert.raised
        not_before, group_key = reach.send_at or now, None
        window = rule.group_window_minutes * 60 if rule and not urgent else 0
        if window:
            index = int(raised.raised_at.timestamp() // window)
            not_before = max(not_before, datetime.fromtimestamp((index + 1) * window, timezone.utc))
            group_key = f"{reach.target}:{channel}:{raised.subject_type}:{raised.subject_id}:{index}"
        return Delivery(id=delivery_id(alert.id, purpose, str(step), channel, reach.target), channel=channel,
                        target=reach.target, address=reach.address, language=reach.language, purpose=purpose,
                        not_before=not_before, created_at=now, alert_ids=[alert.id],
                        subject_type=raised.subject_type, subject_id=raised.subject_id, group_key=group_key,
                        rule_id=raised.rule_id, unit=raised.recipient_unit)
