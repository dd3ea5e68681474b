"""What the cases service consumes: the steps of alerts the notifications service raised, which the case notes
on its own timeline (an alert about anything but a case is acknowledged and left alone), and the units the plans
service registers, which referrals and consents name."""
from __future__ import annotations

from shared.bus import Subscription
from shared.consumer import BatchedHandlers

from services.cases.domain.alerts import STEPS
from services.cases import contracts as cases_contracts
from services.cases.domain.commands import CountCase, CountEachCase, NoteAlertStep, NoteAlertSteps, RecordUnit
from services.cases.domain.sharing import ACCEPTED, STEP_TYPES, TRANSFER
from services.notifications import contracts as notifications_contracts
from services.plans import contracts as plans_contracts

ALERT_STEP_TYPES = tuple(f"notifications.alert.{step}" for step in STEPS)
ALERTS = Subscription(queue="cases.alerts",
                      bindings=tuple(("notifications", event_type) for event_type in ALERT_STEP_TYPES),
                      contracts=notifications_contracts.CONTRACTS)
DIRECTORY = Subscription(queue="cases.directory", bindings=(("plans", "plans.unit.registered"),),
                         contracts=plans_contracts.CONTRACTS)
COUNTED_TYPES = ("cases.case.opened", STEP_TYPES[(TRANSFER, ACCEPTED)], *cases_contracts.workflow_step_types())
"""The events after which a case may count elsewhere: opened, moved to another commune, another stage."""
COUNTS = Subscription(queue="cases.counts", bindings=tuple(("cases", event_type) for event_type in COUNTED_TYPES),
                      contracts=cases_contracts.CONTRACTS, single_active_consumer=True)


def handlers(bus) -> dict:
    note = lambda event: bus.handle(NoteAlertStep(event))  # noqa: E731
    unit = lambda event: bus.handle(RecordUnit(event.data["unit_code"], event.data["kind"],  # noqa: E731
                                               event.stream.version))
    count = lambda event: bus.handle(CountCase(event.data["case_id"]))  # noqa: E731
    note_all = lambda events: bus.handle(NoteAlertSteps(events))  # noqa: E731
    count_all = lambda events: bus.handle(CountEachCase([event.data["case_id"] for event in events]))  # noqa: E731
    return {ALERTS: BatchedHandlers({event_type: note for event_type in ALERT_STEP_TYPES}, batch=note_all),
            DIRECTORY: {"plans.unit.registered": unit},
            COUNTS: BatchedHandlers({event_type: count for event_type in COUNTED_TYPES}, batch=count_all)}
