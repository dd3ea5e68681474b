"""Contracts of the events that cross services: one marshmallow schema per (type, schema_version).

Consumers validate what they receive with these; a contract test proves every producer's events satisfy them.
Unknown data fields are tolerated (EXCLUDE) so a producer can add a field without breaking its consumers;
removing or retyping a field needs a new schema_version.
"""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

AREA_CODE = validate.Regexp(r"^\d{2}(\d{3})?$", error="must be a 2-digit province or 5-digit commune code")


class EventData(Schema):
    class Meta:
        unknown = EXCLUDE


class CaseOpenedV1(EventData):
    case_id = fields.String(required=True)
    case_number = fields.String(required=True)
    person_code = fields.String(required=True)
    commune_code = fields.String(required=True, validate=AREA_CODE)
    regime = fields.String(required=True)
    stage = fields.String(required=True)
    opened_on = fields.Date(required=True)


class CaseWorkerAssignedV1(EventData):
    case_id = fields.String(required=True)
    commune_code = fields.String(required=True, validate=AREA_CODE)
    worker_id = fields.String(required=True)


class CaseTransitionedV1(EventData):
    """Every step of the legal workflow; the type names the step (see CASE_TRANSITION_TYPES)."""
    case_id = fields.String(required=True)
    case_number = fields.String(required=True)
    person_code = fields.String(required=True)
    commune_code = fields.String(required=True, validate=AREA_CODE)
    regime = fields.String(required=True)
    transition = fields.String(required=True)
    from_stage = fields.String(required=True)
    to_stage = fields.String(required=True)
    effective_on = fields.Date(required=True)
    decision_number = fields.String(allow_none=True, load_default=None)
    reason_code = fields.String(allow_none=True, load_default=None)
    due = fields.Dict(keys=fields.String(), values=fields.Date(), required=True)


class CaseDueNoticeV1(EventData):
    case_id = fields.String(required=True)
    case_number = fields.String(required=True)
    commune_code = fields.String(required=True, validate=AREA_CODE)
    due_name = fields.String(required=True)
    due_on = fields.Date(required=True)


class DrugTestRecordedV1(EventData):
    """That a test was done; its result and substances stay in the cases service."""
    case_id = fields.String(required=True)
    case_number = fields.String(required=True)
    commune_code = fields.String(required=True, validate=AREA_CODE)
    test_id = fields.String(required=True)
    tested_on = fields.Date(required=True)


class RelapseSuspectedV1(EventData):
    case_id = fields.String(required=True)
    case_number = fields.String(required=True)
    commune_code = fields.String(required=True, validate=AREA_CODE)
    stage = fields.String(required=True)
    tested_on = fields.Date(required=True)


class AccessEscalatedV1(EventData):
    """Break the glass: someone opened a protected section of a case; for auditors."""
    grant_id = fields.String(required=True)
    case_id = fields.String(required=True)
    commune_code = fields.String(required=True, validate=AREA_CODE)
    subject = fields.String(required=True)
    role = fields.String(required=True)
    section = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)


class CaseSharedV1(EventData):
    """Referrals (another unit gets access) and transfers (another commune takes ownership)."""
    case_id = fields.String(required=True)
    case_number = fields.String(required=True)
    commune_code = fields.String(required=True, validate=AREA_CODE)
    share_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["referral", "transfer"]))
    to_unit = fields.String(allow_none=True, load_default=None)
    to_commune = fields.String(allow_none=True, load_default=None, validate=AREA_CODE)
    status = fields.String(required=True)
    reason_code = fields.String(allow_none=True, load_default=None)
    notify_police_by = fields.AwareDateTime(allow_none=True, load_default=None)


class SupportRecordedV1(EventData):
    """Support given to a person; counted by the plans' indicators (people trained, placed; resources mobilised).
    The details (course, employer, counselling notes) stay in the cases service."""
    case_id = fields.String(required=True)
    commune_code = fields.String(required=True, validate=AREA_CODE)
    person_code = fields.String(required=True)
    support_id = fields.String(required=True)
    kind = fields.String(required=True)
    provided_on = fields.Date(required=True)
    amount_vnd = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1))
    funding_source = fields.String(allow_none=True, load_default=None)


class OstTerminationProposedV1(EventData):
    """A methadone termination rule is met: the clinic's doctor must decide. The ground stays in the service."""
    case_id = fields.String(required=True)
    case_number = fields.String(required=True)
    commune_code = fields.String(required=True, validate=AREA_CODE)
    proposal_id = fields.String(required=True)
    proposed_on = fields.Date(required=True)
    clinic_unit = fields.String(allow_none=True, load_default=None)


CASE_SHARING_TYPES = tuple(f"cases.case.{name}" for name in (
    "referred", "referral_accepted", "referral_rejected", "referral_revoked",
    "transfer_requested", "transferred", "transfer_rejected", "transfer_revoked"))
CASE_TRANSITION_TYPES = tuple(f"cases.case.{name}" for name in (
    "management_started", "assessment_requested", "dependence_found", "no_dependence_found",
    "voluntary_rehab_started", "methadone_admitted", "violation_recorded", "compulsory_dossier_opened",
    "compulsory_rehab_ordered", "absconded", "returned", "aftercare_started", "relapse_reported", "closed",
    "reopened", "dossier_submitted", "methadone_registered", "methadone_terminated", "term_reduced"))
CASE_DUE_TYPES = ("cases.case.due_soon", "cases.case.overdue")


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


CONTRACTS: dict[tuple[str, int], type[EventData]] = {
    **{(event_type, 1): CaseSharedV1 for event_type in CASE_SHARING_TYPES},
    ("cases.case.drug_test_recorded", 1): DrugTestRecordedV1,
    ("cases.case.relapse_suspected", 1): RelapseSuspectedV1,
    ("cases.access.escalated", 1): AccessEscalatedV1,
    ("cases.case.support_recorded", 1): SupportRecordedV1,
    ("cases.ost.termination_proposed", 1): OstTerminationProposedV1,
    **{(event_type, 1): CaseTransitionedV1 for event_type in CASE_TRANSITION_TYPES},
    **{(event_type, 1): CaseDueNoticeV1 for event_type in CASE_DUE_TYPES},
    ("cases.case.opened", 1): CaseOpenedV1,
    ("cases.case.worker_assigned", 1): CaseWorkerAssignedV1,
    ("plans.unit.registered", 1): UnitRegisteredV1,
    ("plans.plan.created", 1): PlanCreatedV1,
    ("plans.task.assigned", 1): TaskAssignedV1,
    ("notifications.alert.raised", 1): AlertRaisedV1,
    ("notifications.alert.acknowledged", 1): AlertAcknowledgedV1,
}


def data_schema(event_type: str, schema_version: int) -> EventData:
    try:
        return CONTRACTS[(event_type, schema_version)]()
    except KeyError:
        raise ValidationError(f"no contract for {event_type} v{schema_version}", field_name="type") from None
