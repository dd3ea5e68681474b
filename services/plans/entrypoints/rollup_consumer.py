"""The roll-up follows the plans service's own published events: each becomes one `RefreshRollup` of the plan,
for the unit the event is about, or for the whole plan when the plan or a task changed. The event's stream and
version go along, so rows already folded from it (a redelivery, or the rest of a burst one fold covered) are left
as they are."""
from __future__ import annotations

from shared.bus import Subscription
from shared.envelope import Envelope

from services.plans import contracts as plans_contracts
from services.plans.domain.commands import RefreshRollup
from services.plans.domain.notices import REPORT_OVERDUE, TASK_OVERDUE

WHOLE_PLAN = ("plans.plan.issued", "plans.plan.started", "plans.plan.amended", "plans.plan.closed",
              "plans.task.assigned", "plans.task.amended")
ONE_UNIT = ("plans.assignment.made", "plans.assignment.waived", "plans.report.submitted", "plans.report.returned",
            "plans.report.approved", TASK_OVERDUE, REPORT_OVERDUE)
ROLLUP = Subscription(queue="plans.rollup", bindings=tuple(("plans", t) for t in (*WHOLE_PLAN, *ONE_UNIT)),
                      contracts=plans_contracts.CONTRACTS)


def refresh_command(event: Envelope) -> RefreshRollup:
    unit = event.data["unit_code"] if event.type in ONE_UNIT else None
    return RefreshRollup(event.data["plan_id"], unit, (event.stream.id, event.stream.version))


def handlers(bus) -> dict:
    refresh = lambda event: bus.handle(refresh_command(event))  # noqa: E731
    return {ROLLUP: {event_type: refresh for event_type in (*WHOLE_PLAN, *ONE_UNIT)}}
