"""The web sign-in: server-rendered pages (Jinja2, Vietnamese first), a CSRF token on every form, a strict
Content-Security-Policy, the session in an HttpOnly SameSite cookie. Views are thin: one call to the service layer,
then a page or a redirect."""
from __future__ import annotations

import itertools
import secrets
import threading
from collections import OrderedDict

from flask import Blueprint, current_app, g, jsonify, make_response, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge
from flask_babel import format_datetime, get_translations, lazy_gettext as _l

from shared.problems import problem

from services.portal.domain.commands import (BeginEnrolment, ConfirmCode, ConfirmEnrolment, EndSession, KeepForm,
                                             RefreshAccessToken, SignInWithPassword, TakeKeptForm)
from services.portal.domain.errors import SignInRefused, TooManyAttempts
from services.portal.domain.kept_forms import KEPT_FOR
from services.portal.domain.queries import FindKeptPage, ReadSession
from services.portal.service_layer.ports import AWAITING_CODE, AWAITING_ENROLMENT, ENDED, SIGNED_IN

SESSION_COOKIE = "dh_session"
KEPT_COOKIE = "dh_kept"
MAX_KEPT_FORM_BYTES = 1024 * 1024
"""A posted form larger than this (an upload) is not kept: it is not read at all once its sign-in has ended."""
LANGUAGE_COOKIE = "dh_lang"
LANGUAGES = ("vi", "en")
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
"""connect-src 'self': htmx sends forms to the portal itself (the inbox's acknowledgement without a reload)."""
REFERRER_POLICY = "same-origin"
"""The Referer goes to the portal itself and nowhere else: over https flask-wtf refuses a form without a same-origin
Referer (WTF_CSRF_SSL_STRICT), and no portal URL carries personal data (terms are posted, case ids opaque)."""
MESSAGES = {
    "wrong_credentials": _l("Wrong user name or password."),
    "locked": _l("Account temporarily locked after too many failed sign-ins. Try again after %(time)s."),
    "disabled": _l("This account is disabled. Ask your unit's administrator."),
    "wrong_code": _l("Wrong code. Enter the 6 digits your authenticator app shows now."),
    "expired_code": _l("This code has expired. Enter the code your authenticator app shows now."),
    "replayed_code": _l("This code has already been used. Wait for the next code and enter it."),
    "session_expired": _l("Your sign-in has expired. Please sign in again."),
    "rate_limited": _l("Too many attempts. Try again in %(seconds)s seconds."),
    "form_expired": _l("This form has expired or was not sent from this page. Please try again."),
    "signed_out": _l("You have signed out."),
    "form_kept": _l("Your sign-in has expired. What you typed is kept: sign in again to find it filled in."),
}
ROLE_LABELS = {
    "caseworker": _l("Social-welfare caseworker"), "police_liaison": _l("Police liaison officer"),
    "health_worker": _l("Health worker"), "plan_coordinator": _l("Plan coordinator"),
    "unit_reporter": _l("Unit reporter"), "auditor": _l("Auditor"), "admin": _l("Administrator"),
    "system": _l("Agency system"),
}
NEXT_PAGE = {AWAITING_CODE: "web.code", AWAITING_ENROLMENT: "web.enrol", SIGNED_IN: "web.home"}

web = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets")


def _ask(message):
    return current_app.extensions["service_layer"].handle(message, None)


TRANSLATED: dict[str, dict] = {}
"""Each language's strings as translated so far in this process. A page translates the same labels in many forms,
and each translation looks up the request's locale and catalogue; the catalogues do not change while a process
runs."""


def _translated() -> dict:
    if "translated" not in g:
        g.translated = TRANSLATED.setdefault(locale(), {})
    return g.translated


def labelled(labels: dict, code: str, fallback: str) -> str:
    """`labels[code]` (a lazy string of a module's table) in the page's language, or `fallback`."""
    translated, key = _translated(), (id(labels), code)
    if key not in translated:
        translated[key] = str(labels.get(code, fallback))
    return translated[key]


def install_page_gettext(app) -> None:
    """The templates' `_()` through the same memory (flask-babel's own looks the catalogue up at every call)."""
    def gettext(string: str) -> str:
        translated, key = _translated(), ("gettext", string)
        if key not in translated:
            translated[key] = get_translations().ugettext(string)
        return translated[key]

    app.jinja_env.install_gettext_callables(
        gettext=gettext, ngettext=lambda s, p, n: get_translations().ungettext(s, p, n), newstyle=True,
        pgettext=lambda c, s: get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: get_translations().unpgettext(c, s, p, n))


CONTROLS_KEPT = 256
"""Empty forms' controls kept drawn: a form per workflow step and language, and a few more."""


