"""What the notifications service keeps besides its event log."""
from __future__ import annotations

from mongoengine import BooleanField, DateTimeField, Document, IntField, ListField, StringField

from shared.repository import SnapshotDocument


class AlertSnapshot(SnapshotDocument):
    """Top-level copies of what lists and timers filter by: FerretDB answers string equality on an indexed field
    from the index, anything else by reading every document."""
    recipient_unit = StringField(required=True)
    category = StringField(required=True)
    subject_type = StringField()
    subject_id = StringField()
    area_code = StringField()
    urgent = BooleanField(required=True)
    acknowledged = BooleanField(required=True)
    raised_at = DateTimeField(required=True)
    open = StringField()
    escalation = StringField()
    next_escalation_at = DateTimeField()
    meta = {"collection": "alert_snapshots", "indexes": [("recipient_unit", "-raised_at"), "subject_id",
                                                         "escalation"]}


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
            "raised_at": alert.raised.raised_at, "subject_type": alert.raised.subject_type,
            "subject_id": alert.raised.subject_id, "area_code": alert.raised.area_code,
            "open": "yes" if alert.open else "no",
            "escalation": "pending" if alert.awaiting_escalation else "none",
            "next_escalation_at": alert.next_escalation_at}


DOCUMENTS = (AlertSnapshot, UnitCopy)
