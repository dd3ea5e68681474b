"""Request and response schemas of cases, people and workflows."""
from __future__ import annotations

import typing
from dataclasses import fields as dataclass_fields
from datetime import date

from marshmallow import Schema, fields, validate

from services.cases.domain.access import EXPORT_PURPOSES
from services.cases.domain.model import TEST_RESULTS
from services.cases.domain.ost import SUBSTANCES
from services.cases.domain.workflow import Decision
from services.cases.entrypoints.disclosure_schemas import AccessGrantOut, ConsentOut, ReferralConsentIn
from services.cases.entrypoints.care_schemas import FollowUpOut, SupportOut, TherapyOut, VisitOut
from services.cases.entrypoints.fields import COMMUNE, UNIT, NationalId, written_reason


class GuardianIn(Schema):
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    relation = fields.String(required=True, validate=validate.Length(min=1, max=50))
    phone = fields.String(validate=validate.Length(min=6, max=20))


class PersonIn(Schema):
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    birth_date = fields.Date(required=True)
    sex = fields.String(required=True, validate=validate.OneOf(["female", "male"]))
    national_id = NationalId()
    phone = fields.String(validate=validate.Length(min=6, max=20))
    address = fields.String(validate=validate.Length(min=1, max=500))
    guardian = fields.Nested(GuardianIn)
    not_duplicate_of = fields.List(fields.String(validate=validate.Length(max=20)), load_default=list,
                                   validate=validate.Length(max=20))


class RegisterPersonIn(PersonIn):
    residence_code = fields.String(required=True, validate=COMMUNE)


class OpenCaseIn(Schema):
    person = fields.Nested(PersonIn)
    person_code = fields.String(validate=validate.Length(min=1, max=20))
    commune_code = fields.String(required=True, validate=COMMUNE)
    opened_on = fields.Date(required=True)
    stage = fields.String(load_default="user_management", validate=validate.Length(min=1, max=50))


class AssignWorkerIn(Schema):
    worker_id = fields.String(required=True, validate=validate.Length(min=1, max=100))


class GuardianOut(Schema):
    full_name = fields.String()
    relation = fields.String()
    phone = fields.String(allow_none=True)


class PersonOut(Schema):
    person_code = fields.String()
    full_name = fields.String()
    birth_date = fields.Date()
    sex = fields.String()
    residence_code = fields.String()
    merged_into = fields.String(allow_none=True)
    national_id = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    guardian = fields.Nested(GuardianOut, allow_none=True)


class PeopleQuery(Schema):
    q = fields.String(validate=validate.Length(min=1, max=200))
    national_id = NationalId()
    commune_code = fields.String(validate=COMMUNE)


class DrugTestIn(Schema):
    tested_on = fields.Date(required=True)
    result = fields.String(required=True, validate=validate.OneOf(TEST_RESULTS))
    substances = fields.List(fields.String(validate=validate.OneOf(SUBSTANCES)), load_default=list,
                             validate=validate.Length(max=10))


class DrugTestOut(Schema):
    test_id = fields.String()
    tested_on = fields.String()
    result = fields.String()
    tested_by = fields.String()
    substances = fields.List(fields.String())
    findings = fields.List(fields.String())


class ReferralIn(Schema):
    to_unit = fields.String(required=True, validate=UNIT)
    reason = written_reason()
    consent = fields.Nested(ReferralConsentIn, metadata={
        "description": "the person's consent to the unit referred to; required when the workflow says a referral "
                       "to that kind of unit needs it (a clinic, a rehab facility)"})


class TransferIn(Schema):
    to_commune = fields.String(required=True, validate=COMMUNE)
    reason = written_reason()


class SettleIn(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["accepted", "rejected", "revoked"]))
    reason = written_reason()


class ShareOut(Schema):
    kind = fields.String()
    status = fields.String()
    to_unit = fields.String(allow_none=True)
    to_commune = fields.String(allow_none=True)
    requested_at = fields.String()
    notify_police_by = fields.String(allow_none=True)


class PoliceNotificationOut(Schema):
    alert_id = fields.String()
    recipient_unit = fields.String()
    share_id = fields.String(allow_none=True, metadata={"description": "the transfer it was raised for"})
    due_at = fields.DateTime(allow_none=True, metadata={"description": "the transfer's notify_police_by"})
    acknowledged_at = fields.DateTime(allow_none=True)
    acknowledged_by = fields.String(allow_none=True)
    acknowledged_late = fields.Boolean()
    overdue = fields.Boolean(metadata={"description": "not acknowledged, and the deadline passed or the alert "
                                                      "escalated for a missed deadline"})
    escalation_level = fields.Integer(allow_none=True)
    resolved = fields.Boolean()


