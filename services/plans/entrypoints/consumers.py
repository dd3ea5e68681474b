"""What the plans service consumes: case events that its indicators and its direction measures count, and its own
hotspot eliminations, which the indicator "hotspots eliminated" counts."""
from __future__ import annotations

from shared.bus import Subscription
from shared.consumer import BatchedHandlers

from services.cases import contracts as cases_contracts
from services.plans import contracts as plans_contracts
from services.plans.domain.commands import AnnounceTasks, CountCaseEvent, CountCaseEvents, RecordDirectionEvent
from services.plans.domain.direction import DIRECTION_EVENT_TYPES
from services.plans.domain.model import COUNTED_EVENT_TYPES
from services.plans.entrypoints import rollup_consumer

CASE_COUNTED = tuple(t for t in COUNTED_EVENT_TYPES if t.startswith("cases."))
OWN_COUNTED = tuple(t for t in COUNTED_EVENT_TYPES if t.startswith("plans."))
INDICATORS = Subscription(queue="plans.indicators",
                          bindings=tuple(("cases", event_type) for event_type in CASE_COUNTED),
                          contracts=cases_contracts.CONTRACTS)
OWN_INDICATORS = Subscription(queue="plans.own_indicators",
                              bindings=tuple(("plans", event_type) for event_type in OWN_COUNTED),
                              contracts=plans_contracts.CONTRACTS)
DIRECTION = Subscription(queue="plans.direction",
                         bindings=tuple(("cases", event_type) for event_type in DIRECTION_EVENT_TYPES),
                         contracts=cases_contracts.CONTRACTS)


ISSUED = Subscription(queue="plans.issued", bindings=(("plans", "plans.plan.issued"),),
                      contracts=plans_contracts.CONTRACTS)


def handlers(bus) -> dict:
    count = lambda event: bus.handle(CountCaseEvent(event))  # noqa: E731
    measure = lambda event: bus.handle(RecordDirectionEvent(event))  # noqa: E731
    count_all = lambda events: bus.handle(CountCaseEvents(events))  # noqa: E731
    return {INDICATORS: BatchedHandlers({event_type: count for event_type in CASE_COUNTED}, batch=count_all),
            OWN_INDICATORS: {event_type: count for event_type in OWN_COUNTED},
            DIRECTION: {event_type: measure for event_type in DIRECTION_EVENT_TYPES},
            ISSUED: {"plans.plan.issued": lambda event: bus.handle(AnnounceTasks(event.data["plan_id"]))},
            **rollup_consumer.handlers(bus)}
