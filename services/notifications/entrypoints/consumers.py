"""What the notifications service consumes: every event a rule may route or resolve by (rules are data, so the
queue takes every published event of cases and plans), and the unit directory. Routing gives the same alerts
whatever order the events are taken in (service_layer/alerts.py `route_events`), so two consumers share its queue:
one works on its batch while the other waits on the store."""
from __future__ import annotations

from shared.bus import Subscription
from shared.consumer import BatchedHandlers
from shared.contracts import combined

from services.cases import contracts as cases_contracts
from services.notifications.adapters.catalog import event_types
from services.notifications.domain.commands import RecordUnit, RouteEvent, RouteEvents
from services.plans import contracts as plans_contracts

ROUTABLE = event_types()
ALERTS = Subscription(queue="notifications.alerts",
                      bindings=tuple((event_type.split(".")[0], event_type) for event_type in ROUTABLE),
                      contracts=combined(cases_contracts.CONTRACTS, plans_contracts.CONTRACTS), consumers=2)
DIRECTORY = Subscription(queue="notifications.directory", bindings=(("plans", "plans.unit.registered"),),
                         contracts=plans_contracts.CONTRACTS)


def handlers(bus) -> dict:
    route = lambda event: bus.handle(RouteEvent(event))  # noqa: E731
    return {ALERTS: BatchedHandlers({event_type: route for event_type in ROUTABLE},
                                    batch=lambda events: bus.handle(RouteEvents(events))),
            DIRECTORY: {"plans.unit.registered": lambda event: bus.handle(RecordUnit(event))}}
