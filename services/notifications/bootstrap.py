"""The one place that wires the notifications service: adapters, the read model and the handlers, into a message
bus."""
from __future__ import annotations

from shared import runtime
from shared.messagebus import MessageBus, merged
from shared.repository import EventSourcedRepository
from shared.settings import Settings

from services.notifications.adapters.directory import UnitDirectory
from services.notifications.adapters.documents import DOCUMENTS, AlertSnapshot, alert_list_fields
from services.notifications.domain.model import Alert
from services.notifications.service_layer import alerts, directory
from services.notifications.service_layer.unit_of_work import AlertsUnitOfWork
from services.notifications.views import AlertViews

HANDLERS = merged(alerts.HANDLERS, directory.HANDLERS)


def bootstrap(settings: Settings) -> MessageBus:
    runtime.connect_database(settings, DOCUMENTS)
    repository = EventSourcedRepository("notifications", Alert, AlertSnapshot, list_fields=alert_list_fields)
    return MessageBus(HANDLERS, dependencies={"alerts": repository, "uow": AlertsUnitOfWork(repository),
                                              "views": AlertViews(), "directory": UnitDirectory()})
