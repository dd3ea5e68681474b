"""What the plans service consumes from others: case events that its indicators count."""
from __future__ import annotations

from shared.bus import Subscription

from services.plans.domain.model import COUNTED_EVENT_TYPES

INDICATORS = Subscription(queue="plans.indicators",
                          bindings=tuple(("cases", event_type) for event_type in COUNTED_EVENT_TYPES))


def handlers(service) -> dict:
    return {INDICATORS: {event_type: service.count_case_event for event_type in COUNTED_EVENT_TYPES}}
