"""What the plans service consumes from others: case events that its indicators count."""
from __future__ import annotations

from shared.bus import Subscription

INDICATORS = Subscription(queue="plans.indicators", bindings=(("cases", "cases.case.opened"),))


def handlers(service) -> dict:
    return {INDICATORS: {"cases.case.opened": service.count_case_event}}
