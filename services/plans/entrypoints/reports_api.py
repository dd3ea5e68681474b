"""HTTP API of progress reports on assignments: thin views over the service layer."""
from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from shared.endpoints import ETAG, ask, etag, if_match_version, takes_if_match
from shared.idempotency import idempotent
from shared.problems import problem_document
from shared.refusals import REASON_MIN_LENGTH
from shared.web import Blueprint

from services.plans.domain.commands import (ApproveReport, ReportSubmission, ReturnReport, ReviseReport, SaveReport,
                                            SubmitReport, SubmitReports)
from services.plans.domain.crackdown import DRUG_MEASURES, OFFENCES
from services.plans.domain.queries import ListReports, ReadReport, ReportFilters
from services.plans.domain.reports import COMMENTS_MIN_LENGTH, REPORT_STATUSES
from services.plans.entrypoints.plan_schemas import IndicatorFiguresIn

reports_blp = Blueprint("reports", __name__, url_prefix="/api/v1",
                        description="Progress reports on assignments, their review and approval, crackdown figures")
CODE = validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$", error="letters, digits, _ or -, at most 64 characters")
ASSIGNMENT = "/tasks/<string:task_id>/assignments/<string:unit_code>/reports/<string:period>"


def _written(minimum: int, what: str):
    return [validate.Length(max=4000), validate.Regexp(rf"^\s*\S[\s\S]{{{minimum - 2},}}\S\s*$",
                                                       error=f"{what}, in at least {minimum} characters")]


class DocumentIn(Schema):
    number = fields.String(required=True, validate=validate.Length(min=1, max=100),
                           metadata={"example": "125/BC-CAX"})
    issued_on = fields.Date(required=True, metadata={"description": "Not in the future"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))


class OffenceIn(Schema):
    offence = fields.String(required=True, validate=validate.OneOf(list(OFFENCES)), metadata={
        "description": "Drug crimes of the Penal Code 2015: " + ", ".join(f"{code} (art. {article})"
                                                                          for code, article in OFFENCES.items())})
    cases = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=1_000_000))
    suspects = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=1_000_000))


class SeizureIn(Schema):
    drug = fields.String(required=True, validate=validate.OneOf(list(DRUG_MEASURES)), metadata={
        "description": "Each in its measure: " + ", ".join(f"{d} {m}" for d, m in DRUG_MEASURES.items())})
    quantity = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0, max=1e9))
    measure = fields.String(validate=validate.OneOf(sorted(set(DRUG_MEASURES.values()))), metadata={
        "description": "The drug's own measure; left out, it is that"})


class CrackdownIn(Schema):
    offences = fields.List(fields.Nested(OffenceIn), load_default=list, validate=validate.Length(max=len(OFFENCES)))
    seizures = fields.List(fields.Nested(SeizureIn), load_default=list,
                           validate=validate.Length(max=len(DRUG_MEASURES)))


class ReportIn(Schema):
    values = fields.Nested(IndicatorFiguresIn, load_default=dict, metadata={
        "description": "A figure per indicator of the task; drug_cases, suspects and drugs_seized_g are derived "
                       "from crackdown figures (a figure typed as well must agree)"})
    narrative = fields.String(allow_none=True, validate=validate.Length(max=20_000))
    documents = fields.List(fields.Nested(DocumentIn), load_default=list, validate=validate.Length(max=50))
    crackdown = fields.Nested(CrackdownIn, metadata={
        "description": "Police units only: cases and suspects by offence, seizures by drug; left out when none"})


class RevisionIn(ReportIn):
    reason = fields.String(required=True, validate=_written(REASON_MIN_LENGTH, "say why"))


class ReturnIn(Schema):
    comments = fields.String(required=True, validate=_written(COMMENTS_MIN_LENGTH, "say what to correct"))


class ApproveIn(Schema):
    comments = fields.String(allow_none=True, validate=validate.Length(max=4000))


class ReportQuery(Schema):
    unit_code = fields.String(validate=CODE)
    period = fields.String(validate=validate.Length(min=1, max=16))
    status = fields.String(validate=validate.OneOf(REPORT_STATUSES))


class DocumentOut(Schema):
    number = fields.String()
    issued_on = fields.Date()
    title = fields.String()


class OffenceOut(Schema):
    offence = fields.String()
    article = fields.Function(lambda row: OFFENCES[row.offence])
    cases = fields.Integer()
    suspects = fields.Integer()


class SeizureOut(Schema):
    drug = fields.String()
    quantity = fields.Float()
    measure = fields.String()


class CrackdownOut(Schema):
    offences = fields.List(fields.Nested(OffenceOut))
    seizures = fields.List(fields.Nested(SeizureOut))