def install_form_controls(app) -> None:
    """The templates' `controls_html`: an action form's controls (`_form_controls.html` `control`). The same form
    is drawn the same way on every case's page (only its hidden fields differ), so an empty form's controls are
    drawn once a language and kept; a form filled in again is drawn each time."""
    kept: OrderedDict = OrderedDict()
    lock = threading.Lock()

    def controls_html(fid: str, controls, values: dict, label, choice, names: dict) -> Markup:
        def drawn() -> Markup:
            control = app.jinja_env.get_template("_form_controls.html").module.control
            return Markup("".join(control(c, fid, values, label, choice, names) for c in controls))
        if values:
            return drawn()
        key = (locale(), fid, tuple(controls), label, choice, tuple(sorted(names.items())))
        with lock:
            if key in kept:
                kept.move_to_end(key)
                return kept[key]
        html = drawn()
        with lock:
            kept[key] = html
            while len(kept) > CONTROLS_KEPT:
                kept.popitem(last=False)
        return html

    app.jinja_env.globals["controls_html"] = controls_html


def form_keys():
    """A page's source of Idempotency-Keys, one a form: a random prefix a page, numbered per form (a uuid4 a form
    was a tenth of the case page's rendering)."""
    prefix, numbers = secrets.token_hex(12), itertools.count(1)
    return lambda: f"{prefix}{next(numbers):04d}"


def _token() -> str:
    return request.cookies.get(SESSION_COOKIE, "")


def message(reason: str, until=None, seconds=None) -> str:
    time = format_datetime(until, "HH:mm dd/MM/yyyy") if until else ""
    return str(MESSAGES[reason]) % {"time": time, "seconds": seconds}


@web.context_processor
def page_context():
    return {"language": locale(), "role_labels": ROLE_LABELS, "kept_form": kept_form}


@web.before_request
def protect_forms():
    """Every form posted to the portal carries the CSRF token of the page it came from (flask-wtf)."""
    if request.method == "POST":
        current_app.extensions["csrf"].protect()


