"""Security keys and passkeys (WebAuthn) in the web sign-in: the person's keys page (list, remove; adding is the
script's), and the JSON the script (static/webauthn.js) exchanges with the portal for `navigator.credentials`.

The JSON endpoints carry the page's CSRF token in the X-CSRFToken header and answer every refusal as
application/problem+json naming its field; the key's button appears only where the script and WebAuthn run, so
without them the code form is the way in."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

from shared.endpoints import etag
from shared.errors import ConcurrencyConflict, InvalidInput, NotAuthorised, NotFound, PreconditionFailed
from shared.problems import problem
from shared.request_checks import check_input

from services.portal.domain.errors import SignInRefused, TooManyAttempts
from services.portal.domain.commands import (BeginKeyRegistration, BeginKeySignIn, ConfirmKey, RegisterSecurityKey,
                                             RemoveSecurityKey)
from services.portal.domain.queries import ListSecurityKeys, ReadSecondFactors
from services.portal.entrypoints.web import (_ask, _landing, _page, _signed_in, _token, _with_session, message,
                                            security_headers, web)

SIGN_IN_AGAIN = _l("To add a security key, sign in again: a key can be added only within 5 minutes of signing in.")
NOTICES = {"added": _l("Security key added."), "removed": _l("Security key removed."),
           "stale": _l("Your keys changed on another page: here they are now."),
           "unversioned": _l("This form did not say which version of your keys it was sent from: here they are "
                             "now, try again.")}
ENDING = ("locked", "session_expired", "disabled")

keys_api = Blueprint("keys_api", __name__)


@keys_api.before_request
def csrf_in_header_and_a_sound_body():
    """The page's CSRF token in X-CSRFToken (flask-wtf reads the header): without it, nothing is done. Then the
    body is checked as every body under /api/ is (too deep to parse, NUL, operator-looking keys)."""
    try:
        current_app.extensions["csrf"].protect()
    except CSRFError as error:
        return problem(400, "Bad request", "the page's CSRF token is missing or wrong: reload the page",
                       errors={"X-CSRFToken": [error.description]})
    return check_input()


keys_api.after_request(security_headers)


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput.field("credential", "the body must be a JSON object")
    return body


def _refusal(refusal: SignInRefused):
    """401 with the message people read; `next` when the attempt is over (locked, expired, disabled)."""
    ends = refusal.reason in ENDING
    extra = {"reason": refusal.reason, "message": message(refusal.reason, refusal.until)}
    if ends:
        extra["next"] = url_for("web.login")
    response = problem(401, "Unauthorized", f"sign-in refused: {refusal.reason}", **extra)
    return _with_session(response, None) if ends else response


def _too_many(error: TooManyAttempts):
    response = problem(429, "Too many requests", error.detail,
                       message=message("rate_limited", seconds=error.retry_after))
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def _not_signed_in():
    return problem(401, "Unauthorized", "no signed-in session: sign in again", next=url_for("web.login"))


def _sign_in_again(refusal: NotAuthorised):
    return problem(403, "Forbidden", refusal.detail, errors=refusal.errors, message=str(SIGN_IN_AGAIN))


@keys_api.post("/account/keys/options")
def registration_options():
    if _signed_in() is None:
        return _not_signed_in()
    try:
        return jsonify(_ask(BeginKeyRegistration(_token(), request.remote_addr or "")))
    except SignInRefused:
        return _not_signed_in()
    except NotAuthorised as refusal:
        return _sign_in_again(refusal)
    except TooManyAttempts as error:
        return _too_many(error)


@keys_api.post("/account/keys")
def register_key():
    if _signed_in() is None:
        return _not_signed_in()
    body = _body()
    try:
        added = _ask(RegisterSecurityKey(_token(), body.get("name"), body.get("credential"),
                                       request.remote_addr or ""))
    except SignInRefused:
        return _not_signed_in()
    except NotAuthorised as refusal:
        return _sign_in_again(refusal)
    key = added.key
    response = jsonify({"credential_id": key.credential_id, "name": key.name, "added_at": key.added_at.isoformat(),
                        "next": url_for("web.security_keys", done="added")})
    response.status_code = 201
    response.headers.update(etag(added.version))
    return response


@keys_api.post("/login/key/options")
def sign_in_options():
    try:
        return jsonify(_ask(BeginKeySignIn(_token(), request.remote_addr or "")))
    except SignInRefused as refusal:
        return _refusal(refusal)
    except TooManyAttempts as error:
        return _too_many(error)


@keys_api.post("/login/key")
def sign_in_with_key():
    body = _body()
    try:
        step = _ask(ConfirmKey(_token(), body.get("credential"), request.remote_addr or ""))
    except SignInRefused as refusal:
        return _refusal(refusal)
    except TooManyAttempts as error:
        return _too_many(error)
    return _with_session(jsonify({"next": _landing(step.session_token)}), step.session_token)


def second_factors() -> tuple[bool, bool]:
    """For the code page: (a code, a security key) the session awaiting its second step may use."""
    try:
        return _ask(ReadSecondFactors(_token()))
    except SignInRefused:
        return True, False


def _keys_page(status: int = 200, **context):
    account = _signed_in()
    if account is None:
        return redirect(url_for("web.login"))
    listing = _ask(ListSecurityKeys(_token()))
    return _page("security_keys.html", status, account=account, listing=listing, sign_in_again=SIGN_IN_AGAIN,
                 **context)


@web.get("/account/keys")
def security_keys():
    return _keys_page(notice=NOTICES.get(request.args.get("done", "")))


@web.post("/account/keys/remove")
def remove_security_key():
    if _signed_in() is None:
        return redirect(url_for("web.login"))
    version = request.form.get("version", "")
    try:
        _ask(RemoveSecurityKey(_token(), request.form.get("credential_id", ""),
                               int(version) if version.isdigit() else None, request.remote_addr or ""))
    except (PreconditionFailed, NotFound, ConcurrencyConflict):
        return _keys_page(409, notice=NOTICES["stale"])
    except InvalidInput:
        return _keys_page(422, notice=NOTICES["unversioned"])
    return redirect(url_for("web.security_keys", done="removed"))


def install_security_keys(app) -> None:
    app.register_blueprint(keys_api)
    app.jinja_env.globals["second_factors"] = second_factors
