"""HTTP API of cases and their legal workflow: thin views, each one call to the service layer."""
from __future__ import annotations

from flask import url_for
from flask.views import MethodView

from shared.endpoints import ETAG, ask, etag, if_match_version, takes_if_match
from shared.idempotency import idempotent
from shared.spreadsheets import workbook_response
from shared.web import Blueprint

from services.cases.domain.commands import AssignWorker, ChangePhase, OpenCase, RecordDrugTest, TransitionCase
from services.cases.domain.queries import (AllowedTransitions, CaseFilters, CaseHistory, CountCases, ExportCases,
                                           ListCases, ListWorkflows, MyWork, ReadCase)
from services.cases.domain.workflow import Decision
from services.cases.entrypoints.people_api import register_command
from services.cases.entrypoints.schemas import (NEXT_AFTER, AssignWorkerIn, CaseCountsOut, CaseCountsQuery,
                                                CasePageQuery, CaseOut, CaseReadOut, CaseReadQuery, CaseSummaryOut,
                                                DrugTestIn, ExportQuery, HistoryEntryOut, HistoryQuery, MyWorkOut,
                                                OpenCaseIn, PhaseIn, TransitionIn, TransitionOut, WorkflowOut,
                                                answered)

blp = Blueprint("cases", __name__, url_prefix="/api/v1/cases", description="Rehabilitation and aftercare cases")


@blp.route("")
class Cases(MethodView):
    @blp.arguments(CasePageQuery, location="query")
    @blp.response(200, CaseSummaryOut(many=True), headers=NEXT_AFTER)
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """List cases in your jurisdiction, newest first"""
        after = query.pop("after", None)
        items, total = ask(ListCases(CaseFilters(**query), first=pagination_parameters.first_item,
                                     limit=pagination_parameters.page_size, after=after))
        pagination_parameters.item_count = total
        full = len(items) == pagination_parameters.page_size
        return items, 200, {"X-Next-After": items[-1].position} if full else {}

    @idempotent
    @blp.arguments(OpenCaseIn)
    @blp.response(201, CaseOut, headers=ETAG)
    @blp.alt_response(409, description="Likely duplicate person, or Idempotency-Key in use")
    def post(self, body):
        """Open a case (accepts Idempotency-Key)"""
        person = body.pop("person", None)
        view = ask(OpenCase(person=register_command(person, body["commune_code"]) if person else None, **body))
        case_out, status, headers = answered(view, 201)
        return case_out, status, {**headers, "Location": url_for("cases.Case", case_id=view.case.id)}


@blp.route("/counts")
class Counts(MethodView):
    @blp.arguments(CaseCountsQuery, location="query")
    @blp.response(200, CaseCountsOut)
    def get(self, query):
        """How many cases each commune of your areas holds in each stage, and the totals"""
        return ask(CountCases(**query))


@blp.route("/my-work")
class Work(MethodView):
    @blp.response(200, MyWorkOut)
    def get(self):
        """Your assigned cases: overdue, and due within 7 days; at a clinic, termination proposals to decide"""
        return ask(MyWork())


@blp.route("/export.xlsx")
class Export(MethodView):
    @blp.arguments(ExportQuery, location="query")
    @blp.response(200, description="An XLSX workbook of the filtered cases, with the columns your role may see",
                  content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    def get(self, query):
        """Export the filtered case list to Excel, for a stated purpose, at most EXPORT_MAX_ROWS cases"""
        purpose = query.pop("purpose")
        columns, rows = ask(ExportCases(purpose, CaseFilters(**query)))
        return workbook_response(columns, rows, "ho-so-cai-nghien.xlsx")


@blp.route("/<string:case_id>")
class Case(MethodView):
    @blp.arguments(CaseReadQuery, location="query")
    @blp.response(200, CaseReadOut, headers=ETAG)
    def get(self, query, case_id):
        """Read a case (with its history and the steps you may take, on request)"""
        include = set(query.get("include", ()))
        return answered(ask(ReadCase(case_id, "history" in include, "transitions" in include)))


@blp.route("/<string:case_id>/assigned-worker")
class AssignedWorker(MethodView):
    @takes_if_match
    @blp.arguments(AssignWorkerIn)
    @blp.response(200, CaseOut, headers=ETAG)
    def put(self, body, case_id):
        """Assign the case's worker"""
        return answered(ask(AssignWorker(case_id=case_id, expected_version=if_match_version(), **body)))


@blp.route("/<string:case_id>/transitions")
class Transitions(MethodView):
    @blp.response(200, TransitionOut(many=True), headers=ETAG)
    def get(self, case_id):
        """The workflow steps you may take on this case now"""
        case, allowed = ask(AllowedTransitions(case_id))
        return allowed, 200, etag(case.version)

    @takes_if_match
    @blp.arguments(TransitionIn)
    @blp.response(200, CaseOut, headers=ETAG)
    @blp.alt_response(409, description="Not allowed from the current stage; `allowed` lists what is")
    def post(self, body, case_id):
        """Take a step of the case's legal workflow"""
        decision = Decision(**body.pop("decision"))
        return answered(ask(TransitionCase(case_id=case_id, decision=decision, expected_version=if_match_version(),
                                           **body)))


@blp.route("/<string:case_id>/phase")
class Phase(MethodView):
    @takes_if_match
    @blp.arguments(PhaseIn)
    @blp.response(200, CaseOut, headers=ETAG)
    def put(self, body, case_id):
        """Move the case to the next phase of its stage (a rehab facility's five phases)"""
        return answered(ask(ChangePhase(case_id=case_id, expected_version=if_match_version(), **body)))


@blp.route("/<string:case_id>/drug-tests")
class DrugTests(MethodView):
    @idempotent
    @takes_if_match
    @blp.arguments(DrugTestIn)
    @blp.response(201, CaseOut, headers=ETAG)
    def post(self, body, case_id):
        """Record a drug test (accepts Idempotency-Key)

        A positive one during aftercare or methadone raises relapse_suspected."""
        return answered(ask(RecordDrugTest(case_id=case_id, tested_on=body["tested_on"], result=body["result"],
                                           substances=tuple(body["substances"]),
                                           expected_version=if_match_version())), 201)


@blp.route("/<string:case_id>/history")
class History(MethodView):
    @blp.arguments(HistoryQuery, location="query")
    @blp.response(200, HistoryEntryOut(many=True))
    def get(self, query, case_id):
        """The case's legal history: every step, who took it, and the fields it changed"""
        return ask(CaseHistory(case_id, **query))


workflows_blp = Blueprint("workflows", __name__, url_prefix="/api/v1/workflows",
                          description="Legal workflows, one per regime")


@workflows_blp.route("")
class Workflows(MethodView):
    @workflows_blp.response(200, WorkflowOut(many=True))
    def get(self):
        """The workflow definitions: stages, transitions, roles, required decision fields"""
        return ask(ListWorkflows())
