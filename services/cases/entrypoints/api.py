"""HTTP API of the cases service: thin views over the service layer."""
from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from shared.idempotency import idempotent
from shared.spreadsheets import workbook_response
from shared.web import Blueprint, etag, if_match_version, principal, service_layer

from services.cases.domain.access import PROTECTED
from services.cases.domain.commands import (AssignWorker, BreakGlass, ChangePhase, OpenCase, RecordDrugTest,
                                            RegisterPerson, SettleShare, ShareCase, TransitionCase)
from services.cases.domain.model import TEST_RESULTS
from services.cases.domain.ost import SUBSTANCES
from services.cases.domain.person import Guardian
from services.cases.entrypoints.care_schemas import FollowUpOut, SupportOut, TherapyOut, VisitOut

blp = Blueprint("cases", __name__, url_prefix="/api/v1/cases", description="Rehabilitation and aftercare cases")
COMMUNE = validate.Regexp(r"^\d{5}$", error="must be a 5-digit commune code")


class GuardianIn(Schema):
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    relation = fields.String(required=True, validate=validate.Length(min=1, max=50))
    phone = fields.String(validate=validate.Length(min=6, max=20))


class PersonIn(Schema):
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    birth_date = fields.Date(required=True)
    sex = fields.String(required=True, validate=validate.OneOf(["female", "male"]))
    national_id = fields.String(validate=validate.Regexp(r"^\d{12}$", error="must be 12 digits"))
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
    national_id = fields.String(validate=validate.Regexp(r"^\d{12}$", error="must be 12 digits"))
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


class BreakGlassIn(Schema):
    section = fields.String(required=True, validate=validate.OneOf(PROTECTED))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class GrantOut(Schema):
    grant_id = fields.String()
    case_id = fields.String()
    section = fields.String()
    expires_at = fields.DateTime()


class ReferralIn(Schema):
    to_unit = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{2,64}$"))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class TransferIn(Schema):
    to_commune = fields.String(required=True, validate=COMMUNE)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class SettleIn(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["accepted", "rejected", "revoked"]))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ShareOut(Schema):
    kind = fields.String()
    status = fields.String()
    to_unit = fields.String(allow_none=True)
    to_commune = fields.String(allow_none=True)
    requested_at = fields.String()
    notify_police_by = fields.String(allow_none=True)


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


class CaseSummaryOut(Schema):
    id = fields.String()
    version = fields.Integer()
    case_number = fields.String()
    commune_code = fields.String()
    stage = fields.String()
    opened_on = fields.String()
    assigned_worker = fields.String(allow_none=True)


class DecisionIn(Schema):
    decision_number = fields.String(validate=validate.Length(min=1, max=100))
    decision_date = fields.Date()
    issuing_authority = fields.String(validate=validate.Length(min=1, max=300))
    document_ref = fields.String(validate=validate.Length(min=1, max=300))
    term_months = fields.Integer(validate=validate.Range(min=1, max=60), strict=True)
    reason_code = fields.String(validate=validate.Length(min=1, max=50))
    reason = fields.String(validate=validate.Length(min=1, max=2000))
    drugs_declared = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                                 validate=validate.Length(min=1, max=20))
    guardian_consent_ref = fields.String(validate=validate.Length(min=1, max=300),
                                         metadata={"description": "the parent's or guardian's written consent"})
    term_reduction_months = fields.Integer(validate=validate.Range(min=1, max=60), strict=True)


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
    version = fields.Integer()
    type = fields.String()
    occurred_at = fields.DateTime()
    actor = fields.Nested(ActorOut)
    changes = fields.Dict(keys=fields.String(), values=fields.Raw())
    decision = fields.Dict(keys=fields.String(), values=fields.Raw())


class CaseListQuery(Schema):
    q = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "person's name, with or "
                                                                                          "without diacritics"})
    national_id = fields.String(validate=validate.Regexp(r"^\d{12}$", error="must be 12 digits"))
    case_number = fields.String(validate=validate.Length(max=50))
    due_from = fields.Date()
    due_until = fields.Date()
    commune_code = fields.String(validate=COMMUNE)
    stage = fields.String(validate=validate.Length(max=50))
    assigned_worker = fields.String(validate=validate.Length(max=100))


def _register_command(body: dict, residence_code: str) -> RegisterPerson:
    guardian = body.pop("guardian", None)
    return RegisterPerson(**{"residence_code": residence_code, **body,
                             "guardian": Guardian(**guardian) if guardian else None,
                             "not_duplicate_of": tuple(body.get("not_duplicate_of", ()))})


