"""What the notifications service consumes: events that someone must be told of, and the unit directory."""
from __future__ import annotations

from shared.bus import Subscription

from services.notifications.domain.model import ROUTES

ALERTS = Subscription(queue="notifications.alerts",
                      bindings=tuple((event_type.split(".")[0], event_type) for event_type in ROUTES))
DIRECTORY = Subscription(queue="notifications.directory", bindings=(("plans", "plans.unit.registered"),))


def handlers(service) -> dict:
    return {ALERTS: {event_type: service.route_event for event_type in ROUTES},
            DIRECTORY: {"plans.unit.registered": service.record_unit}}
