"""HTTP API of follow-up, support and methadone records of a case: thin views over the service layer."""
from __future__ import annotations

from flask.views import MethodView

from shared.idempotency import idempotent
from shared.web import Blueprint, etag, principal, service_layer

from services.cases.domain.commands import (ChangeOstPhase, DismissTermination, PlanFollowUp, RecordDose,
                                            RecordOstBreach, RecordSupport, RecordVisit)
from services.cases.entrypoints.api import CaseOut, _out
from services.cases.entrypoints.care_schemas import (BreachIn, DismissIn, DoseIn, DoseOut, FollowUpIn, OstPhaseIn,
                                                     SupportIn, VisitIn)

care_blp = Blueprint("care", __name__, url_prefix="/api/v1/cases",
                     description="Follow-up, support and methadone treatment of a case")


def _answer(view, status: int = 201):
    return _out(view), status, etag(view.case.version)


@care_blp.route("/<string:case_id>/follow-up")
class FollowUp(MethodView):
    @care_blp.arguments(FollowUpIn)
    @care_blp.response(200, CaseOut)
    def put(self, body, case_id):
        """Plan check-ins every `every_days` from `first_on`; the next one is the case's `check_in_on` due date"""
        return _answer(service_layer().plan_follow_up(PlanFollowUp(case_id=case_id, **body), principal()), 200)


@care_blp.route("/<string:case_id>/visits")
class Visits(MethodView):
    @idempotent
    @care_blp.arguments(VisitIn)
    @care_blp.response(201, CaseOut)
    def post(self, body, case_id):
        """Record a visit or check-in and its outcome (accepts Idempotency-Key)

        Meeting the person moves the next check-in `every_days` after the visit."""
        return _answer(service_layer().record_visit(RecordVisit(case_id=case_id, **body), principal()))


@care_blp.route("/<string:case_id>/support")
class Support(MethodView):
    @idempotent
    @care_blp.arguments(SupportIn)
    @care_blp.response(201, CaseOut)
    def post(self, body, case_id):
        """Record support given to the person (accepts Idempotency-Key)

        Counselling, vocational training, a job placement, schooling, social support or a loan."""
        return _answer(service_layer().record_support(RecordSupport(case_id=case_id, **body), principal()))


@care_blp.route("/<string:case_id>/methadone/phase")
class OstPhase(MethodView):
    @care_blp.arguments(OstPhaseIn)
    @care_blp.response(200, CaseOut)
    def put(self, body, case_id):
        """Move the methadone therapy to its next phase (induction, titration, maintenance, taper)"""
        return _answer(service_layer().change_ost_phase(ChangeOstPhase(case_id=case_id, **body), principal()), 200)


@care_blp.route("/<string:case_id>/methadone/doses")
class Doses(MethodView):
    @care_blp.response(200, DoseOut(many=True))
    def get(self, case_id):
        """The dose log: every dose given or missed (health workers of the treating clinic)"""
        return service_layer().dose_log(case_id, principal())

    @idempotent
    @care_blp.arguments(DoseIn)
    @care_blp.response(201, CaseOut)
    def post(self, body, case_id):
        """Record a dose given (`dose_mg`) or missed (`missed: true`) (accepts Idempotency-Key)"""
        return _answer(service_layer().record_dose(RecordDose(case_id=case_id, **body), principal()))


@care_blp.route("/<string:case_id>/methadone/breaches")
class Breaches(MethodView):
    @idempotent
    @care_blp.arguments(BreachIn)
    @care_blp.response(201, CaseOut)
    def post(self, body, case_id):
        """Record a protocol breach or an offence (accepts Idempotency-Key)

        Breaches are recorded by the clinic, offences by the clinic or the police; either may propose termination."""
        return _answer(service_layer().record_ost_breach(RecordOstBreach(case_id=case_id, **body), principal()))


@care_blp.route("/<string:case_id>/methadone/termination-proposals/<string:proposal_id>/dismissal")
class Dismissal(MethodView):
    @care_blp.arguments(DismissIn)
    @care_blp.response(200, CaseOut)
    def put(self, body, case_id, proposal_id):
        """Continue the therapy despite a termination proposal, saying why (to terminate, take the
        `terminate_methadone` transition)"""
        return _answer(service_layer().dismiss_termination(
            DismissTermination(case_id=case_id, proposal_id=proposal_id, **body), principal()), 200)
