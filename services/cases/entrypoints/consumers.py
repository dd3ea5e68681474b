"""What the cases service consumes: the steps of alerts the notifications service raised, which the case notes
on its own timeline (an alert about anything but a case is acknowledged and left alone)."""
from __future__ import annotations

from shared.bus import Subscription

from services.cases.domain.alerts import STEPS
from services.cases.domain.commands import NoteAlertStep
from services.notifications import contracts as notifications_contracts

ALERT_STEP_TYPES = tuple(f"notifications.alert.{step}" for step in STEPS)
ALERTS = Subscription(queue="cases.alerts",
                      bindings=tuple(("notifications", event_type) for event_type in ALERT_STEP_TYPES),
                      contracts=notifications_contracts.CONTRACTS)


def handlers(bus) -> dict:
    note = lambda event: bus.handle(NoteAlertStep(event))  # noqa: E731
    return {ALERTS: {event_type: note for event_type in ALERT_STEP_TYPES}}
