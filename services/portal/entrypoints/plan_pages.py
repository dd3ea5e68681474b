"""The plans pages: the plans the person may see, a plan with its tasks, reports and roll-up (drawn as an SVG bar
chart and given as a table), a unit's report with the forms to submit or review it, and the hotspots of the
person's areas. Every read and write goes through the plans API with the person's own token; a refusal or a
silence is a message on the page, and a form's 422 is shown next to it with what was typed kept."""
from __future__ import annotations

import uuid

from flask import abort, redirect, request, url_for
from flask_babel import format_decimal, lazy_gettext as _l

from services.portal.domain.commands import ReviewReportFromPortal, SubmitReportFromPortal
from services.portal.domain.hotspot_map import LEVEL_ORDER, SYMBOLS, symbol_path
from services.portal.domain.pages import CONFLICT, INVALID, STALE, ServiceProblem
from services.portal.domain.plan_pages import BAR_KINDS, CHART_WIDTH, REVIEW_OUTCOMES
from services.portal.domain.queries import ListPlanPage, ReadHotspots, ReadPlanPage, ReadReportPage
from services.portal.entrypoints.pages import (OPAQUE_ID, PROBLEM_STATUS, _access_token, _account, page_number,
                                               problem_message)
from services.portal.entrypoints.web import _ask, _page, locale, web

KIND_LABELS = {"action_month": _l("Month of action"), "yearly": _l("Year-round"), "thematic": _l("Thematic")}
STATUS_LABELS = {
    "draft": _l("Draft"), "issued": _l("Issued"), "in_progress": _l("In progress"), "closed": _l("Closed"),
    "not_started": _l("Not started"), "on_track": _l("On track"), "at_risk": _l("At risk"),
    "overdue": _l("Overdue"), "done": _l("Done"), "submitted": _l("Submitted"), "returned": _l("Returned"),
    "resubmitted": _l("Resubmitted"), "approved": _l("Approved")}
BAR_LABELS = {"target": _l("Target"), "reported": _l("Reported"), "computed": _l("Computed")}
FIELD_LABELS = {"narrative": _l("Narrative"), "comments": _l("Comments"), "period": _l("Period"),
                "values": _l("Figures")}
REPORT_NOTICES = {"submitted": _l("Report submitted for review."), "approve": _l("Report approved."),
                  "return": _l("Report returned to its unit.")}
CHANGED = _l("This report was changed by someone else since the page was shown. Here it is as it is now: check "
             "it, then try again.")
HOTSPOT_LABELS = {
    "level_labels": {"low": _l("Low"), "medium": _l("Medium"), "high": _l("High")},
    "hotspot_status_labels": {"identified": _l("Identified"), "under_surveillance": _l("Under surveillance"),
                              "crackdown": _l("Crackdown"), "eliminated": _l("Eliminated"),
                              "re_emerged": _l("Re-emerged")},
    "hotspot_kind_labels": {"point": _l("Point"), "cluster": _l("Cluster"), "use": _l("Use"),
                            "dealing": _l("Dealing"), "use_and_dealing": _l("Use and dealing")},
    "symbols": SYMBOLS, "level_order": LEVEL_ORDER, "symbol_path": symbol_path}
"""The hotspots page's words for the registry's kinds, activities, levels and statuses, and the map's symbols for
its legend."""
INVALID_FIELD = _l("%(field)s: %(why)s")
NOT_A_NUMBER = _l("must be a number of 0 or more")
MAX_TEXT = 20_000


def _number(value) -> str:
    return "—" if value is None else format_decimal(value, "#,##0.##")


def _degrees(line) -> str:
    """A grid line's degrees to its step's decimals, as the page's language writes them (12,25 in Vietnamese)."""
    return format_decimal(line.degrees, "0." + "0" * line.decimals if line.decimals else "0")


PLAN_FILTERS = {"number": _number, "degrees": _degrees}
"""Figures as the page's language writes them: 1.234,5 in Vietnamese, 1,234.5 in English."""


def _id(value: str) -> str:
    if not OPAQUE_ID.fullmatch(value):
        abort(404)
    return value


def indicator_name(names: dict, code: str) -> str:
    described = names.get(code) or {}
    return described.get("name_en" if locale() == "en" else "name_vi") or code


def _labels():
    return {"kind_labels": KIND_LABELS, "status_labels": STATUS_LABELS, "bar_labels": BAR_LABELS,
            "bar_kinds": BAR_KINDS, "chart_width": CHART_WIDTH, "indicator_name": indicator_name}


@web.get("/plans")
def plans():
    account = _account()
    page = request.args.get("page", "1")
    query = ListPlanPage(_access_token(), page_number(page))
    try:
        listing = _ask(query)
    except ServiceProblem as problem:
        return _page("plans.html", PROBLEM_STATUS[problem.kind], account=account, listing=None,
                     error=problem_message(problem), **_labels())
    return _page("plans.html", account=account, listing=listing, **_labels())


@web.get("/plans/hotspots")
def hotspots():
    account = _account()
    try:
        found = _ask(ReadHotspots(_access_token()))
    except ServiceProblem as problem:
        return _page("hotspots.html", PROBLEM_STATUS[problem.kind], account=account, hotspots=None,
                     hotspot_map=None, error=problem_message(problem), **HOTSPOT_LABELS)
    return _page("hotspots.html", account=account, hotspots=found.hotspots, hotspot_map=found.map,
                 **HOTSPOT_LABELS)


