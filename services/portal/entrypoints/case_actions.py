"""The case page's forms posted: a workflow step, a visit, a drug test. Each is one write through the cases API;
done, the person is sent back to the case page; refused, the case page is shown again with the refusal in the
form (a refused field by its label, what was typed kept); a case changed meanwhile shows the fresh page."""
from __future__ import annotations

from functools import partial

from flask import abort, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from services.portal.domain.case_actions import DRUG_TEST_FORM, FOLLOW_UP_FORM, STEP_FORM, SUPPORT_FORM, VISIT_FORM
from services.portal.domain.commands import ActOnCase
from services.portal.domain.pages import CONFLICT, INVALID, STALE, ServiceProblem
from services.portal.entrypoints.case_forms import form_id
from services.portal.entrypoints.case_pages import render_case_page
from services.portal.entrypoints.pages import OPAQUE_ID, PROBLEM_STATUS, _access_token, _account, problem_message
from services.portal.entrypoints.web import _ask, labelled, web

FIELD_LABELS = {
    "effective_on": _l("Effective date"), "decision.decision_number": _l("Decision number"),
    "decision.decision_date": _l("Decision date"), "decision.issuing_authority": _l("Issuing authority"),
    "decision.document_ref": _l("Document reference"), "decision.term_months": _l("Term (months)"),
    "decision.reason_code": _l("Reason"), "decision.reason": _l("Reason in words"),
    "decision.drugs_declared": _l("Drugs declared (one per line)"),
    "decision.guardian_consent_ref": _l("Guardian's written consent (reference)"),
    "decision.term_reduction_months": _l("Term reduction (months)"), "visited_on": _l("Visit date"),
    "kind": _l("Kind of contact"), "outcome": _l("Outcome"), "notes": _l("Notes"), "tested_on": _l("Test date"),
    "result": _l("Result"), "substances": _l("Substances found"), "transition": _l("Step"),
    "version": _l("Version"), "every_days": _l("Visit every (days)"), "first_on": _l("First visit"),
    "provided_on": _l("Date given"), "amount_vnd": _l("Amount (đồng)"), "funding_source": _l("Funding source"),
    "details": _l("Details"),
}
CHOICE_LABELS = {
    "home_visit": _l("Home visit"), "office_check_in": _l("Check-in at the office"), "phone_call": _l("Phone call"),
    "met": _l("Met the person"), "not_home": _l("Not at home"), "refused": _l("Refused to meet"),
    "moved_away": _l("Moved away"), "negative": _l("Negative"), "positive": _l("Positive"),
    "counselling": _l("Counselling"), "vocational_training": _l("Vocational training"),
    "job_placement": _l("Job placement"), "schooling": _l("Schooling"), "social_support": _l("Social support"),
    "loan": _l("Loan"), "state_budget": _l("State budget"), "local_budget": _l("Local budget"),
    "social_policy_bank": _l("Social Policy Bank"), "enterprise": _l("Enterprise"), "community": _l("Community"),
    "ngo": _l("Non-governmental organisation"), "family": _l("Family"), "other": _l("Other"),
}
STEP_NAMES = {
    "place_under_management": _l("Place under management"), "refer_for_assessment": _l("Refer for assessment"),
    "record_dependence": _l("Record dependence"), "record_no_dependence": _l("Record no dependence"),
    "register_community_rehab": _l("Register community rehabilitation"),
    "register_facility_rehab": _l("Register facility rehabilitation"),
}
WHY = ((("missing data for required field", "is required"), _l("required")),
       (("not a valid date",), _l("not a valid date (dd/mm/yyyy)")),
       (("not a valid integer",), _l("not a whole number")),
       (("must be one of",), _l("not one of the choices")),
       (("must be greater", "must be less", "exceeds", "below the legal minimum"), _l("outside the allowed range")),
       (("length must be",), _l("too long, or empty")))
"""The cases API's reasons (marshmallow's and its own) in a few words people read; others as the API says them."""


def field_label(name: str) -> str:
    return labelled(FIELD_LABELS, name, name.rsplit(".", 1)[-1].replace("_", " "))


def choice_label(code: str) -> str:
    return labelled(CHOICE_LABELS, code, code)


def step_name(transition: str) -> str:
    return labelled(STEP_NAMES, transition, transition.replace("_", " "))


def refused_field(problem: ServiceProblem, label=field_label) -> str:
    """"Ngày quyết định: bắt buộc": the refused field by its `label`, the reason in a few words."""
    why = (problem.why or "").lower()
    said = next((str(words) for starts, words in WHY if any(start in why for start in starts)), problem.why or "—")
    return str(_l("%(field)s: %(why)s")) % {"field": label(problem.field or ""), "why": said}


ACTION_FILTERS = {"field_label": field_label, "choice_label": choice_label, "step_name": step_name}
CHANGED = _l("This case was changed by someone else since the form was shown. Here is the fresh page: check it, "
             "then fill in the form again.")
KEPT_OUT = ("csrf_token", "version", "idempotency_key", "form", "form_page")
"""Fields of the form's own, not the person's input: a form shown again gets fresh ones."""


def posted_fields() -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((name, tuple(request.form.getlist(name))) for name in request.form if name not in KEPT_OUT)


def posted_version() -> int:
    """The version the form was rendered from (0, refused as stale, when it is not a number)."""
    version = request.form.get("version", "")
    return int(version) if (version.isascii() and version.isdigit()) else 0


def opaque_ids(*ids: str) -> None:
    if not all(OPAQUE_ID.fullmatch(value) for value in ids if value):
        abort(404)


def idempotency_key() -> str:
    return request.form.get("idempotency_key", "")[:100]


def submitted(command, form: str, posted, render, done: str, label=field_label):
    """A form's command asked: done, to the address `done`; refused, `render(status, **context)` draws the page
    again: stale or no longer allowed, fresh and with nothing kept; otherwise with the refusal in the form `form`
    (a refused field by its `label`) and what was typed (`posted`) in it."""
    try:
        _ask(command)
    except ServiceProblem as problem:
        status = PROBLEM_STATUS[problem.kind]
        if problem.kind in (STALE, CONFLICT):
            return render(status, error=str(CHANGED))
        said = refused_field(problem, label) if problem.kind == INVALID and problem.field else problem_message(problem)
        return render(status, posted={form: {name: list(values) for name, values in posted}}, refusal=(form, said))
    return redirect(done)


def _act(case_id: str, action: str, transition: str = ""):
    _account()
    opaque_ids(case_id, transition)
    posted = posted_fields()
    command = ActOnCase(_access_token(), case_id, action, posted_version(), posted, idempotency_key(), transition)
    return submitted(command, form_id(action, transition), posted, partial(render_case_page, case_id),
                     url_for("web.case_page", case_id=case_id, done=action))


@web.post("/cases/<case_id>/steps/<transition>")
def take_step(case_id: str, transition: str):
    return _act(case_id, STEP_FORM, transition)


@web.post("/cases/<case_id>/visits")
def record_visit(case_id: str):
    return _act(case_id, VISIT_FORM)


@web.post("/cases/<case_id>/drug-tests")
def record_drug_test(case_id: str):
    return _act(case_id, DRUG_TEST_FORM)


@web.post("/cases/<case_id>/follow-up")
def plan_follow_up(case_id: str):
    return _act(case_id, FOLLOW_UP_FORM)


@web.post("/cases/<case_id>/support")
def record_support(case_id: str):
    return _act(case_id, SUPPORT_FORM)
