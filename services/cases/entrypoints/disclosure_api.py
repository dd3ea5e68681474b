"""HTTP API of consents and break-the-glass: thin views, each one call to the service layer."""
from __future__ import annotations

from flask.views import MethodView

from shared.endpoints import ETAG, ask, if_match_version, takes_if_match
from shared.spreadsheets import workbook_response
from shared.web import Blueprint

from services.cases.domain.commands import BreakGlass, RecordConsent, RevokeAccess, RevokeConsent
from services.cases.domain.queries import AccountDisclosures
from services.cases.entrypoints.disclosure_schemas import (DISCLOSURE_COLUMNS, BreakGlassIn, ConsentIn, DisclosureOut,
                                                           GrantOut, RevocationIn)
from services.cases.entrypoints.schemas import CaseOut, answered

disclosure_blp = Blueprint("disclosure", __name__, url_prefix="/api/v1/cases",
                           description="Consents to share a case's protected sections, and break-the-glass access")


@disclosure_blp.route("/<string:case_id>/consents")
class Consents(MethodView):
    @takes_if_match
    @disclosure_blp.arguments(ConsentIn, as_kwargs=False)
    @disclosure_blp.response(201, CaseOut, headers=ETAG)
    def post(self, terms, case_id):
        """Record the person's consent (or a court order, a medical emergency) letting a unit read protected
        sections; the clinical section needs it outside the treating clinic"""
        return answered(ask(RecordConsent(case_id=case_id, terms=terms, expected_version=if_match_version())), 201)


@disclosure_blp.route("/<string:case_id>/consents/<string:consent_id>/revocation")
class ConsentRevocation(MethodView):
    @takes_if_match
    @disclosure_blp.arguments(RevocationIn)
    @disclosure_blp.response(200, CaseOut, headers=ETAG)
    def put(self, body, case_id, consent_id):
        """The person withdraws a consent: the unit's access ends at once"""
        return answered(ask(RevokeConsent(case_id=case_id, consent_id=consent_id, reason=body["reason"],
                                          expected_version=if_match_version())))


def _grant(grant) -> dict:
    opened = grant.escalated
    return {"grant_id": opened.grant_id, "case_id": opened.case_id, "section": opened.section,
            "reason_code": opened.reason_code, "expires_at": opened.expires_at,
            "revoked_at": grant.revoked.at if grant.revoked else None}


@disclosure_blp.route("/<string:case_id>/break-glass")
class BreakTheGlass(MethodView):
    @disclosure_blp.arguments(BreakGlassIn)
    @disclosure_blp.response(201, GrantOut)
    @disclosure_blp.alt_response(429, description="the day's break-the-glass openings are used up (Retry-After)")
    def post(self, body, case_id):
        """A health worker opens a protected section of this case for themself, for a few hours, with a reason
        code and text; the inspectorate is alerted and the case shows it"""
        return _grant(ask(BreakGlass(case_id=case_id, **body))), 201


@disclosure_blp.route("/<string:case_id>/break-glass/<string:grant_id>/revocation")
class BreakGlassRevocation(MethodView):
    @disclosure_blp.arguments(RevocationIn)
    @disclosure_blp.response(200, GrantOut)
    def put(self, body, case_id, grant_id):
        """The treating clinic closes a break-the-glass opening before it expires"""
        return _grant(ask(RevokeAccess(case_id=case_id, grant_id=grant_id, reason=body["reason"])))


@disclosure_blp.route("/<string:case_id>/disclosures")
class Disclosures(MethodView):
    @disclosure_blp.response(200, DisclosureOut(many=True))
    def get(self, case_id):
        """The accounting of disclosures of this case, oldest first (the inspectorate)"""
        return ask(AccountDisclosures(case_id))


@disclosure_blp.route("/<string:case_id>/disclosures.xlsx")
class DisclosuresWorkbook(MethodView):
    @disclosure_blp.response(200, description="The accounting of disclosures as an XLSX workbook, to hand to the "
                                              "person on request",
                             content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    def get(self, case_id):
        """The accounting of disclosures of this case as a spreadsheet for the person (the inspectorate)"""
        rows = [[", ".join(d[c]) if isinstance(d[c], list) else d[c] for c in DISCLOSURE_COLUMNS]
                for d in DisclosureOut(many=True).dump(ask(AccountDisclosures(case_id)))]
        return workbook_response(list(DISCLOSURE_COLUMNS), rows, "ke-khai-tiet-lo.xlsx")
