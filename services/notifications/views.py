"""The read model of the notifications service: each unit's inbox, answered from the alert snapshots
(cosmicpython's views.py). The service layer reaches it through `ports.AlertViews`."""
from __future__ import annotations

from datetime import datetime

from shared.clock import aware
from shared.repository import from_snapshot

from services.notifications.adapters.documents import AlertSnapshot
from services.notifications.domain.inbox import InboxFilter, InboxScope
from services.notifications.domain.model import Alert


class AlertViews:
    def inbox_page(self, scope: InboxScope, narrowed: InboxFilter, only: list[str] | None, without: list[str],
                   first: int, limit: int) -> tuple[list[Alert], int]:
        """The alerts in `scope`, newest first: of the ids `only` if given, never of the ids `without`."""
        query = _inbox_query(scope, narrowed)
        if only is not None:
            query["_id"] = {"$in": only}
        elif without:
            query["_id"] = {"$nin": without}
        collection = AlertSnapshot._get_collection()
        page = collection.find(query, {"state": 1, "version": 1}).sort([("raised_at", -1), ("_id", 1)])
        return ([from_snapshot(Alert, s) for s in page.skip(first).limit(limit)],
                collection.count_documents(query))

    def inbox_count(self, scope: InboxScope, narrowed: InboxFilter) -> int:
        return AlertSnapshot._get_collection().count_documents(_inbox_query(scope, narrowed))

    def open_about(self, subject_id: str) -> list[str]:
        return [s["_id"] for s in AlertSnapshot._get_collection().find({"subject_id": subject_id},
                                                                       {"_id": 1, "open": 1})
                if s.get("open") != "no"]

    def areas_about(self, subject_type: str, subject_id: str) -> set[str | None]:
        """The areas of the alerts ever raised about a subject, by the indexed `subject_id`."""
        return {s.get("area_code") for s in AlertSnapshot._get_collection().find(
            {"subject_id": subject_id}, {"subject_type": 1, "area_code": 1}) if s.get("subject_type") == subject_type}

    def open_of_unit(self, unit_code: str, limit: int) -> list[Alert]:
        """An agency's open alerts, newest first (its feed): led by the unit, an indexed string equality."""
        page = AlertSnapshot._get_collection().find({"recipient_unit": unit_code, "open": "yes"},
                                                    {"state": 1, "version": 1})
        return [from_snapshot(Alert, s)
                for s in page.sort([("raised_at", -1), ("_id", 1)]).limit(limit)]

    def awaiting_escalation(self) -> list[tuple[str, datetime]]:
        return [(s["_id"], aware(s["next_escalation_at"]))
                for s in AlertSnapshot._get_collection().find({"escalation": "pending"},
                                                              {"_id": 1, "next_escalation_at": 1})
                if s.get("next_escalation_at")]


def _inbox_query(scope: InboxScope, narrowed: InboxFilter) -> dict:
    """Led by the unit (indexed), then equality and `$in` on the snapshot's top-level copies: an area inside the
    caller's areas or none, whatever the unit directory says."""
    query = {"recipient_unit": scope.unit, "area_code": {"$in": [None, *scope.area_codes]}}
    if scope.hidden_subject_types:
        query["subject_type"] = {"$nin": list(scope.hidden_subject_types)}
    if narrowed.urgent is not None:
        query["urgent"] = narrowed.urgent
    if narrowed.category:
        query["category"] = narrowed.category
    if narrowed.unacknowledged:
        query.update(acknowledged=False, open="yes")
    return query
