"""The events the notifications service publishes: one marshmallow schema per (type, schema_version); consumers
import this module (see services/cases/contracts.py for the rules of change). The cases service consumes the
steps of alerts about cases to show them on the case's timeline."""
from __future__ import annotations

from marshmallow import fields

from shared.contracts import AREA_CODE, EventData


class AlertStepV1(EventData):
    """What every step of an alert names: which alert, whose inbox, and what it is about."""
    alert_id = fields.String(required=True)
    recipient_unit = fields.String(required=True)
    category = fields.String(allow_none=True, load_default=None)
    subject_type = fields.String(allow_none=True, load_default=None)
    subject_id = fields.String(allow_none=True, load_default=None)


class AlertRaisedV1(AlertStepV1):
    category = fields.String(required=True)
    subject_type = fields.String(required=True)
    subject_id = fields.String(required=True)
    urgent = fields.Boolean(required=True)
    area_code = fields.String(allow_none=True, load_default=None, validate=AREA_CODE)
    title_vi = fields.String(required=True)
    title_en = fields.String(required=True)
    raised_at = fields.AwareDateTime(required=True)
    rule_id = fields.String(allow_none=True, load_default=None)
    ack_required = fields.Boolean(load_default=False)
    ack_due_at = fields.AwareDateTime(allow_none=True, load_default=None)
    escalated_from = fields.String(allow_none=True, load_default=None)


class AlertAcknowledgedV1(AlertStepV1):
    acknowledged_by = fields.String(required=True)
    via = fields.String(allow_none=True, load_default=None)
    acknowledged_at = fields.AwareDateTime(allow_none=True, load_default=None)
    late = fields.Boolean(load_default=False)


class AlertEscalatedV1(AlertStepV1):
    """Nobody acknowledged in time: the next level is told. `deadline_missed` when a legal deadline passed."""
    level = fields.Integer(required=True)
    round = fields.Integer(required=True)
    to_units = fields.List(fields.String(), required=True)
    to_unit_heads = fields.Boolean(required=True)
    deadline_missed = fields.Boolean(required=True)
    escalated_at = fields.AwareDateTime(required=True)


class AlertResolvedV1(AlertStepV1):
    """The condition ended (the case moved on, the report was submitted): the alert needs nobody any more."""
    reason = fields.String(required=True)
    resolved_at = fields.AwareDateTime(required=True)


CONTRACTS = {
    ("notifications.alert.raised", 1): AlertRaisedV1,
    ("notifications.alert.acknowledged", 1): AlertAcknowledgedV1,
    ("notifications.alert.escalated", 1): AlertEscalatedV1,
    ("notifications.alert.resolved", 1): AlertResolvedV1,
}