class OpenAlertOut(Schema):
    alert_id = fields.String()
    category = fields.String(allow_none=True)
    recipient_unit = fields.String()
    raised_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    escalation_level = fields.Integer(allow_none=True)
    overdue = fields.Boolean()


class CaseOut(Schema):
    """A case; `visits` and `follow_up` need the legal section, `support` the support section and `therapy`
    the clinical section (absent otherwise)."""
    id = fields.String()
    version = fields.Integer()
    case_number = fields.String()
    person_code = fields.String()
    commune_code = fields.String()
    regime = fields.String()
    stage = fields.String()
    opened_on = fields.Date()
    assigned_worker = fields.String(allow_none=True)
    phase = fields.String(allow_none=True, metadata={"description": "the phase of a stage that has phases"})
    phase_since = fields.Date(allow_none=True)
    due = fields.Dict(keys=fields.String(), values=fields.Date())
    person = fields.Nested(PersonOut, allow_none=True)
    drug_tests = fields.List(fields.Nested(DrugTestOut))
    shares = fields.Dict(keys=fields.String(), values=fields.Nested(ShareOut))
    follow_up = fields.Nested(FollowUpOut, allow_none=True)
    visits = fields.List(fields.Nested(VisitOut))
    support = fields.List(fields.Nested(SupportOut))
    therapy = fields.Nested(TherapyOut, allow_none=True)
    police_notification = fields.Nested(PoliceNotificationOut, allow_none=True, metadata={
        "description": "the transfer alert to the receiving commune's police (Law 120/2025: within 24 hours of "
                       "the move); null when none was raised"})
    alerts = fields.List(fields.Nested(OpenAlertOut), metadata={
        "description": "alerts about the case still awaiting acknowledgement"})
    consents = fields.List(fields.Nested(ConsentOut), metadata={
        "description": "the person's consents and the exceptions on record (with the legal section)"})
    access_grants = fields.List(fields.Nested(AccessGrantOut), metadata={
        "description": "every break-the-glass opening of the case (with the legal section)"})


class CaseSummaryOut(Schema):
    id = fields.String()
    version = fields.Integer()
    case_number = fields.String()
    commune_code = fields.String()
    stage = fields.String()
    opened_on = fields.String()
    assigned_worker = fields.String(allow_none=True)


def _decision_field(hint, meta: dict) -> fields.Field:
    """The API field of a `Decision` field, bounded by its metadata."""
    kind = next(t for t in typing.get_args(hint) if t is not type(None))
    if kind is date:
        return fields.Date()
    if kind is int:
        return fields.Integer(strict=True, validate=validate.Range(*meta["range"]))
    text = fields.String(validate=validate.Length(min=1, max=meta["max_length"]),
                         metadata={k: meta[k] for k in ("description",) if k in meta})
    return fields.List(text, validate=validate.Length(min=1, max=meta["max_items"])) if kind == list[str] else text


DecisionIn = Schema.from_dict({f.name: _decision_field(typing.get_type_hints(Decision)[f.name], f.metadata)
                               for f in dataclass_fields(Decision)}, name="DecisionIn")


class PhaseIn(Schema):
    phase = fields.String(required=True, validate=validate.Length(min=1, max=50))
    effective_on = fields.Date(required=True)


class TransitionIn(Schema):
    transition = fields.String(required=True, validate=validate.Length(min=1, max=100))
    effective_on = fields.Date(required=True)
    decision = fields.Nested(DecisionIn, load_default=dict)


class TransitionOut(Schema):
    name = fields.String()
    to = fields.String()
    emits = fields.String()
    requires = fields.List(fields.String())
    reasons = fields.List(fields.String())


class StageOut(Schema):
    name = fields.String()
    vi = fields.String()
    en = fields.String()
    phases = fields.List(fields.String())


class WorkflowTransitionOut(TransitionOut):
    from_stages = fields.List(fields.String(), data_key="from")
    roles = fields.List(fields.String())
    consent_under_age = fields.Integer(allow_none=True)
    keeps_phase = fields.Boolean()
    reduces = fields.Function(lambda t: {"due": t.reduces.due_name, "months": list(t.reduces.months),
                                         "after_half": t.reduces.after_half} if t.reduces else None)


class WorkflowOut(Schema):
    regime = fields.String()
    title_vi = fields.String()
    title_en = fields.String()
    opens_from = fields.Date(allow_none=True)
    opens_before = fields.Date(allow_none=True)
    opening_stages = fields.List(fields.String())
    flags = fields.List(fields.String())
    stages = fields.Method("stage_list")
    transitions = fields.List(fields.Nested(WorkflowTransitionOut))

    def stage_list(self, workflow):
        return StageOut(many=True).dump([{"name": name, **info} for name, info in workflow.stages.items()])


