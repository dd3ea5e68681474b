"""Alerts: raised from other services' events to the units that must know, read and acknowledged in a unit's
inbox."""
from __future__ import annotations

import uuid

from shared import areas
from shared.auth import Principal
from shared.envelope import Actor
from shared.errors import Conflict
from shared.ports import Repository

from services.notifications.domain.access import hidden_categories
from services.notifications.domain.commands import AcknowledgeAlert, RouteEvent
from services.notifications.domain.model import ROUTES, Alert, AlreadyAcknowledged, recipients
from services.notifications.domain.queries import Inbox
from services.notifications.service_layer.ports import AlertViews, UnitDirectory
from services.notifications.service_layer.unit_of_work import AlertsUnitOfWork

ALERT_IDS = uuid.UUID("6f1c3a52-52f4-4d47-9a55-6b8e1c0d2a10")


def route_event(command: RouteEvent, principal, alerts: Repository, directory: UnitDirectory) -> int:
    """Raise one alert per recipient unit; each alert's id derives from the event, so redelivery adds none."""
    event, route = command.event, ROUTES[command.event.type]
    area = route.area_of(event.data, event.area_code)
    units = recipients(route, event.data, event.area_code, directory.entries(), areas.covers)
    for unit in units:
        alert_id = uuid.uuid5(ALERT_IDS, f"{event.id}:{unit}").hex
        alert = Alert.raise_for(alert_id, unit, route, event.data, area, areas.name_of(area) if area else None,
                                raised_at=event.occurred_at)
        alerts.save(alert, Actor.system("notifications"), causation_id=event.id,
                    event_ids=[str(uuid.uuid5(ALERT_IDS, f"{alert_id}:raised"))])
    return len(units)


def acknowledge_alert(command: AcknowledgeAlert, principal: Principal, uow: AlertsUnitOfWork) -> Alert:
    with uow.changing(command, principal) as alert:
        try:
            alert.acknowledge(principal.subject)
        except AlreadyAcknowledged:
            raise Conflict("the alert is already acknowledged") from None
    return alert


def inbox(query: Inbox, principal: Principal, views: AlertViews) -> tuple[list[Alert], int]:
    return views.inbox(principal.unit or "", hidden_categories(principal), query.unacknowledged, query.first,
                       query.limit)


HANDLERS = {RouteEvent: route_event, AcknowledgeAlert: acknowledge_alert, Inbox: inbox}


