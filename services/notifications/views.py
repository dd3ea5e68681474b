"""The read model of the notifications service: each unit's inbox, answered from the alert snapshots
(cosmicpython's views.py). The service layer reaches it through `ports.AlertViews`."""
from __future__ import annotations

from datetime import datetime

from shared.clock import aware

from services.notifications.adapters.documents import AlertSnapshot
from services.notifications.domain.model import Alert


class AlertViews:
    def inbox(self, unit: str, hidden_subject_types: tuple[str, ...], unacknowledged: bool, first: int,
              limit: int) -> tuple[list[Alert], int]:
        query = AlertSnapshot.objects(recipient_unit=unit)
        if hidden_subject_types:
            query = query.filter(subject_type__nin=list(hidden_subject_types))
        if unacknowledged:
            query = query.filter(acknowledged=False)
        query = query.order_by("-raised_at", "id")
        return [Alert.from_snapshot(s.id, s.state, s.version) for s in query.skip(first).limit(limit)], query.count()

    def open_about(self, subject_id: str) -> list[str]:
        return [s["_id"] for s in AlertSnapshot._get_collection().find({"subject_id": subject_id},
                                                                       {"_id": 1, "open": 1})
                if s.get("open") != "no"]

    def awaiting_escalation(self) -> list[tuple[str, datetime]]:
        return [(s["_id"], aware(s["next_escalation_at"]))
                for s in AlertSnapshot._get_collection().find({"escalation": "pending"},
                                                              {"_id": 1, "next_escalation_at": 1})
                if s.get("next_escalation_at")]
