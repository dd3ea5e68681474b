"""The events the plans service publishes: one marshmallow schema per (type, schema_version); consumers import
this module (see services/cases/contracts.py for the rules of change)."""
from __future__ import annotations

from marshmallow import fields

from shared.contracts import AREA_CODE, EventData


class UnitRegisteredV1(EventData):
    unit_code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    area_code = fields.String(required=True, validate=AREA_CODE)
    covers = fields.List(fields.String(validate=AREA_CODE), required=True)


class IndicatorTargetV1(EventData):
    code = fields.String(required=True)
    target = fields.Float(required=True)


class PlanCreatedV1(EventData):
    plan_id = fields.String(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True)
    area_code = fields.String(required=True, validate=AREA_CODE)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    indicators = fields.List(fields.Nested(IndicatorTargetV1), required=True)


class TaskAssignedV1(EventData):
    task_id = fields.String(required=True)
    plan_id = fields.String(required=True)
    title = fields.String(required=True)
    lead_unit = fields.String(required=True)
    supporting_units = fields.List(fields.String(), required=True)
    due_on = fields.Date(required=True)


CONTRACTS = {
    ("plans.unit.registered", 1): UnitRegisteredV1,
    ("plans.plan.created", 1): PlanCreatedV1,
    ("plans.task.assigned", 1): TaskAssignedV1,
}