@web.get("/plans/<plan_id>")
def plan_page(plan_id: str):
    account = _account()
    try:
        page = _ask(ReadPlanPage(_access_token(), _id(plan_id)))
    except ServiceProblem as problem:
        return _page("plan.html", PROBLEM_STATUS[problem.kind], account=account, page=None,
                     error=problem_message(problem), **_labels())
    return _page("plan.html", account=account, page=page, problems=[problem_message(p) for p in page.problems],
                 **_labels())


@web.post("/plans/<plan_id>/report")
def choose_report(plan_id: str):
    """The report chooser is posted like every form and answered with the report page's address."""
    _account()
    task_id, unit_code, period = (request.form.get(name, "") for name in ("task_id", "unit_code", "period"))
    return redirect(url_for("web.report_page", plan_id=_id(plan_id), task_id=_id(task_id),
                            unit_code=_id(unit_code), period=_id(period)))


REPORT_ROUTE = "/plans/<plan_id>/reports/<task_id>/<unit_code>/<period>"


def _report_query(plan_id, task_id, unit_code, period) -> ReadReportPage:
    """The session is read first, so a report posted after its sign-in ended is seen as such (and kept)."""
    _account()
    return ReadReportPage(_access_token(), _id(plan_id), _id(task_id), _id(unit_code), _id(period))


def _report(query: ReadReportPage, status: int = 200, **context):
    """The report page as the plans API has it now, with what this request has to say about it."""
    account = _account()
    try:
        page = _ask(query)
    except ServiceProblem as problem:
        return _page("report.html", PROBLEM_STATUS[problem.kind], account=account, page=None,
                     error=problem_message(problem), **_labels())
    return _page("report.html", status, account=account, page=page, form_key=uuid.uuid4().hex,
                 notice=REPORT_NOTICES.get(request.args.get("done", "")), **_labels(), **context)


@web.get(REPORT_ROUTE)
def report_page(plan_id, task_id, unit_code, period):
    return _report(_report_query(plan_id, task_id, unit_code, period))


def _field_label(name: str, names: dict) -> str:
    name = name.removeprefix("json.")
    if name.startswith("values."):
        return indicator_name(names, name.removeprefix("values."))
    return str(FIELD_LABELS.get(name, name))


def _refused(query: ReadReportPage, problem: ServiceProblem, form: str, entered: dict):
    """A stale or conflicting write shows the fresh page; a 422 is named next to its form, what was typed kept;
    anything else is a message above the page."""
    if problem.kind in (STALE, CONFLICT):
        return _report(query, PROBLEM_STATUS[problem.kind], error=str(CHANGED))
    if problem.kind == INVALID:
        try:
            names = _ask(query).names
        except ServiceProblem:
            names = {}
        message = str(INVALID_FIELD) % {"field": _field_label(problem.field or "", names), "why": problem.why or "—"}
        return _report(query, 422, form_errors={form: message}, entered=entered)
    return _report(query, PROBLEM_STATUS[problem.kind], error=problem_message(problem), entered=entered)


def _version() -> int:
    version = request.form.get("version", "")
    if not (version.isascii() and version.isdigit()):
        raise ServiceProblem("plans", STALE, 412)
    return int(version)


def _figures(form) -> tuple[tuple[tuple[str, float], ...], str | None]:
    """The typed figures (a decimal comma taken as a point); the first that is not a number is named."""
    figures = []
    for name, typed in form.items():
        if not name.startswith("value_") or not typed.strip():
            continue
        text = typed.strip().replace(" ", "")
        text = text.replace(",", ".") if "." not in text else text
        try:
            figure = float(text)
        except ValueError:
            return (), f"values.{name.removeprefix('value_')}"
        if not 0 <= figure <= 1e12:
            return (), f"values.{name.removeprefix('value_')}"
        figures.append((name.removeprefix("value_"), figure))
    return tuple(figures), None


@web.post(f"{REPORT_ROUTE}/submission")
def submit_report(plan_id, task_id, unit_code, period):
    query = _report_query(plan_id, task_id, unit_code, period)
    entered = {name: value for name, value in request.form.items() if name.startswith("value_") or name == "narrative"}
    figures, wrong = _figures(request.form)
    try:
        if wrong:
            raise ServiceProblem("plans", INVALID, 422, wrong, str(NOT_A_NUMBER))
        _ask(SubmitReportFromPortal(query.access_token, query.task_id, query.unit_code, query.period, figures,
                                    request.form.get("narrative", "").strip()[:MAX_TEXT], _version(),
                                    request.form.get("idempotency_key", "")[:100] or uuid.uuid4().hex))
    except ServiceProblem as problem:
        return _refused(query, problem, "submit", entered)
    return redirect(url_for("web.report_page", plan_id=plan_id, task_id=task_id, unit_code=unit_code,
                            period=period, done="submitted"))


@web.post(f"{REPORT_ROUTE}/review")
def review_report(plan_id, task_id, unit_code, period):
    query = _report_query(plan_id, task_id, unit_code, period)
    outcome = request.form.get("outcome", "")
    comments = request.form.get("comments", "").strip()[:4000]
    if outcome not in REVIEW_OUTCOMES:
        abort(400)
    try:
        _ask(ReviewReportFromPortal(query.access_token, query.task_id, query.unit_code, query.period, outcome,
                                    comments, _version(),
                                    request.form.get("idempotency_key", "")[:100] or uuid.uuid4().hex))
    except ServiceProblem as problem:
        return _refused(query, problem, "review", {"comments": comments})
    return redirect(url_for("web.report_page", plan_id=plan_id, task_id=task_id, unit_code=unit_code,
                            period=period, done=outcome))