@web.after_request
def security_headers(response):
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = REFERRER_POLICY
    response.headers["X-Frame-Options"] = "DENY"
    if not request.path.startswith("/assets/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def _with_session(response, token: str | None):
    settings = current_app.extensions["portal_settings"]
    if token:
        response.set_cookie(SESSION_COOKIE, token, httponly=True, secure=settings.secure_cookies, samesite="Lax",
                            path="/")
    else:
        response.delete_cookie(SESSION_COOKIE, httponly=True, secure=settings.secure_cookies, samesite="Lax",
                               path="/")
    return response


def _page(template: str, status: int = 200, **context):
    return make_response(render_template(template, **context), status)


def _refused(refusal: SignInRefused, template: str = "login.html"):
    """A refusal on the page it happened on; one that ends the attempt (lock, expiry) goes back to the sign-in."""
    ends = refusal.reason in ("locked", "session_expired", "disabled")
    response = _page("login.html" if ends else template, 401, error=message(refusal.reason, refusal.until))
    return _with_session(response, None) if ends else response


def _too_many(error: TooManyAttempts, template: str):
    response = _page(template, 429, error=message("rate_limited", seconds=error.retry_after))
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def _signed_in():
    """The signed-in person's session, or None; a session that has just ended names its account in
    `g.ended_session_owner`, for whom a form posted with it is kept. Read once a request."""
    if "session_view" in g:
        return g.session_view
    view = _ask(ReadSession(_token()))
    if view is not None and view.stage == ENDED:
        g.ended_session_owner = view.username
    g.session_view = view if view is not None and view.stage == SIGNED_IN else None
    return g.session_view


FORM_KEEPING_PAGES = {"web.case_page", "web.methadone_page", "web.cases"}
"""The pages that fill a kept form in again (they read `kept_form()`): a form of any other page is not kept, since
it would never come back."""


def _form_keeping_page(path: str) -> bool:
    """Whether `path` is a page of the portal that fills a kept form in again, so a kept form never sends anyone
    elsewhere nor is kept for nothing."""
    if not path.startswith("/") or path.startswith("//"):
        return False
    try:
        endpoint, _arguments = current_app.url_map.bind("localhost").match(path, method="GET")
    except Exception:
        return False
    return endpoint in FORM_KEEPING_PAGES


def keep_posted_form():
    """To the sign-in. A form posted after its sign-in ended is kept (sealed, server-side, for 30 minutes, once)
    under a random handle the browser holds in an HttpOnly cookie, when its page (the `form_page` it names, or the
    address it was posted to) fills it in again. Credentials and the CSRF token are dropped by the service layer."""
    owner = g.get("ended_session_owner")
    if request.method != "POST" or not owner or (request.content_length or 0) > MAX_KEPT_FORM_BYTES:
        return redirect(url_for("web.login"))
    try:
        named = request.form.get("form_page", "")
    except RequestEntityTooLarge:
        return redirect(url_for("web.login"))
    page = named if _form_keeping_page(named) else request.path if _form_keeping_page(request.path) else None
    if page is None or not request.form:
        return redirect(url_for("web.login"))
    response = redirect(url_for("web.login", kept=1))
    handle = secrets.token_urlsafe(32)
    _ask(KeepForm(handle, page, tuple((name, tuple(request.form.getlist(name))) for name in request.form), owner))
    response.set_cookie(KEPT_COOKIE, handle, max_age=int(KEPT_FOR.total_seconds()), httponly=True,
                        secure=current_app.extensions["portal_settings"].secure_cookies, samesite="Lax", path="/")
    return response


def _landing(session_token: str) -> str:
    """After sign-in (the new session's token): the page of a form this account's ended sign-in kept, else My
    work."""
    return _ask(FindKeptPage(request.cookies.get(KEPT_COOKIE, ""), session_token)) or url_for("web.home")


def kept_form() -> dict[str, list[str]]:
    """The fields of the form kept for this page, given back once (the cookie goes with the answer)."""
    if "kept_form" not in g:
        handle = request.cookies.get(KEPT_COOKIE, "")
        g.kept_form = (_ask(TakeKeptForm(handle, request.path, _token())) if handle and request.method == "GET"
                       else None) or {}
        g.kept_form_taken = bool(g.kept_form)
    return g.kept_form


@web.after_request
def forget_kept_form(response):
    if g.get("kept_form_taken"):
        response.delete_cookie(KEPT_COOKIE, httponly=True,
                               secure=current_app.extensions["portal_settings"].secure_cookies, samesite="Lax",
                               path="/")
    return response


@web.get("/login")
def login():
    if _signed_in() is not None:
        return redirect(url_for("web.home"))
    reason = "signed_out" if request.args.get("signed_out") else "form_kept" if request.args.get("kept") else None
    return _page("login.html", notice=message(reason) if reason else None)


@web.post("/login")
def login_submit():
    try:
        step = _ask(SignInWithPassword(request.form.get("username", ""), request.form.get("password", ""),
                                       request.remote_addr or ""))
    except SignInRefused as refusal:
        return _refused(refusal)
    except TooManyAttempts as error:
        return _too_many(error, "login.html")
    landing = _landing(step.session_token) if step.next == SIGNED_IN else url_for(NEXT_PAGE[step.next])
    return _with_session(redirect(landing), step.session_token)


@web.get("/login/code")
def code():
    view = _ask(ReadSession(_token()))
    if view is None or view.stage != AWAITING_CODE:
        return redirect(url_for("web.login"))
    return _page("code.html")


@web.post("/login/code")
def code_submit():
    try:
        step = _ask(ConfirmCode(_token(), request.form.get("code", ""), request.remote_addr or ""))
    except SignInRefused as refusal:
        return _refused(refusal, "code.html")
    except TooManyAttempts as error:
        return _too_many(error, "code.html")
    return _with_session(redirect(_landing(step.session_token)), step.session_token)


def _enrolment_page(status: int = 200, **context):
    try:
        enrolment = _ask(BeginEnrolment(_token()))
    except SignInRefused:
        return redirect(url_for("web.login"))
    return _page("enrol.html", status, enrolment=enrolment, **context)


@web.get("/enrol")
def enrol():
    return _enrolment_page()


@web.post("/enrol")
def enrol_submit():
    try:
        step = _ask(ConfirmEnrolment(_token(), request.form.get("code", ""), request.remote_addr or ""))
    except SignInRefused as refusal:
        if refusal.reason in ("wrong_code", "expired_code", "replayed_code"):
            return _enrolment_page(401, error=message(refusal.reason))
        return _refused(refusal)
    except TooManyAttempts as error:
        response = _enrolment_page(429, error=message("rate_limited", seconds=error.retry_after))
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    return _with_session(redirect(_landing(step.session_token)), step.session_token)


@web.post("/logout")
def logout():
    _ask(EndSession(_token()))
    return _with_session(redirect(url_for("web.login", signed_out=1)), None)


@web.post("/session/token")
def session_token():
    """A fresh 5-minute access token for the signed-in session (the refresh of the web sign-in): refused once the
    session ended, idled out or its account was disabled."""
    try:
        token = _ask(RefreshAccessToken(_token()))
    except SignInRefused:
        return problem(401, "Unauthorized", "no signed-in session: sign in again")
    response = jsonify(token)
    response.headers["Cache-Control"] = "no-store"
    return response


@web.get("/language/<any(vi, en):code>")
def language(code):
    response = redirect(url_for("web.home"))
    settings = current_app.extensions["portal_settings"]
    response.set_cookie(LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, httponly=True,
                        secure=settings.secure_cookies, samesite="Lax", path="/")
    return response


def form_expired(error):
    """A missing or forged CSRF token: nothing is done, the sign-in page says why."""
    return _page("login.html", 400, error=message("form_expired"))


def locale() -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in LANGUAGES else "vi"
