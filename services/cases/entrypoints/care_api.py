"""HTTP API of follow-up, support and methadone records of a case: thin views over the service layer."""
from __future__ import annotations

from flask.views import MethodView

from shared.endpoints import ETAG, ask, if_match_version, takes_if_match
from shared.idempotency import idempotent
from shared.web import Blueprint

from services.cases.domain.commands import (ChangeOstPhase, DismissTermination, PlanFollowUp, RecordDose,
                                            RecordOstBreach, RecordSupport, RecordVisit)
from services.cases.domain.queries import DoseLog
from services.cases.entrypoints.care_schemas import (BreachIn, DismissIn, DoseIn, DoseOut, FollowUpIn, OstPhaseIn,
                                                     SupportIn, VisitIn)
from services.cases.entrypoints.schemas import CaseOut, answered

care_blp = Blueprint("care", __name__, url_prefix="/api/v1/cases",
                     description="Follow-up, support and methadone treatment of a case")


@care_blp.route("/<string:case_id>/follow-up")
class FollowUp(MethodView):
    @takes_if_match
    @care_blp.arguments(FollowUpIn)
    @care_blp.response(200, CaseOut, headers=ETAG)
    def put(self, body, case_id):
        """Plan check-ins every `every_days` from `first_on`; the next one is the case's `check_in_on` due date"""
        return answered(ask(PlanFollowUp(case_id=case_id, expected_version=if_match_version(), **body)))


@care_blp.route("/<string:case_id>/visits")
class Visits(MethodView):
    @idempotent
    @takes_if_match
    @care_blp.arguments(VisitIn)
    @care_blp.response(201, CaseOut, headers=ETAG)
    def post(self, body, case_id):
        """Record a visit or check-in and its outcome (accepts Idempotency-Key)

        Meeting the person moves the next check-in `every_days` after the visit."""
        return answered(ask(RecordVisit(case_id=case_id, expected_version=if_match_version(), **body)), 201)


@care_blp.route("/<string:case_id>/support")
class Support(MethodView):
    @idempotent
    @takes_if_match
    @care_blp.arguments(SupportIn)
    @care_blp.response(201, CaseOut, headers=ETAG)
    def post(self, body, case_id):
        """Record support given to the person (accepts Idempotency-Key)

        Counselling, vocational training, a job placement, schooling, social support or a loan."""
        return answered(ask(RecordSupport(case_id=case_id, expected_version=if_match_version(), **body)), 201)


@care_blp.route("/<string:case_id>/methadone/phase")
class OstPhase(MethodView):
    @takes_if_match
    @care_blp.arguments(OstPhaseIn)
    @care_blp.response(200, CaseOut, headers=ETAG)
    def put(self, body, case_id):
        """Move the methadone therapy to its next phase (induction, titration, maintenance, taper)"""
        return answered(ask(ChangeOstPhase(case_id=case_id, expected_version=if_match_version(), **body)))


@care_blp.route("/<string:case_id>/methadone/doses")
class Doses(MethodView):
    @care_blp.response(200, DoseOut(many=True))
    def get(self, case_id):
        """The dose log: every dose given or missed (health workers of the treating clinic)"""
        return ask(DoseLog(case_id))

    @idempotent
    @takes_if_match
    @care_blp.arguments(DoseIn)
    @care_blp.response(201, CaseOut, headers=ETAG)
    def post(self, body, case_id):
        """Record a dose given (`dose_mg`) or missed (`missed: true`) (accepts Idempotency-Key)"""
        return answered(ask(RecordDose(case_id=case_id, expected_version=if_match_version(), **body)), 201)


@care_blp.route("/<string:case_id>/methadone/breaches")
class Breaches(MethodView):
    @idempotent
    @takes_if_match
    @care_blp.arguments(BreachIn)
    @care_blp.response(201, CaseOut, headers=ETAG)
    def post(self, body, case_id):
        """Record a protocol breach or an offence (accepts Idempotency-Key)

        Breaches are recorded by the clinic, offences by the clinic or the police; either may propose termination."""
        return answered(ask(RecordOstBreach(case_id=case_id, expected_version=if_match_version(), **body)), 201)


@care_blp.route("/<string:case_id>/methadone/termination-proposals/<string:proposal_id>/dismissal")
class Dismissal(MethodView):
    @takes_if_match
    @care_blp.arguments(DismissIn)
    @care_blp.response(200, CaseOut, headers=ETAG)
    def put(self, body, case_id, proposal_id):
        """Continue the therapy despite a termination proposal, saying why (to terminate, take the
        `terminate_methadone` transition)"""
        return answered(ask(DismissTermination(case_id=case_id, proposal_id=proposal_id,
                                               expected_version=if_match_version(), **body)))
