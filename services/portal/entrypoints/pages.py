"""The signed-in pages: My work (the home page) and the inbox, with the unacknowledged count in every signed-in
page's header. Each view asks the service layer once or twice with the person's own access token; a service that
refuses or is silent becomes a message on the page, never a 500."""
from __future__ import annotations

import re

from flask import abort, g, make_response, redirect, request, url_for
from flask_babel import format_date, format_datetime, lazy_gettext as _l

from services.portal.domain.commands import AcknowledgeFromInbox, IssuePageToken, RefreshAccessToken, StartHeader
from services.portal.domain.errors import SignInRefused
from services.portal.domain.pages import BOXES, SIGNED_OUT, ServiceProblem
from services.portal.domain.queries import ReadInbox, ReadInboxCounts, ReadMyWork, ReadStageNames
from services.portal.entrypoints.web import _ask, _page, _signed_in, _token, keep_posted_form, web

OPAQUE_ID = re.compile(r"(?!\.+$)[A-Za-z0-9_.:-]{1,100}")
"""An id a page puts in a service's path: never "." or "..", which a URL would read as a step up the path."""
PROBLEMS = {
    "not_permitted": _l("You are not permitted to see or do this."),
    "not_found": _l("This item does not exist, or is not yours to see."),
    "conflict": _l("This alert has already been acknowledged or resolved."),
    "stale": _l("This alert changed since the page was shown. Look at it again, then retry."),
    "invalid": _l("The service refused the request: %(field)s: %(why)s"),
    "unavailable": _l("The %(service)s service is not answering. Please try again in a moment."),
    SIGNED_OUT: _l("The %(service)s service did not accept your sign-in. Sign out and sign in again; if this "
                   "persists, tell your unit's administrator."),
}
PROBLEM_STATUS = {SIGNED_OUT: 401, "not_permitted": 403, "not_found": 404, "conflict": 409, "stale": 412,
                  "invalid": 422, "unavailable": 503}
"""A service refusing the token of a live session (401) is not the person's doing: a message, not a loop back to
the sign-in."""
SERVICE_NAMES = {"cases": _l("cases"), "notifications": _l("alerts"), "plans": _l("plans")}
NOTICES = {"acknowledged": _l("Alert acknowledged.")}
CATEGORY_LABELS = {
    "case_opened": _l("Case opened"), "relapse_suspected": _l("Suspected relapse"),
    "transfer_requested": _l("Transfer requested"), "absconded": _l("Absconded"),
    "task_assigned": _l("Task assigned"),
}


def problem_message(problem: ServiceProblem) -> str:
    return str(PROBLEMS[problem.kind]) % {"service": SERVICE_NAMES.get(problem.service, problem.service),
                                          "field": problem.field or "—", "why": problem.why or "—"}


class SignedOut(Exception):
    """The session ended (idle, signed out elsewhere, account disabled) or a service no longer takes its token."""


def _access_token() -> str:
    """One access token per request, minted from the session: the services see the person, never the portal."""
    if "access_token" not in g:
        view = g.get("session_view")
        try:
            g.access_token = (_ask(IssuePageToken(view.username, view.unit, view.roles, view.areas)) if view
                              else _ask(RefreshAccessToken(_token())))["access_token"]
        except SignInRefused:
            raise SignedOut() from None
        if request.method == "GET" and request.headers.get("HX-Request") != "true":
            _ask(StartHeader(g.access_token, view.username if view else None, fresh=_fresh_counts()))
    return g.access_token


@web.errorhandler(SignedOut)
def signed_out(error):
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url_for("web.login")
        return response
    return keep_posted_form()


@web.context_processor
def header_counts():
    """`inbox_counts()` for the header of a signed-in page; None when the notifications service cannot say."""
    def inbox_counts():
        if "inbox_counts" not in g:
            view = g.get("session_view")
            try:
                g.inbox_counts = _ask(ReadInboxCounts(_access_token(), view.username if view else None,
                                                      fresh=_fresh_counts()))
            except (ServiceProblem, SignedOut):
                g.inbox_counts = None
        return g.inbox_counts
    return {"inbox_counts": inbox_counts, "category_labels": CATEGORY_LABELS}


def _fresh_counts() -> bool:
    """Whether this page's header counts are asked afresh: on the pages that list alerts, whose counts must agree
    with their lists, and in the answer to an acknowledgement."""
    return request.endpoint in ("web.home", "web.inbox", "web.acknowledge")


def page_number(text: str) -> int:
    """A list's page as asked (1 to 9,999), else the first."""
    number = int(text) if text.isascii() and text.isdigit() else 0
    return number if 0 < number < 10_000 else 1


