"""What the notifications service keeps besides its event log."""
from __future__ import annotations

from mongoengine import BooleanField, DateTimeField, Document, IntField, ListField, StringField

from shared.repository import SnapshotDocument


class AlertSnapshot(SnapshotDocument):
    recipient_unit = StringField(required=True)
    category = StringField(required=True)
    urgent = BooleanField(required=True)
    acknowledged = BooleanField(required=True)
    raised_at = DateTimeField(required=True)
    meta = {"collection": "alert_snapshots", "indexes": [("recipient_unit", "-raised_at")]}


class UnitCopy(Document):
    """This service's copy of the plans service's unit directory, kept from `plans.unit.registered`."""
    unit_code = StringField(primary_key=True)
    kind = StringField(required=True)
    covers = ListField(StringField())
    version = IntField(required=True)
    meta = {"collection": "units", "auto_create_index": False}


def alert_list_fields(alert) -> dict:
    return {"recipient_unit": alert.raised.recipient_unit, "category": alert.raised.category,
            "urgent": alert.raised.urgent, "acknowledged": alert.acknowledged_by is not None,
            "raised_at": alert.raised.raised_at}


DOCUMENTS = (AlertSnapshot, UnitCopy)
