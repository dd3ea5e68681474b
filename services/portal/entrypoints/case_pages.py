"""The case pages: the search (the form is shown by GET and posted, so the terms never appear in an address) and
the case page, read through the cases API so that the cases service audits every view. What the API leaves out for
the person's role is not on the page."""
from __future__ import annotations

from flask import abort, request
from flask_babel import format_currency, lazy_gettext as _l

from services.portal.domain.case_pages import SEARCH_TERMS
from services.portal.domain.queries import ReadCasePage, ReadStageNames, SearchCases
from services.portal.domain.pages import INVALID, ServiceProblem, day_of
from services.portal.entrypoints.case_forms import case_action_forms
from services.portal.entrypoints.share_forms import case_share_forms
from services.portal.entrypoints.pages import (OPAQUE_ID, PROBLEM_STATUS, _access_token, _account, _day,
                                               page_number, problem_message)
from services.portal.entrypoints.web import _ask, _page, kept_form, web

MAX_TERM_LENGTH = 200
"""Longer input is cut here; the cases API still checks every term's own bounds and names the one it refuses."""
TERM_LABELS = {"q": _l("Name"), "national_id": _l("ID number"), "case_number": _l("Case number"),
               "commune_code": _l("Commune code"), "stage": _l("Stage")}
SEXES = {"male": _l("Male"), "female": _l("Female")}
PERSON_FACTS = (("full_name", _l("Full name")), ("birth_date", _l("Date of birth")), ("sex", _l("Sex")),
                ("national_id", _l("ID number")), ("phone", _l("Phone")), ("address", _l("Address")),
                ("residence_code", _l("Commune of residence")), ("person_code", _l("Person code")))
STEP_LABELS = {"cases.case.opened": _l("Case opened"), "cases.case.worker_assigned": _l("Worker assigned"),
               "cases.case.drug_test_recorded": _l("Drug test recorded"),
               "cases.case.visit_recorded": _l("Visit recorded"), "cases.case.phase_changed": _l("Phase changed"),
               "cases.case.transfer_requested": _l("Transfer requested"), "cases.case.transferred": _l("Transferred"),
               "cases.case.referred": _l("Referred"), "cases.case.alert_noted": _l("Alert"),
               "cases.case.follow_up_planned": _l("Follow-up planned"),
               "cases.case.support_recorded": _l("Support recorded")}


def _searched_problem(problem: ServiceProblem) -> str:
    """A refused term is named by its label on the form, not by the API's name for it."""
    if problem.kind == INVALID and problem.field in TERM_LABELS:
        problem = ServiceProblem(problem.service, INVALID, problem.status, str(TERM_LABELS[problem.field]),
                                 problem.why)
    return problem_message(problem)


def _stages(token: str):
    return _ask(ReadStageNames(token))


@web.get("/cases")
def cases():
    account = _account()
    kept = {name: values[0] for name, values in kept_form().items() if name in SEARCH_TERMS and values}
    return _page("cases.html", account=account, terms=kept, stages=_stages(_access_token()), results=None)


@web.post("/cases")
def search_cases():
    account = _account()
    terms = {name: request.form.get(name, "").strip()[:MAX_TERM_LENGTH] for name in SEARCH_TERMS}
    page = request.form.get("page", "1")
    query = SearchCases(_access_token(), tuple((name, value) for name, value in terms.items() if value),
                        page=page_number(page))
    stages = _stages(query.access_token)
    try:
        results = _ask(query)
    except ServiceProblem as problem:
        return _page("cases.html", PROBLEM_STATUS[problem.kind], account=account, terms=terms, stages=stages,
                     results=None, error=_searched_problem(problem))
    return _page("cases.html", account=account, terms=terms, stages=stages, results=results)


def _dong(amount) -> str:
    """An amount of đồng in the page's language: 1.500.000 ₫ in Vietnamese."""
    return format_currency(amount, "VND") if isinstance(amount, int) else "—"


CASE_FILTERS = {"iso_day": day_of, "dong": _dong}
"""The API's ISO dates as dates, for the `day` filter to write as dd/mm/yyyy; amounts of đồng."""


def person_facts(person: dict | None) -> list[tuple[str, str]]:
    """The person's fields the API answered for this role, labelled, in a fixed order; any other it answered
    follows under its own name."""
    if not person:
        return []
    facts = []
    for name, label in PERSON_FACTS:
        value = person.get(name)
        if value not in (None, ""):
            shown = _day(day_of(value)) if name == "birth_date" else SEXES.get(value, value) if name == "sex" else value
            facts.append((str(label), str(shown)))
    guardian = person.get("guardian")
    if guardian:
        parts = [guardian.get("full_name"), guardian.get("relation"), guardian.get("phone")]
        facts.append((str(_l("Guardian")), ", ".join(str(part) for part in parts if part)))
    known = {name for name, _label in PERSON_FACTS} | {"guardian", "merged_into"}
    facts += [(name, str(value)) for name, value in person.items()
              if name not in known and isinstance(value, (str, int)) and value != ""]
    return facts


@web.get("/cases/<case_id>")
def case_page(case_id: str):
    return render_case_page(case_id)


def render_case_page(case_id: str, status: int = 200, posted: dict | None = None,
                     refusal: tuple[str, str] | None = None, **messages):
    """The case page, with its action forms (`posted` and `refusal` as `case_action_forms` takes them)."""
    account = _account()
    if not OPAQUE_ID.fullmatch(case_id):
        abort(404)
    try:
        page = _ask(ReadCasePage(_access_token(), case_id))
    except ServiceProblem as problem:
        return _page("case.html", PROBLEM_STATUS[problem.kind], account=account, page=None,
                     error=problem_message(problem))
    forms = case_action_forms(_access_token(), case_id, page, posted, refusal)
    forms.update(case_share_forms(_access_token(), page, account))
    return _page("case.html", status, account=account, page=page, person=person_facts(page.person),
                 step_labels=STEP_LABELS, **forms, **messages)