def _account():
    account = _signed_in()
    if account is None:
        raise SignedOut()
    return account


@web.get("/")
def home():
    """My work: the person's overdue cases and those due within 7 days, and the urgent alerts awaiting
    acknowledgement."""
    account = _signed_in()
    if account is None:
        return redirect(url_for("web.login"))
    work = _ask(ReadMyWork(_access_token()))
    stages = {stage.code: stage for stage in _ask(ReadStageNames(_access_token()))}
    return _page("home.html", account=account, work=work, problems=[problem_message(p) for p in work.problems],
                 notice=_notice(), stages=stages)


def _notice():
    return NOTICES.get(request.args.get("done", ""))


def _flag(name: str) -> bool | None:
    value = request.args.get(name)
    return {"true": True, "false": False}.get(value)


@web.get("/inbox")
def inbox():
    account = _account()
    box = request.args.get("box") if request.args.get("box") in BOXES else "all"
    page = request.args.get("page", "1")
    query = ReadInbox(_access_token(), box=box, urgent=_flag("urgent"),
                      unacknowledged=_flag("unacknowledged") is True, page=page_number(page))
    try:
        listing = _ask(query)
    except ServiceProblem as problem:
        return _page("inbox.html", PROBLEM_STATUS[problem.kind], account=account, listing=None, query=query,
                     error=problem_message(problem))
    return _page("inbox.html", account=account, listing=listing, query=query, notice=_notice())


@web.post("/inbox")
def inbox_filter():
    """The filter form is posted like every form (with its CSRF token) and answered with the filtered page's
    address, which holds only the filter's own values."""
    _account()
    arguments = {"box": request.form.get("box") if request.form.get("box") in BOXES else "all"}
    for name in ("urgent", "unacknowledged"):
        if request.form.get(name) in ("true", "false"):
            arguments[name] = request.form[name]
    return redirect(url_for("web.inbox", **arguments))


@web.post("/inbox/<alert_id>/acknowledgement")
def acknowledge(alert_id: str):
    account = _account()
    version = request.form.get("version", "")
    if not OPAQUE_ID.fullmatch(alert_id):
        abort(404)
    back = "web.home" if request.form.get("back") == "home" else "web.inbox"
    try:
        if not (version.isascii() and version.isdigit()):
            raise ServiceProblem("notifications", "stale", 412)
        alert = _ask(AcknowledgeFromInbox(_access_token(), alert_id, int(version)))
    except ServiceProblem as problem:
        query = ReadInbox(_access_token())
        try:
            listing = _ask(query)
        except ServiceProblem:
            listing = None
        if _from_htmx():
            return _acknowledged(PROBLEM_STATUS[problem.kind], alert_id, _row(listing, alert_id),
                                 alert_error=problem_message(problem))
        return _page("inbox.html", PROBLEM_STATUS[problem.kind], account=account, listing=listing, query=query,
                     error=problem_message(problem))
    if _from_htmx():
        return _acknowledged(200, alert_id, alert, alert_notice=NOTICES["acknowledged"])
    return redirect(url_for(back, done="acknowledged"))


def _from_htmx() -> bool:
    """htmx sends the form without a reload and swaps in the answer; without JavaScript the page is posted."""
    return request.headers.get("HX-Request") == "true"


def _acknowledged(status: int, alert_id: str, alert, **messages):
    """The acknowledged (or refused) alert alone, and the header's count out of band, for htmx to swap in."""
    back = "home" if request.form.get("back") == "home" else "inbox"
    return _page("_acknowledged.html", status, alert=alert, alert_id=alert_id, back=back, **messages)


def _row(listing, alert_id: str):
    rows = [*listing.urgent, *listing.alerts] if listing else []
    return next((row for row in rows if row.id == alert_id), None)


def _day(value) -> str:
    return format_date(value, "dd/MM/yyyy") if value else "—"


def _moment(value) -> str:
    return format_datetime(value, "dd/MM/yyyy HH:mm") if value else "—"


DUE_LABELS = {"registration_deadline": _l("Registration deadline"), "term_ends_on": _l("End of the term"),
              "management_ends_on": _l("End of management"), "aftercare_ends_on": _l("End of aftercare"),
              "methadone_admission_deadline": _l("Methadone admission deadline")}
"""The due dates the legal workflows set (services/cases/workflows/*.yaml `due`), as people name them."""


def due_label(name: str) -> str:
    return str(DUE_LABELS.get(name, name.replace("_", " ")))


PAGE_FILTERS = {"day": _day, "moment": _moment, "due_label": due_label}
"""Dates as people in Vietnam write them, times in Asia/Ho_Chi_Minh (BABEL_DEFAULT_TIMEZONE); due dates named."""
