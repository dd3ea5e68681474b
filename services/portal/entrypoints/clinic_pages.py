"""The treating clinic's methadone page (phase, dose log, breaches, open termination proposals, and the forms to
record a dose, change the phase, record a breach, dismiss a proposal) and the case page's referral, transfer and
answer forms posted. Each write is one call to the cases API; done, the person is sent back to the page; refused,
the page is shown again with the refusal in the form (a refused field by its label, what was typed kept); a case
changed meanwhile shows the fresh page."""
from __future__ import annotations

from functools import partial

from flask import request, url_for
from flask_babel import format_decimal, lazy_gettext as _l

from services.portal.domain.clinic_pages import (BREACH_CONTROLS, BREACH_FORM, DECISION_FORM, DISMISS_CONTROLS,
                                                 DISMISS_FORM, DOSE_CONTROLS, DOSE_FORM, MAX_DOSE_MG, OPEN_PROPOSAL,
                                                 PHASE_CONTROLS, PHASE_FORM, REFERRAL_FORM, TRANSFER_FORM)
from services.portal.domain.commands import ActOnTherapy, ShareFromCasePage
from services.portal.domain.queries import ReadMethadonePage
from services.portal.domain.pages import ServiceProblem
from services.portal.entrypoints.case_actions import (idempotency_key, opaque_ids, posted_fields, posted_version,
                                                     submitted)
from services.portal.entrypoints.case_pages import render_case_page
from services.portal.entrypoints.pages import PROBLEM_STATUS, _access_token, _account, problem_message
from services.portal.entrypoints.web import _ask, _page, form_keys, kept_form, labelled, web

CLINIC_LABELS = {
    "given_on": _l("Day of the dose"), "dose_mg": _l("Dose (mg)"), "missed": _l("Dose missed"),
    "phase": _l("Phase"), "effective_on": _l("Effective date"), "kind": _l("Kind"), "occurred_on": _l("Date"),
    "description": _l("Description"), "reason": _l("Reason in words"), "to_unit": _l("Unit referred to"),
    "to_commune": _l("Receiving commune (5-digit code)"), "decision": _l("Answer"),
    "consent": _l("The person's consent"), "consent.sections": _l("Consent covers"),
    "consent.purpose": _l("Purpose of the consent (code)"), "consent.reference": _l("Signed consent form number"),
    "consent.valid_from": _l("Consent valid from"), "consent.valid_until": _l("Consent valid until"),
    "consent.basis": _l("Basis of the consent"), "version": _l("Version"),
}
CLINIC_CHOICES = {
    "induction": _l("Induction"), "titration": _l("Titration"), "maintenance": _l("Maintenance"),
    "taper": _l("Taper"), "protocol": _l("Protocol breach"), "offence": _l("Offence"),
    "accepted": _l("Accept"), "rejected": _l("Reject"), "revoked": _l("Revoke"), "contact": _l("Contact details"),
    "clinical": _l("Clinical records"), "support": _l("Support records"), "referral": _l("Referral"),
    "transfer": _l("Transfer"), "protocol_breaches": _l("Repeated breaches of the treatment rules"),
    "other_drugs": _l("Use of other drugs"), "opioid_positive_tests": _l("Tests positive for opioids"),
}
NOTICES = {DOSE_FORM: _l("Dose recorded."), PHASE_FORM: _l("Phase changed."), BREACH_FORM: _l("Breach recorded."),
           DISMISS_FORM: _l("Termination proposal dismissed.")}


def clinic_label(name: str) -> str:
    return labelled(CLINIC_LABELS, name, name.rsplit(".", 1)[-1].replace("_", " "))


def clinic_choice(code: str) -> str:
    return labelled(CLINIC_CHOICES, code, code)


def milligrams(value) -> str:
    """A dose in the page's language: 12,5 in Vietnamese."""
    return format_decimal(value, "#,##0.##") if isinstance(value, (int, float)) else "—"


