"""HTTP API of referrals and transfers: thin views, each one call to the service layer."""
from __future__ import annotations

from flask.views import MethodView

from shared.endpoints import ETAG, ask, if_match_version, takes_if_match
from shared.web import Blueprint

from services.cases.domain.commands import SettleShare, ShareCase
from services.cases.entrypoints.schemas import CaseOut, ReferralIn, SettleIn, TransferIn, answered

sharing_blp = Blueprint("sharing", __name__, url_prefix="/api/v1/cases",
                        description="Referrals and transfers of a case")


@sharing_blp.route("/<string:case_id>/referrals")
class Referrals(MethodView):
    @takes_if_match
    @sharing_blp.arguments(ReferralIn)
    @sharing_blp.response(201, CaseOut, headers=ETAG)
    def post(self, body, case_id):
        """Refer the case to a unit of the directory (e.g. a methadone clinic), giving it access once it accepts;
        with the person's consent where the workflow asks for it"""
        return answered(ask(ShareCase(case_id=case_id, kind="referral", expected_version=if_match_version(),
                                      **body)), 201)


@sharing_blp.route("/<string:case_id>/transfers")
class Transfers(MethodView):
    @takes_if_match
    @sharing_blp.arguments(TransferIn)
    @sharing_blp.response(201, CaseOut, headers=ETAG)
    def post(self, body, case_id):
        """The person moved: ask the receiving commune to take the case over"""
        return answered(ask(ShareCase(case_id=case_id, kind="transfer", expected_version=if_match_version(),
                                      **body)), 201)


@sharing_blp.route("/<string:case_id>/shares/<string:share_id>/decision")
class ShareDecision(MethodView):
    @takes_if_match
    @sharing_blp.arguments(SettleIn)
    @sharing_blp.response(200, CaseOut, headers=ETAG)
    def put(self, body, case_id, share_id):
        """Accept or reject (the receiver) or revoke (the sender) a referral or transfer, with a reason"""
        return answered(ask(SettleShare(case_id=case_id, share_id=share_id, status=body["decision"],
                                        reason=body["reason"], expected_version=if_match_version())))
