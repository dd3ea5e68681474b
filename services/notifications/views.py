"""The read model of the notifications service: each unit's inbox, answered from the alert snapshots
(cosmicpython's views.py). The service layer reaches it through `ports.AlertViews`."""
from __future__ import annotations

from datetime import datetime

from services.notifications.adapters.documents import AlertSnapshot
from services.notifications.service_layer.ports import AlertRow


def _row(snapshot: AlertSnapshot) -> AlertRow:
    raised = snapshot.state["raised"]
    return AlertRow(id=snapshot.id, version=snapshot.version, recipient_unit=raised["recipient_unit"],
                    category=raised["category"], subject_type=raised["subject_type"],
                    subject_id=raised["subject_id"], urgent=raised["urgent"], area_code=raised["area_code"],
                    title_vi=raised["title_vi"], title_en=raised["title_en"], raised_at=datetime.fromisoformat(raised["raised_at"]),
                    acknowledged_by=snapshot.state["acknowledged_by"])


class AlertViews:
    def inbox(self, unit: str, hidden_categories: tuple[str, ...], unacknowledged: bool, first: int,
              limit: int) -> tuple[list[AlertRow], int]:
        query = AlertSnapshot.objects(recipient_unit=unit)
        if hidden_categories:
            query = query.filter(category__nin=list(hidden_categories))
        if unacknowledged:
            query = query.filter(acknowledged=False)
        query = query.order_by("-raised_at", "id")
        return [_row(s) for s in query.skip(first).limit(limit)], query.count()
