"""Use cases of the notifications service: route events to alerts, keep the unit directory, serve inboxes."""
from __future__ import annotations

import uuid

from shared import areas
from shared.auth import Principal
from shared.envelope import Actor, Envelope
from shared.errors import Conflict, NotFound
from shared.repository import EventSourcedRepository

from services.notifications.adapters.documents import AlertSnapshot, UnitCopy
from services.notifications.domain.model import ROUTES, Alert, AlreadyAcknowledged, UnitEntry, recipients

CASE_READERS = ("caseworker", "police_liaison", "health_worker", "admin")
CASE_CATEGORIES = sorted({route.category for route in ROUTES.values() if route.subject_type == "case"})


def _may_read(principal: Principal, raised) -> bool:
    """Alerts about cases are for the roles that work cases, even within the recipient unit."""
    return raised.category not in CASE_CATEGORIES or principal.has_role(*CASE_READERS)


ALERT_IDS = uuid.UUID("6f1c3a52-52f4-4d47-9a55-6b8e1c0d2a10")


class NotificationService:
    def __init__(self, alerts: EventSourcedRepository):
        self.alerts = alerts
        self.actor = Actor.system("notifications")

    def record_unit(self, envelope: Envelope) -> None:
        """Keep the newest registration of each unit; replaying an older one changes nothing."""
        data = envelope.data
        current = UnitCopy.objects(unit_code=data["unit_code"]).first()
        if current is None or current.version < envelope.stream.version:
            UnitCopy(unit_code=data["unit_code"], kind=data["kind"], covers=data["covers"],
                     version=envelope.stream.version).save()

    def directory(self) -> list[UnitEntry]:
        return [UnitEntry(u.unit_code, u.kind, tuple(u.covers)) for u in UnitCopy.objects]

    def route_event(self, envelope: Envelope) -> int:
        """Raise one alert per recipient unit; each alert's id derives from the event, so redelivery adds none."""
        route = ROUTES[envelope.type]
        raised = 0
        for unit in recipients(route, envelope.data, envelope.area_code, self.directory(), areas.covers):
            alert_id = uuid.uuid5(ALERT_IDS, f"{envelope.id}:{unit}").hex
            area = route.area_of(envelope.data, envelope.area_code)
            alert = Alert.raise_for(alert_id, unit, route, envelope.data, area,
                                    areas.name_of(area) if area else None, raised_at=envelope.occurred_at)
            self.alerts.save(alert, self.actor, causation_id=envelope.id,
                             event_ids=[str(uuid.uuid5(ALERT_IDS, f"{alert_id}:raised"))])
            raised += 1
        return raised

    def inbox(self, principal: Principal, unacknowledged: bool, first: int, limit: int):
        query = AlertSnapshot.objects(recipient_unit=principal.unit or "")
        if not principal.has_role(*CASE_READERS):
            query = query.filter(category__nin=CASE_CATEGORIES)
        if unacknowledged:
            query = query.filter(acknowledged=False)
        query = query.order_by("-raised_at", "id")
        return list(query.skip(first).limit(limit)), query.count()

    def acknowledge(self, alert_id: str, principal: Principal, expected_version: int | None) -> Alert:
        alert = self.alerts.get(alert_id)
        if alert is None or alert.raised.recipient_unit != principal.unit or not _may_read(principal, alert.raised):
            raise NotFound(f"no alert {alert_id} in your unit's inbox")
        alert = self.alerts.get_for_update(alert_id, expected_version)
        try:
            alert.acknowledge(principal.subject)
        except AlreadyAcknowledged:
            raise Conflict("the alert is already acknowledged") from None
        self.alerts.save(alert, Actor.of(principal))
        return alert