class MergeIn(Schema):
    into = fields.String(required=True, validate=validate.Length(min=1, max=20))


class WorkItemOut(Schema):
    case_id = fields.String()
    case_number = fields.String()
    stage = fields.String()
    next_due_on = fields.String()
    due = fields.Dict(keys=fields.String(), values=fields.String())


class ProposalItemOut(Schema):
    case_id = fields.String()
    case_number = fields.String()
    proposal_id = fields.String()
    ground = fields.String()
    proposed_on = fields.String()


class MyWorkOut(Schema):
    overdue = fields.List(fields.Nested(WorkItemOut))
    due_soon = fields.List(fields.Nested(WorkItemOut))
    termination_proposals = fields.List(fields.Nested(ProposalItemOut),
                                        metadata={"description": "a clinic's health workers: proposals to decide"})


class HistoryQuery(Schema):
    user = fields.String(validate=validate.Length(min=1, max=100))
    field = fields.String(validate=validate.Length(min=1, max=50))


class ActorOut(Schema):
    id = fields.String()
    role = fields.String()
    unit = fields.String(allow_none=True)


class HistoryEntryOut(Schema):
    version = fields.Integer(allow_none=True, metadata={"description": "the case's version after the step; null "
                                                                       "for a step of an alert about the case"})
    type = fields.String()
    occurred_at = fields.DateTime()
    actor = fields.Nested(ActorOut)
    changes = fields.Dict(keys=fields.String(), values=fields.Raw())
    decision = fields.Dict(keys=fields.String(), values=fields.Raw())
    alert = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={
        "description": "a step of an alert about the case: raised, acknowledged, escalated or resolved"})


CASE_INCLUDES = ("history", "transitions")


class CaseReadQuery(Schema):
    include = fields.List(fields.String(validate=validate.OneOf(CASE_INCLUDES)), validate=validate.Length(max=2),
                          metadata={"description": "read with the case, in the same answer: its history (as GET "
                                                   "…/history) and the steps you may take now (as GET …/transitions)"})


class CaseReadOut(CaseOut):
    history = fields.List(fields.Nested(HistoryEntryOut), metadata={"description": "with include=history"})
    transitions = fields.List(fields.Nested(TransitionOut), metadata={"description": "with include=transitions"})


class CaseListQuery(Schema):
    q = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "person's name, with or "
                                                                                          "without diacritics"})
    national_id = NationalId()
    case_number = fields.String(validate=validate.Length(max=50))
    due_from = fields.Date()
    due_until = fields.Date()
    commune_code = fields.String(validate=COMMUNE)
    stage = fields.String(validate=validate.Length(max=50))
    assigned_worker = fields.String(validate=validate.Length(max=100))


class CasePageQuery(CaseListQuery):
    after = fields.String(
        validate=validate.Regexp(r"^(19|20)\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])/[0-9A-Za-z_-]{1,64}$"),
        metadata={"description": "the X-Next-After of the page before: the page then starts after that case "
                                 "(keyset paging, steady while cases are added; `page` is then ignored)"})


class CaseCountsQuery(Schema):
    commune_code = fields.String(validate=COMMUNE)


class CommuneCountOut(Schema):
    commune_code = fields.String()
    stages = fields.Dict(keys=fields.String(), values=fields.Integer())
    total = fields.Integer()


class CaseCountsOut(Schema):
    communes = fields.List(fields.Nested(CommuneCountOut))
    stages = fields.Dict(keys=fields.String(), values=fields.Integer())
    total = fields.Integer()


NEXT_AFTER = {"X-Next-After": {"description": "Where the next page starts, for `after`; absent on a last page",
                               "schema": {"type": "string"}}}


class ExportQuery(CaseListQuery):
    purpose = fields.String(required=True, validate=validate.OneOf(EXPORT_PURPOSES), metadata={
        "description": "why the list leaves the system; kept in the audit with the row count"})


def case_out(view) -> dict:
    case = view.case
    return {"id": case.id, "version": case.version, "case_number": case.case_number,
            "person_code": case.person_code, "commune_code": case.commune_code, "regime": case.regime,
            "stage": case.stage, "opened_on": case.opened_on, "assigned_worker": case.assigned_worker,
            "phase": case.phase, "phase_since": case.phase_since,
            "due": case.due, "person": view.person, "drug_tests": view.drug_tests, "shares": case.shares,
            **view.care, **view.alerts, **view.disclosures, **view.included}


def answered(view, status: int = 200) -> tuple[dict, int, dict]:
    """A changed or read case, its status, and its version as the ETag."""
    return case_out(view), status, {"ETag": f'"{view.case.version}"'}