class ReviewOut(Schema):
    by = fields.String()
    unit = fields.String(allow_none=True)
    at = fields.DateTime()
    outcome = fields.String(metadata={"description": "`returned` or `approved`"})
    revision = fields.Integer()
    comments = fields.String(allow_none=True)


class RevisionOut(Schema):
    number = fields.Integer()
    reason = fields.String()
    revised_on = fields.Date()


class ReportSummaryOut(Schema):
    id = fields.String()
    version = fields.Integer()
    plan_id = fields.String()
    task_id = fields.String()
    unit_code = fields.String()
    area_code = fields.String()
    period = fields.String()
    status = fields.String()
    revision = fields.Integer()
    late = fields.Boolean(metadata={"description": "First submitted after the period's due date"})
    due_on = fields.Date()
    submitted_on = fields.Date(allow_none=True)
    values = fields.Dict(keys=fields.String(), values=fields.Float())
    approved_values = fields.Dict(keys=fields.String(), values=fields.Float(), allow_none=True, metadata={
        "description": "The figures last approved (locked); a revision awaiting approval leaves them standing"})


class ReportOut(ReportSummaryOut):
    lead_unit = fields.String()
    period_starts_on = fields.Date()
    narrative = fields.String(allow_none=True)
    documents = fields.List(fields.Nested(DocumentOut))
    crackdown = fields.Nested(CrackdownOut, allow_none=True)
    first_submitted_on = fields.Date(allow_none=True)
    approved_revision = fields.Integer(allow_none=True)
    approved_on = fields.Date(allow_none=True)
    reviews = fields.List(fields.Nested(ReviewOut), metadata={"description": "Every return and approval, oldest "
                                                                             "first"})
    revisions = fields.List(fields.Nested(RevisionOut), metadata={"description": "Corrections after approval"})


BATCH_MAX = 200


class SubmissionIn(Schema):
    task_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    period = fields.String(required=True, validate=validate.Length(min=1, max=16), metadata={
        "description": "One of the plan's reporting periods (another is refused with 422 naming `period`)"})
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1), metadata={
        "description": "The report's version (ETag) as you read it: another answers 412 for this report"})


class SubmissionsIn(Schema):
    reports = fields.List(fields.Nested(SubmissionIn), required=True,
                          validate=validate.Length(min=1, max=BATCH_MAX))


class ItemProblemOut(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer(metadata={"description": "What submitting this report alone would have answered"})
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), metadata={
        "description": "The fields at fault, e.g. `period`"})
    current_version = fields.Integer(metadata={"description": "On 412: the report's version now"})
    allowed = fields.List(fields.String(), metadata={"description": "On 409: what may be done instead"})


class SubmissionOutcomeOut(Schema):
    task_id = fields.String()
    period = fields.String()
    report_id = fields.String()
    outcome = fields.String(metadata={"description": "`submitted` or `refused`"})
    status = fields.String(metadata={"description": "Submitted: the report's status now (`submitted` or "
                                                    "`resubmitted`)"})
    version = fields.Integer(metadata={"description": "Submitted: the report's new version (its ETag)"})
    late = fields.Boolean()
    problem = fields.Nested(ItemProblemOut, metadata={"description": "Refused: why; nothing was stored for it"})


class SubmissionsOut(Schema):
    submitted = fields.Integer()
    refused = fields.Integer()
    reports = fields.List(fields.Nested(SubmissionOutcomeOut), metadata={"description": "One per report asked, "
                                                                                        "in the same order"})


def _outcome(outcome) -> dict:
    answer = {"task_id": outcome.task_id, "period": outcome.period, "report_id": outcome.report_id}
    if outcome.report is not None:
        return {**answer, "outcome": "submitted", "status": outcome.report.status,
                "version": outcome.report.version, "late": outcome.report.late}
    refusal = outcome.refusal
    return {**answer, "outcome": "refused", "problem": problem_document(refusal.status, refusal.title, refusal.detail,
                                                                        refusal.errors, **refusal.extra)}


def _answered(report, status: int = 200):
    return report, status, etag(report.version)


def _content(body: dict) -> dict:
    """A report without crackdown figures leaves the field out (the API document's object takes no null)."""
    return {**body, "documents": tuple(body.get("documents", ())), "crackdown": body.get("crackdown")}