def _out(view) -> dict:
    case = view.case
    return {"id": case.id, "version": case.version, "case_number": case.case_number,
            "person_code": case.person_code, "commune_code": case.commune_code, "regime": case.regime,
            "stage": case.stage, "opened_on": case.opened_on, "assigned_worker": case.assigned_worker,
            "phase": case.phase, "phase_since": case.phase_since,
            "due": case.due, "person": view.person, "drug_tests": view.drug_tests, "shares": case.shares,
            **view.care}


@blp.route("")
class Cases(MethodView):
    @blp.arguments(CaseListQuery, location="query")
    @blp.response(200, CaseSummaryOut(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """List cases in your jurisdiction, newest first"""
        items, total = service_layer().list_cases(principal(), first=pagination_parameters.first_item,
                                                  limit=pagination_parameters.page_size, **query)
        pagination_parameters.item_count = total
        return items

    @idempotent
    @blp.arguments(OpenCaseIn)
    @blp.response(201, CaseOut)
    @blp.alt_response(409, description="Idempotency-Key in use")
    def post(self, body):
        """Open a case (accepts Idempotency-Key)"""
        person = body.pop("person", None)
        command = OpenCase(person=_register_command(person, body["commune_code"]) if person else None, **body)
        view = service_layer().open_case(command, principal())
        return _out(view), 201, {**etag(view.case.version),
                                 "Location": url_for("cases.Case", case_id=view.case.id)}


@blp.route("/my-work")
class MyWork(MethodView):
    @blp.response(200, MyWorkOut)
    def get(self):
        """Your assigned cases: overdue, and due within 7 days; at a clinic, termination proposals to decide"""
        return service_layer().my_work(principal())


@blp.route("/export.xlsx")
class Export(MethodView):
    @blp.arguments(CaseListQuery, location="query")
    @blp.response(200, description="An XLSX workbook of the filtered cases, with the columns your role may see",
                  content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    def get(self, query):
        """Export the filtered case list to Excel"""
        columns, rows = service_layer().export(principal(), **query)
        return workbook_response(columns, rows, "ho-so-cai-nghien.xlsx")


@blp.route("/<string:case_id>")
class Case(MethodView):
    @blp.response(200, CaseOut)
    def get(self, case_id):
        """Read a case"""
        view = service_layer().get_case(case_id, principal())
        return _out(view), 200, etag(view.case.version)


@blp.route("/<string:case_id>/assigned-worker")
class AssignedWorker(MethodView):
    @blp.arguments(AssignWorkerIn)
    @blp.response(200, CaseOut)
    @blp.alt_response(412, description="If-Match names an older version")
    def put(self, body, case_id):
        """Assign the case's worker (send If-Match with the case's ETag)"""
        view = service_layer().assign_worker(
            AssignWorker(case_id=case_id, worker_id=body["worker_id"], expected_version=if_match_version()),
            principal())
        return _out(view), 200, etag(view.case.version)


@blp.route("/<string:case_id>/transitions")
class Transitions(MethodView):
    @blp.response(200, TransitionOut(many=True))
    def get(self, case_id):
        """The workflow steps you may take on this case now"""
        case, allowed = service_layer().allowed_transitions(case_id, principal())
        return allowed, 200, etag(case.version)

    @blp.arguments(TransitionIn)
    @blp.response(200, CaseOut)
    @blp.alt_response(409, description="Not allowed from the current stage; `allowed` lists what is")
    @blp.alt_response(412, description="If-Match names an older version")
    def post(self, body, case_id):
        """Take a step of the case's legal workflow (send If-Match with the case's ETag)"""
        view = service_layer().transition_case(TransitionCase(case_id=case_id, expected_version=if_match_version(),
                                                              **body), principal())
        return _out(view), 200, etag(view.case.version)


@blp.route("/<string:case_id>/phase")
class Phase(MethodView):
    @blp.arguments(PhaseIn)
    @blp.response(200, CaseOut)
    def put(self, body, case_id):
        """Move the case to the next phase of its stage (a rehab facility's five phases)"""
        view = service_layer().change_phase(ChangePhase(case_id=case_id, **body), principal())
        return _out(view), 200, etag(view.case.version)


@blp.route("/<string:case_id>/drug-tests")
class DrugTests(MethodView):
    @idempotent
    @blp.arguments(DrugTestIn)
    @blp.response(201, CaseOut)
    def post(self, body, case_id):
        """Record a drug test (accepts Idempotency-Key); a positive one during aftercare or methadone raises
        relapse_suspected"""
        view = service_layer().record_drug_test(
            RecordDrugTest(case_id=case_id, tested_on=body["tested_on"], result=body["result"],
                           substances=tuple(body["substances"])), principal())
        return _out(view), 201, etag(view.case.version)


@blp.route("/<string:case_id>/referrals")
class Referrals(MethodView):
    @blp.arguments(ReferralIn)
    @blp.response(201, CaseOut)
    def post(self, body, case_id):
        """Refer the case to another unit (e.g. a methadone clinic), giving it access once it accepts"""
        view = service_layer().share_case(ShareCase(case_id=case_id, kind="referral", **body), principal())
        return _out(view), 201, etag(view.case.version)


@blp.route("/<string:case_id>/transfers")
class Transfers(MethodView):
    @blp.arguments(TransferIn)
    @blp.response(201, CaseOut)
    def post(self, body, case_id):
        """The person moved: ask the receiving commune to take the case over"""
        view = service_layer().share_case(ShareCase(case_id=case_id, kind="transfer", **body), principal())
        return _out(view), 201, etag(view.case.version)


@blp.route("/<string:case_id>/shares/<string:share_id>/decision")
class ShareDecision(MethodView):
    @blp.arguments(SettleIn)
    @blp.response(200, CaseOut)
    def put(self, body, case_id, share_id):
        """Accept or reject (the receiver) or revoke (the sender) a referral or transfer, with a reason"""
        view = service_layer().settle_share(SettleShare(case_id=case_id, share_id=share_id, status=body["decision"],
                                                        reason=body["reason"]), principal())
        return _out(view), 200, etag(view.case.version)


@blp.route("/<string:case_id>/break-glass")
class BreakTheGlass(MethodView):
    @blp.arguments(BreakGlassIn)
    @blp.response(201, GrantOut)
    def post(self, body, case_id):
        """Open a protected section of this case for yourself, for a limited time, with a written reason"""
        grant = service_layer().break_glass(BreakGlass(case_id=case_id, **body), principal()).escalated
        return {"grant_id": grant.grant_id, "case_id": grant.case_id, "section": grant.section,
                "expires_at": grant.expires_at}, 201


@blp.route("/<string:case_id>/history")
class History(MethodView):
    @blp.arguments(HistoryQuery, location="query")
    @blp.response(200, HistoryEntryOut(many=True))
    def get(self, query, case_id):
        """The case's legal history: every step, who took it, and the fields it changed"""
        return service_layer().history(case_id, principal(), **query)


workflows_blp = Blueprint("workflows", __name__, url_prefix="/api/v1/workflows",
                          description="Legal workflows, one per regime")


@workflows_blp.route("")
class Workflows(MethodView):
    @workflows_blp.response(200, WorkflowOut(many=True))
    def get(self):
        """The workflow definitions: stages, transitions, roles, required decision fields"""
        return service_layer().list_workflows()


people_blp = Blueprint("people", __name__, url_prefix="/api/v1/people",
                       description="The people cases are about; identity fields encrypted at rest")


@people_blp.route("")
class People(MethodView):
    @people_blp.arguments(PeopleQuery, location="query")
    @people_blp.response(200, PersonOut(many=True))
    def get(self, query):
        """Find people in your jurisdiction by name (diacritics optional), ID number or commune"""
        return service_layer().people.find(principal(), name=query.get("q"), national_id=query.get("national_id"),
                                           commune_code=query.get("commune_code"))

    @idempotent
    @people_blp.arguments(RegisterPersonIn)
    @people_blp.response(201, PersonOut)
    @people_blp.alt_response(409, description="Likely duplicate: `duplicate_of` lists the registered people")
    def post(self, body):
        """Register a person (checked against the register for duplicates)"""
        residence = body.pop("residence_code")
        people = service_layer().people
        person = people.register(_register_command(body, residence), principal())
        return people.view(person.person_code, principal()), 201


@people_blp.route("/<string:person_code>")
class PersonResource(MethodView):
    @people_blp.response(200, PersonOut)
    def get(self, person_code):
        """A person, with the fields your role may see"""
        return service_layer().people.view(person_code, principal())


@people_blp.route("/<string:person_code>/merge")
class Merge(MethodView):
    @people_blp.arguments(MergeIn)
    @people_blp.response(200, PersonOut)
    def post(self, body, person_code):
        """Merge a duplicate record into another; both keep their cases and histories"""
        return service_layer().people.merge(person_code, body["into"], principal())
