"""The one routine of every change to an alert: load it once, check that it is in the caller's inbox and still at
the version the caller read, change it inside the block, save."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from shared.auth import Principal
from shared.envelope import Actor
from shared.errors import NotFound, expect_version
from shared.ports import Repository

from services.notifications.domain.access import may_read
from services.notifications.domain.model import Alert


class AlertsUnitOfWork:
    def __init__(self, alerts: Repository):
        self.alerts = alerts

    @contextmanager
    def changing(self, command, principal: Principal) -> Iterator[Alert]:
        alert = self.alerts.get(command.alert_id)
        if alert is None or not may_read(principal, alert.raised.recipient_unit, alert.raised.category):
            raise NotFound(f"no alert {command.alert_id} in your unit's inbox")
        expect_version(alert.version, command.expected_version)
        yield alert
        self.alerts.save(alert, Actor.of(principal))
