"""The one place that wires the notifications service's adapters to its service layer."""
from __future__ import annotations

from shared import runtime
from shared.repository import EventSourcedRepository
from shared.settings import Settings

from services.notifications.adapters.documents import DOCUMENTS, AlertSnapshot, alert_list_fields
from services.notifications.domain.model import Alert
from services.notifications.service_layer.handlers import NotificationService


def bootstrap(settings: Settings) -> NotificationService:
    runtime.connect_database(settings, DOCUMENTS)
    return NotificationService(EventSourcedRepository("notifications", Alert, AlertSnapshot,
                                                      list_fields=alert_list_fields))
