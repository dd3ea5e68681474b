"""The read model of the notifications service: each unit's inbox, answered from the alert snapshots
(cosmicpython's views.py). The service layer reaches it through `ports.AlertViews`."""
from __future__ import annotations

from services.notifications.adapters.documents import AlertSnapshot
from services.notifications.domain.model import Alert


class AlertViews:
    def inbox(self, unit: str, hidden_categories: tuple[str, ...], unacknowledged: bool, first: int,
              limit: int) -> tuple[list[Alert], int]:
        query = AlertSnapshot.objects(recipient_unit=unit)
        if hidden_categories:
            query = query.filter(category__nin=list(hidden_categories))
        if unacknowledged:
            query = query.filter(acknowledged=False)
        query = query.order_by("-raised_at", "id")
        return [Alert.from_snapshot(s.id, s.state, s.version) for s in query.skip(first).limit(limit)], query.count()
