"""The case page's referral and transfer forms as the template draws them: refer to a unit of the plans service's
directory, ask another commune to take the case over, and answer an open referral or transfer (the receiver
accepts or rejects, the sender revokes; the cases API decides who may). Each form carries the case version it was
rendered from."""
from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l

from services.portal.domain.clinic_pages import (DECISION_FORM, REFERRAL_FORM, TRANSFER_CONTROLS, TRANSFER_FORM,
                                                 decision_controls, open_shares, referral_controls)
from services.portal.domain.queries import ReadReferralUnits
from services.portal.domain.pages import ServiceProblem
from services.portal.entrypoints.web import _ask

SHARE_NOTICES = {REFERRAL_FORM: _l("Referral sent."), TRANSFER_FORM: _l("Transfer requested."),
                 DECISION_FORM: _l("Answer recorded.")}


def _units(access_token: str):
    """The directory's units, or none and the plans service's silence or refusal to show."""
    try:
        return _ask(ReadReferralUnits(access_token)), None
    except ServiceProblem as problem:
        return [], problem


def case_share_forms(access_token: str, page, account) -> dict:
    """The template's context for the referral, transfer and answer forms of the case page."""
    case = (page.case or {}) if page else {}
    units, silence = _units(access_token)
    names = {unit["unit_code"]: unit.get("name") or unit["unit_code"] for unit in units}
    shares = open_shares(case.get("shares") or {}, getattr(account, "unit", None),
                         tuple(getattr(account, "areas", ()) or ()))
    return {"referral_form": REFERRAL_FORM, "transfer_form": TRANSFER_FORM, "decision_form": DECISION_FORM,
            "referral_controls": referral_controls(tuple(names)), "transfer_controls": TRANSFER_CONTROLS,
            "unit_names": names, "units_silence": silence, "open_shares": shares,
            "decision_controls": {share.share_id: decision_controls(share.decisions) for share in shares},
            "share_notice": SHARE_NOTICES.get(request.args.get("done", ""))}
