"""What the cases service consumes: the steps of alerts the notifications service raised, which the case notes
on its own timeline (an alert about anything but a case is acknowledged and left alone), and the units the plans
service registers, which referrals and consents name."""
from __future__ import annotations

from shared.bus import Subscription

from services.cases.domain.alerts import STEPS
from services.cases.domain.commands import NoteAlertStep, RecordUnit
from services.notifications import contracts as notifications_contracts
from services.plans import contracts as plans_contracts

ALERT_STEP_TYPES = tuple(f"notifications.alert.{step}" for step in STEPS)
ALERTS = Subscription(queue="cases.alerts",
                      bindings=tuple(("notifications", event_type) for event_type in ALERT_STEP_TYPES),
                      contracts=notifications_contracts.CONTRACTS)
DIRECTORY = Subscription(queue="cases.directory", bindings=(("plans", "plans.unit.registered"),),
                         contracts=plans_contracts.CONTRACTS)


def handlers(bus) -> dict:
    note = lambda event: bus.handle(NoteAlertStep(event))  # noqa: E731
    unit = lambda event: bus.handle(RecordUnit(event.data["unit_code"], event.data["kind"],  # noqa: E731
                                               event.stream.version))
    return {ALERTS: {event_type: note for event_type in ALERT_STEP_TYPES},
            DIRECTORY: {"plans.unit.registered": unit}}
