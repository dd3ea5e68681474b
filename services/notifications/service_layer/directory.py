"""The unit directory this service routes by, kept from the plans service's registrations."""
from __future__ import annotations

from services.notifications.domain.commands import RecordUnit
from services.notifications.service_layer.ports import UnitDirectory


def record_unit(command: RecordUnit, principal, directory: UnitDirectory) -> None:
    """Keep the newest registration of each unit; replaying an older one changes nothing."""
    data = command.event.data
    directory.keep(data["unit_code"], data["kind"], data["covers"], command.event.stream.version)


HANDLERS = {RecordUnit: record_unit}
