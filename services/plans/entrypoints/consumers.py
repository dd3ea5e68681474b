"""What the plans service consumes from others: case events that its indicators and its direction measures
count."""
from __future__ import annotations

from shared.bus import Subscription

from services.cases import contracts as cases_contracts
from services.plans.domain.commands import CountCaseEvent, RecordDirectionEvent
from services.plans.domain.direction import DIRECTION_EVENT_TYPES
from services.plans.domain.model import COUNTED_EVENT_TYPES

INDICATORS = Subscription(queue="plans.indicators",
                          bindings=tuple(("cases", event_type) for event_type in COUNTED_EVENT_TYPES),
                          contracts=cases_contracts.CONTRACTS)
DIRECTION = Subscription(queue="plans.direction",
                         bindings=tuple(("cases", event_type) for event_type in DIRECTION_EVENT_TYPES),
                         contracts=cases_contracts.CONTRACTS)


def handlers(bus) -> dict:
    count = lambda event: bus.handle(CountCaseEvent(event))  # noqa: E731
    measure = lambda event: bus.handle(RecordDirectionEvent(event))  # noqa: E731
    return {INDICATORS: {event_type: count for event_type in COUNTED_EVENT_TYPES},
            DIRECTION: {event_type: measure for event_type in DIRECTION_EVENT_TYPES}}
