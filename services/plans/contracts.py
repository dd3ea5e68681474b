"""The events the plans service publishes: one marshmallow schema per (type, schema_version); consumers import
this module (see services/cases/contracts.py for the rules of change)."""
from __future__ import annotations

from marshmallow import fields

from shared.contracts import AREA_CODE, EventData

from services.plans.domain.notices import DEADLINE_NOTICES


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
    """A draft plan, new or copied (`copied_from`)."""
    plan_id = fields.String(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True)
    area_code = fields.String(required=True, validate=AREA_CODE)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    indicators = fields.List(fields.Nested(IndicatorTargetV1), required=True)
    summary_report_due_on = fields.Date(allow_none=True)
    copied_from = fields.String(allow_none=True)


class PlanIssuedV1(EventData):
    plan_id = fields.String(required=True)
    area_code = fields.String(required=True, validate=AREA_CODE)
    issuing_authority = fields.String(required=True)
    document_number = fields.String(required=True)
    document_date = fields.Date(required=True)
    signer = fields.String(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    summary_report_due_on = fields.Date(allow_none=True)


class PlanStartedV1(EventData):
    plan_id = fields.String(required=True)
    area_code = fields.String(required=True, validate=AREA_CODE)
    started_on = fields.Date(required=True)


class PlanAmendedV1(EventData):
    """`changes` maps each amended field to its new value (dates as ISO strings, indicators as targets)."""
    plan_id = fields.String(required=True)
    area_code = fields.String(required=True, validate=AREA_CODE)
    revision = fields.Integer(required=True)
    document_number = fields.String(required=True)
    reason = fields.String(required=True)
    amended_on = fields.Date(required=True)
    changes = fields.Dict(keys=fields.String(), required=True)


class PlanClosedV1(EventData):
    plan_id = fields.String(required=True)
    area_code = fields.String(required=True, validate=AREA_CODE)
    closed_on = fields.Date(required=True)
    waived_assignments = fields.Integer(required=True)


class TaskAssignedV1(EventData):
    """A task announced to its units: its plan was issued, or it was added to a plan in force."""
    task_id = fields.String(required=True)
    plan_id = fields.String(required=True)
    title = fields.String(required=True)
    lead_unit = fields.String(required=True)
    supporting_units = fields.List(fields.String(), required=True)
    due_on = fields.Date(required=True)
    starts_on = fields.Date(allow_none=True)
    assigned_units = fields.List(fields.String())


class TaskAmendedV1(EventData):
    task_id = fields.String(required=True)
    plan_id = fields.String(required=True)
    changes = fields.Dict(keys=fields.String(), required=True)
    reason = fields.String(required=True)
    document_number = fields.String(required=True)


class AssignmentMadeV1(EventData):
    task_id = fields.String(required=True)
    plan_id = fields.String(required=True)
    title = fields.String(required=True)
    unit_code = fields.String(required=True)
    area_code = fields.String(required=True, validate=AREA_CODE)
    shares = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    assigned_on = fields.Date(required=True)
    due_on = fields.Date(required=True)


class AssignmentWaivedV1(EventData):
    task_id = fields.String(required=True)
    plan_id = fields.String(required=True)
    unit_code = fields.String(required=True)
    reason = fields.String(required=True)
    waived_on = fields.Date(required=True)



class HotspotStepV1(EventData):
    """A hotspot eliminated or re-emerged: where (commune), what (kind, level) and when; never the place, its
    address or coordinates, nor the officers' notes."""
    hotspot_id = fields.String(required=True)
    commune_code = fields.String(required=True, validate=AREA_CODE)
    kind = fields.String(required=True)
    level = fields.String(required=True)
    effective_on = fields.Date(required=True)


class DeadlineNoticedV1(EventData):
    """A task due soon or overdue (to its lead unit), or a unit's report due soon or missing (`period`)."""
    task_id = fields.String(required=True)
    plan_id = fields.String(required=True)
    title = fields.String(required=True)
    unit_code = fields.String(required=True)
    due_on = fields.Date(required=True)
    period = fields.String(allow_none=True)


class ReportSubmittedV1(EventData):
    """A progress report submitted for review: first, after a return, or as a revision of an approved one.
    `reviewer_unit` is the task's lead unit unless it is the reporting unit (then the plan's coordinators review);
    `plan_area_code` is the area whose coordinators review it."""
    report_id = fields.String(required=True)
    plan_id = fields.String(required=True)
    task_id = fields.String(required=True)
    unit_code = fields.String(required=True)
    area_code = fields.String(required=True, validate=AREA_CODE)
    plan_area_code = fields.String(required=True, validate=AREA_CODE)
    reviewer_unit = fields.String(allow_none=True)
    period = fields.String(required=True)
    revision = fields.Integer(required=True)
    late = fields.Boolean(required=True)
    submitted_on = fields.Date(required=True)


class ReportReturnedV1(EventData):
    """Returned to the reporting unit; the reviewer's comments stay in the plans service."""
    report_id = fields.String(required=True)
    plan_id = fields.String(required=True)
    task_id = fields.String(required=True)
    unit_code = fields.String(required=True)
    area_code = fields.String(required=True, validate=AREA_CODE)
    period = fields.String(required=True)
    revision = fields.Integer(required=True)
    returned_on = fields.Date(required=True)


class ReportApprovedV1(EventData):
    report_id = fields.String(required=True)
    plan_id = fields.String(required=True)
    task_id = fields.String(required=True)
    unit_code = fields.String(required=True)
    area_code = fields.String(required=True, validate=AREA_CODE)
    period = fields.String(required=True)
    revision = fields.Integer(required=True)
    approved_on = fields.Date(required=True)


CONTRACTS = {
    ("plans.unit.registered", 1): UnitRegisteredV1,
    ("plans.plan.created", 1): PlanCreatedV1,
    ("plans.plan.issued", 1): PlanIssuedV1,
    ("plans.plan.started", 1): PlanStartedV1,
    ("plans.plan.amended", 1): PlanAmendedV1,
    ("plans.plan.closed", 1): PlanClosedV1,
    ("plans.task.assigned", 1): TaskAssignedV1,
    ("plans.hotspot.eliminated", 1): HotspotStepV1,
    ("plans.hotspot.re_emerged", 1): HotspotStepV1,
    ("plans.task.amended", 1): TaskAmendedV1,
    ("plans.assignment.made", 1): AssignmentMadeV1,
    ("plans.assignment.waived", 1): AssignmentWaivedV1,
    ("plans.report.submitted", 1): ReportSubmittedV1,
    ("plans.report.returned", 1): ReportReturnedV1,
    ("plans.report.approved", 1): ReportApprovedV1,
    **{(notice, 1): DeadlineNoticedV1 for notice in DEADLINE_NOTICES},
}