CLINIC_FILTERS = {"clinic_label": clinic_label, "clinic_choice": clinic_choice, "mg": milligrams}


def install_clinic_pages(app) -> None:
    app.jinja_env.filters.update(CLINIC_FILTERS)
    app.jinja_env.globals.update(CLINIC_FILTERS)


@web.get("/cases/<case_id>/methadone")
def methadone_page(case_id: str):
    return render_methadone_page(case_id)


def render_methadone_page(case_id: str, status: int = 200, posted: dict | None = None,
                          refusal: tuple[str, str] | None = None, **messages):
    """`posted` (form id -> fields) fills a form in again, `refusal` (form id, message) is shown in it."""
    account = _account()
    opaque_ids(case_id)
    try:
        page = _ask(ReadMethadonePage(_access_token(), case_id))
    except ServiceProblem as problem:
        return _page("methadone.html", PROBLEM_STATUS[problem.kind], account=account, page=None, case_id=case_id,
                     error=problem_message(problem))
    values = dict(posted or {})
    kept = kept_form()
    if kept.get("form"):
        values.setdefault(kept["form"][0], kept)
    proposals = [p for p in page.therapy.get("termination_proposals") or [] if p.get("status") == OPEN_PROPOSAL]
    return _page("methadone.html", status, account=account, page=page, case_id=case_id,
                 problems=[problem_message(p) for p in page.problems], proposals=proposals,
                 dose_controls=DOSE_CONTROLS, phase_controls=PHASE_CONTROLS, breach_controls=BREACH_CONTROLS,
                 dismiss_controls=DISMISS_CONTROLS, form_values=values, form_refusal=refusal or (None, None),
                 version=page.case.get("version"), new_key=form_keys(), max_dose=MAX_DOSE_MG,
                 notice=NOTICES.get(request.args.get("done", "")), **messages)


def _on_therapy(case_id: str, action: str, proposal_id: str = ""):
    _account()
    opaque_ids(case_id, proposal_id)
    posted = posted_fields()
    command = ActOnTherapy(_access_token(), case_id, action, posted_version(), posted, idempotency_key(),
                           proposal_id)
    return submitted(command, f"{action}:{proposal_id}" if proposal_id else action, posted,
                     partial(render_methadone_page, case_id),
                     url_for("web.methadone_page", case_id=case_id, done=action), clinic_label)


@web.post("/cases/<case_id>/methadone/doses")
def record_dose(case_id: str):
    return _on_therapy(case_id, DOSE_FORM)


@web.post("/cases/<case_id>/methadone/phase")
def change_therapy_phase(case_id: str):
    return _on_therapy(case_id, PHASE_FORM)


@web.post("/cases/<case_id>/methadone/breaches")
def record_breach(case_id: str):
    return _on_therapy(case_id, BREACH_FORM)


@web.post("/cases/<case_id>/methadone/proposals/<proposal_id>/dismissal")
def dismiss_termination(case_id: str, proposal_id: str):
    return _on_therapy(case_id, DISMISS_FORM, proposal_id)


def _share(case_id: str, action: str, share_id: str = ""):
    _account()
    opaque_ids(case_id, share_id)
    posted = posted_fields()
    command = ShareFromCasePage(_access_token(), case_id, action, posted_version(), posted, share_id)
    return submitted(command, f"{action}:{share_id}" if share_id else action, posted,
                     partial(render_case_page, case_id), url_for("web.case_page", case_id=case_id, done=action),
                     clinic_label)


@web.post("/cases/<case_id>/referrals")
def refer_case(case_id: str):
    return _share(case_id, REFERRAL_FORM)


@web.post("/cases/<case_id>/transfers")
def request_transfer(case_id: str):
    return _share(case_id, TRANSFER_FORM)


@web.post("/cases/<case_id>/shares/<share_id>/decision")
def answer_share(case_id: str, share_id: str):
    return _share(case_id, DECISION_FORM, share_id)