@reports_blp.route(ASSIGNMENT)
class Report(MethodView):
    @reports_blp.response(200, ReportOut, headers=ETAG)
    def get(self, task_id, unit_code, period):
        """A unit's report on its assignment for a period, with its reviews and revisions"""
        return _answered(ask(ReadReport(task_id, unit_code, period)))

    @takes_if_match
    @reports_blp.arguments(ReportIn)
    @reports_blp.response(200, ReportOut, headers=ETAG)
    @reports_blp.alt_response(201, schema=ReportOut, headers=ETAG, description="The draft was created",
                              success=True)
    @reports_blp.alt_response(409, description="Under review or approved: `allowed` says what may be done")
    def put(self, body, task_id, unit_code, period):
        """Save the draft of your unit's report for a period (creates it; If-Match once it exists)

        `period` is one of the plan's reporting periods: `W1`... weekly during the Action Month, `2026-01`...
        monthly otherwise, and `final`. A returned report is corrected here, then submitted again."""
        report, created = ask(SaveReport(task_id=task_id, unit_code=unit_code, period=period,
                                         expected_version=if_match_version(), **_content(body)))
        if created:
            location = url_for("reports.Report", task_id=task_id, unit_code=unit_code, period=period)
            return report, 201, {**etag(report.version), "Location": location}
        return _answered(report)


@reports_blp.route(f"{ASSIGNMENT}/submit")
class Submission(MethodView):
    @idempotent
    @takes_if_match
    @reports_blp.response(200, ReportOut, headers=ETAG)
    @reports_blp.alt_response(409, description="Already submitted, or approved (correct it by a revision)")
    def post(self, task_id, unit_code, period):
        """Submit the report for review (accepts Idempotency-Key); a first submission after the due date is late"""
        return _answered(ask(SubmitReport(task_id, unit_code, period, expected_version=if_match_version())))


@reports_blp.route("/units/<string:unit_code>/reports/submissions")
class Submissions(MethodView):
    @idempotent
    @reports_blp.arguments(SubmissionsIn)
    @reports_blp.response(200, SubmissionsOut)
    def post(self, body, unit_code):
        """Submit many of your unit's reports at once, each at the version you read (accepts Idempotency-Key)

        At a deadline, every draft of the period in one request (at most 200). Each report is submitted or
        refused on its own, exactly as its own `submit` would be: a refused one (404, 403, 409, 412, or 422 for a
        period the plan has not) is answered with its problem, nothing is stored for it, and the others are
        submitted all the same. The answer is 200 whatever the outcomes."""
        outcomes = ask(SubmitReports(unit_code, tuple(ReportSubmission(item["task_id"], item["period"],
                                                                       item["version"])
                                                      for item in body["reports"])))
        answers = [_outcome(outcome) for outcome in outcomes]
        submitted = sum(answer["outcome"] == "submitted" for answer in answers)
        return {"submitted": submitted, "refused": len(answers) - submitted, "reports": answers}


@reports_blp.route(f"{ASSIGNMENT}/return")
class Return(MethodView):
    @idempotent
    @takes_if_match
    @reports_blp.arguments(ReturnIn)
    @reports_blp.response(200, ReportOut, headers=ETAG)
    @reports_blp.alt_response(409, description="Not awaiting review")
    def post(self, body, task_id, unit_code, period):
        """Return the report to its unit with comments (the task's lead unit or the plan's coordinators)"""
        return _answered(ask(ReturnReport(task_id, unit_code, period, expected_version=if_match_version(),
                                          **body)))


@reports_blp.route(f"{ASSIGNMENT}/approve")
class Approval(MethodView):
    @idempotent
    @takes_if_match
    @reports_blp.arguments(ApproveIn)
    @reports_blp.response(200, ReportOut, headers=ETAG)
    @reports_blp.alt_response(409, description="Not awaiting review")
    def post(self, body, task_id, unit_code, period):
        """Approve the report: its figures are locked (the task's lead unit or the plan's coordinators, never the
        reporting unit itself)"""
        return _answered(ask(ApproveReport(task_id, unit_code, period, expected_version=if_match_version(),
                                           **body)))


@reports_blp.route(f"{ASSIGNMENT}/revisions")
class Revisions(MethodView):
    @idempotent
    @takes_if_match
    @reports_blp.arguments(RevisionIn)
    @reports_blp.response(200, ReportOut, headers=ETAG)
    @reports_blp.alt_response(409, description="Only an approved report is revised")
    def post(self, body, task_id, unit_code, period):
        """Correct an approved report: a new revision with a reason, submitted for approval at once; the figures
        approved before stand until then (accepts Idempotency-Key)"""
        return _answered(ask(ReviseReport(task_id=task_id, unit_code=unit_code, period=period,
                                          expected_version=if_match_version(), **_content(body))))


@reports_blp.route("/plans/<string:plan_id>/reports")
class PlanReports(MethodView):
    @reports_blp.arguments(ReportQuery, location="query")
    @reports_blp.response(200, ReportSummaryOut(many=True))
    @reports_blp.paginate()
    def get(self, query, plan_id, pagination_parameters):
        """The plan's reports you may see, by due date, task and unit"""
        rows, total = ask(ListReports(plan_id, ReportFilters(**query), pagination_parameters.first_item,
                                      pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return rows
