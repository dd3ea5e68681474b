"""The events the notifications service publishes: one marshmallow schema per (type, schema_version); consumers
import this module (see services/cases/contracts.py for the rules of change)."""
from __future__ import annotations

from marshmallow import fields

from shared.contracts import AREA_CODE, EventData


class AlertRaisedV1(EventData):
    alert_id = fields.String(required=True)
    recipient_unit = fields.String(required=True)
    category = fields.String(required=True)
    subject_type = fields.String(required=True)
    subject_id = fields.String(required=True)
    urgent = fields.Boolean(required=True)
    area_code = fields.String(allow_none=True, load_default=None, validate=AREA_CODE)
    title_vi = fields.String(required=True)
    title_en = fields.String(required=True)
    raised_at = fields.AwareDateTime(required=True)


class AlertAcknowledgedV1(EventData):
    alert_id = fields.String(required=True)
    recipient_unit = fields.String(required=True)
    acknowledged_by = fields.String(required=True)


CONTRACTS = {
    ("notifications.alert.raised", 1): AlertRaisedV1,
    ("notifications.alert.acknowledged", 1): AlertAcknowledgedV1,
}
