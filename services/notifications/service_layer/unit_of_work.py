"""The one routine of every change to an alert from a person's inbox: load it once, check that it is in the
caller's inbox (their unit, within their areas, a subject their roles may read) and still at the version the caller
read, change it inside the block, save."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from shared import areas
from shared.auth import Principal
from shared.envelope import Actor
from shared.errors import NotFound, expect_version
from shared.ports import Repository

from services.notifications.domain.access import may_read
from services.notifications.domain.model import Alert


def in_inbox_of(principal: Principal, alert: Alert | None) -> bool:
    raised = alert.raised if alert is not None else None
    return raised is not None and may_read(principal, raised.recipient_unit, raised.subject_type, raised.area_code,
                                           areas.within_any)


class AlertsUnitOfWork:
    def __init__(self, alerts: Repository):
        self.alerts = alerts

    def visible(self, alert_id: str, principal: Principal) -> Alert:
        """The alert, if it is in the caller's inbox; otherwise 404, saying the same whether it exists or not."""
        alert = self.alerts.get(alert_id)
        if not in_inbox_of(principal, alert):
            raise NotFound(f"no alert {alert_id} in your unit's inbox")
        return alert

    @contextmanager
    def changing(self, alert_id: str, expected_version: int | None, principal: Principal) -> Iterator[Alert]:
        alert = self.visible(alert_id, principal)
        expect_version(alert.version, expected_version)
        yield alert
        self.alerts.save(alert, Actor.of(principal))
