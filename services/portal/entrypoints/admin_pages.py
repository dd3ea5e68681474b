"""The admin pages: accounts, service clients, the unit directory and the routing rules. Every view asks the same
service-layer handlers as the admin API, as the signed-in person: a caseworker is refused by the handlers' own
check. No address names a person: an account is chosen by a posted form, and every change carries the version
the page showed (If-Match), so a change made meanwhile is shown, never overwritten."""
from __future__ import annotations

from flask import current_app, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from shared.auth import Principal
from shared.errors import ConcurrencyConflict, ServiceError

from services.portal.domain.admin_pages import sample_data
from services.portal.domain.commands import (CreateAccount, CreateClient, ResetPassword, ResetSecondFactor,
                                             SetAccountStatus, SetClientStatus)
from services.portal.domain.model import STATUSES
from services.portal.domain.pages import ServiceProblem
from services.portal.domain.policy import CLIENT_ROLES, HUMAN_ROLES
from services.portal.domain.queries import (DryRunRouting, ListAccounts, ListClients, ReadAccount,
                                            ReadRoutingRules, ReadUnitDirectory, SignInLog)
from services.portal.entrypoints.pages import (PROBLEM_STATUS, PROBLEMS, _access_token, _account, page_number,
                                               problem_message)
from services.portal.entrypoints.web import _page, web

FIELD_LABELS = {"username": _l("User name"), "full_name": _l("Full name"), "unit": _l("Unit"),
                "roles": _l("Roles"), "areas": _l("Areas"), "password": _l("Password"), "reason": _l("Reason"),
                "status": _l("Status"), "client_id": _l("Client id"), "name": _l("Name")}
FIELD_HINTS = {"username": _l("3 to 64 lower-case letters, digits, '.', '_' or '-'."),
               "client_id": _l("3 to 64 lower-case letters, digits, '.', '_' or '-'."),
               "full_name": _l("2 to 120 printable characters."), "name": _l("2 to 120 printable characters."),
               "unit": _l("a unit code: letters, digits, '.', '_' or '-', at most 64."),
               "reason": _l("3 to 500 characters.")}
"""The handlers' fixed reasons, said in the page's language; a reason naming what was typed is shown as given."""
REFUSALS = {
    403: PROBLEMS["not_permitted"],
    404: _l("This account or service client does not exist, or is outside your areas."),
    409: _l("Not saved: %(field)s: already taken."),
    412: _l("Changed by someone else since the page was shown. Here is the fresh page: look at it, then retry."),
    422: _l("Not saved: %(field)s: %(why)s"),
}
NOTICES = {"created": _l("Account created."), "disabled": _l("Account disabled: its sessions have ended."),
           "active": _l("Account enabled."), "password": _l("Password reset: its sessions have ended."),
           "second_factor": _l("Second factor reset: the account enrols a new authenticator at its next sign-in."),
           "client_disabled": _l("Service client disabled."), "client_active": _l("Service client enabled.")}
LOST_SECRET = _l("If its secret was not shown to you (the form was sent twice), disable it and create another.")
STATUS_LABELS = {"active": _l("Active"), "disabled": _l("Disabled")}
SECOND_FACTOR_LABELS = {"enrolled": _l("Enrolled"), "required": _l("To enrol at the next sign-in"),
                        "not_required": _l("Not required")}
MAX_FIELD = 500


def _codes_shown(values) -> str:
    return ", ".join(values or ()) or "—"


ADMIN_FILTERS = {"codes": _codes_shown}
"""Lists of codes (areas, channels, unit kinds) as the admin pages show them."""


class Refused(Exception):
    """A handler's refusal as the page shows it: the HTTP status and the message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _refusal(error: Exception) -> Refused:
    if isinstance(error, ConcurrencyConflict):
        return Refused(412, str(REFUSALS[412]))
    status = error.status if error.status in REFUSALS else 422
    field, reasons = next(iter(error.errors.items()), ("", [error.detail]))
    label = FIELD_LABELS.get(field, field or "—")
    why = FIELD_HINTS.get(field, (reasons or [error.detail])[0])
    return Refused(status, str(REFUSALS[status]) % {"field": label, "why": why})


def _ask_as(principal: Principal, message):
    """The handler's answer as the signed-in person; its refusal becomes `Refused`."""
    try:
        return current_app.extensions["service_layer"].handle(message, principal)
    except (ServiceError, ConcurrencyConflict) as error:
        raise _refusal(error) from None


def _signed_in_admin():
    """The signed-in person's account and principal (their roles and areas as their session holds them)."""
    account = _account()
    return account, Principal(account.username, account.roles, account.unit, account.areas)


def _text(name: str) -> str:
    return request.form.get(name, "").strip()[:MAX_FIELD]


def _codes(name: str) -> tuple[str, ...]:
    """Codes typed separated by commas or spaces."""
    return tuple(code for code in _text(name).replace(",", " ").split() if code)


def _version() -> int:
    """The version the page showed; a form without one is stale (-1 matches no version)."""
    value = request.form.get("version", "")
    return int(value) if (value.isascii() and value.isdigit()) else -1


def _refused_page(account, refused: Refused, template: str = "admin_refused.html", **context):
    return _page(template, refused.status, account=account, error=refused.message, **context)


@web.get("/admin")
def admin_home():
    return redirect(url_for("web.admin_accounts"))


def _accounts_page(account, principal, status: int = 200, form=None, **context):
    unit = request.args.get("unit", "").strip()[:64] or None
    try:
        listing = _ask_as(principal, ListAccounts(unit=unit))
    except Refused as refused:
        return _refused_page(account, refused)
    return _page("admin_accounts.html", status, account=account, accounts=listing, unit=unit or "",
                 form=form or {}, roles=HUMAN_ROLES, status_labels=STATUS_LABELS,
                 second_factor_labels=SECOND_FACTOR_LABELS, **context)


@web.get("/admin/accounts")
def admin_accounts():
    account, principal = _signed_in_admin()
    return _accounts_page(account, principal, notice=NOTICES.get(request.args.get("done", "")))


@web.post("/admin/accounts/filter")
def admin_accounts_filter():
    """The unit filter is posted like every form and answered with the address of the filtered list."""
    _signed_in_admin()
    unit = _text("unit")[:64]
    return redirect(url_for("web.admin_accounts", unit=unit) if unit else url_for("web.admin_accounts"))


@web.post("/admin/accounts")
def admin_create_account():
    account, principal = _signed_in_admin()
    form = {"username": _text("username"), "full_name": _text("full_name"), "unit": _text("unit"),
            "roles": tuple(request.form.getlist("roles")), "areas": _text("areas")}
    try:
        created = _ask_as(principal, CreateAccount(username=form["username"], full_name=form["full_name"],
                                                   unit=form["unit"] or None, roles=form["roles"],
                                                   areas=_codes("areas"), password=request.form.get("password", "")))
    except Refused as refused:
        return _accounts_page(account, principal, refused.status, form=form, error=refused.message)
    return _account_page(account, principal, created.username, notice=NOTICES["created"])


def _account_page(account, principal, username: str, status: int = 200, **context):
    try:
        shown = _ask_as(principal, ReadAccount(username))
        sign_ins = _ask_as(principal, SignInLog(username))
    except Refused as refused:
        return _refused_page(account, refused)
    return _page("admin_account.html", status, account=account, shown=shown, sign_ins=sign_ins,
                 status_labels=STATUS_LABELS, second_factor_labels=SECOND_FACTOR_LABELS, **context)


@web.post("/admin/account")
def admin_account():
    """One account, its forms and its sign-in log: chosen by a posted user name, so no address names it."""
    account, principal = _signed_in_admin()
    return _account_page(account, principal, _text("username"))


def _account_change(command, notice: str):
    account, principal = _signed_in_admin()
    try:
        _ask_as(principal, command)
    except Refused as refused:
        return _account_page(account, principal, command.username, refused.status, error=refused.message)
    return _account_page(account, principal, command.username, notice=NOTICES[notice])


@web.post("/admin/account/status")
def admin_account_status():
    status = request.form.get("status", "")
    command = SetAccountStatus(_text("username"), status, _text("reason"), _version())
    return _account_change(command, status if status in STATUSES else "active")


@web.post("/admin/account/password")
def admin_account_password():
    return _account_change(ResetPassword(_text("username"), request.form.get("password", ""), _version()),
                           "password")


@web.post("/admin/account/second-factor")
def admin_account_second_factor():
    return _account_change(ResetSecondFactor(_text("username"), _version()), "second_factor")


def _clients_page(account, principal, status: int = 200, form=None, **context):
    try:
        listing = _ask_as(principal, ListClients())
    except Refused as refused:
        return _refused_page(account, refused)
    return _page("admin_clients.html", status, account=account, clients=listing, form=form or {},
                 roles=CLIENT_ROLES, status_labels=STATUS_LABELS, **context)


@web.get("/admin/clients")
def admin_clients():
    account, principal = _signed_in_admin()
    return _clients_page(account, principal)


@web.post("/admin/clients")
def admin_create_client():
    """The secret is on this answer only (never in an address, never kept): posting the form again is refused as
    a taken client id, so a reload neither shows it again nor makes a second client."""
    account, principal = _signed_in_admin()
    form = {"client_id": _text("client_id"), "name": _text("name"), "unit": _text("unit"),
            "roles": tuple(request.form.getlist("roles")), "areas": _text("areas")}
    try:
        created = _ask_as(principal, CreateClient(form["client_id"], form["name"], form["unit"] or None,
                                                  form["roles"], _codes("areas")))
    except Refused as refused:
        message = f"{refused.message} {LOST_SECRET}" if refused.status == 409 else refused.message
        return _clients_page(account, principal, refused.status, form=form, error=message)
    return _clients_page(account, principal, 201, created=created)


@web.post("/admin/clients/status")
def admin_client_status():
    account, principal = _signed_in_admin()
    status = request.form.get("status", "")
    try:
        _ask_as(principal, SetClientStatus(_text("client_id"), status, _text("reason"), _version()))
    except Refused as refused:
        return _clients_page(account, principal, refused.status, error=refused.message)
    return _clients_page(account, principal, notice=NOTICES.get(f"client_{status}"))


def _service_page(account, principal, template: str, query, **context):
    """A page read from another service: its refusal or silence is a message on the page."""
    try:
        answer = _ask_as(principal, query)
    except Refused as refused:
        return _refused_page(account, refused)
    except ServiceProblem as problem:
        return _page(template, PROBLEM_STATUS[problem.kind], account=account, answer=None,
                     error=problem_message(problem), **context)
    return _page(template, account=account, answer=answer, **context)


@web.get("/admin/units")
def admin_units():
    account, principal = _signed_in_admin()
    page = request.args.get("page", "1")
    number = page_number(page)
    return _service_page(account, principal, "admin_units.html", ReadUnitDirectory(_access_token(), number))


def _rules_page(account, principal, status: int = 200, **context):
    try:
        rules = _ask_as(principal, ReadRoutingRules(_access_token()))
    except Refused as refused:
        return _refused_page(account, refused)
    except ServiceProblem as problem:
        return _page("admin_rules.html", PROBLEM_STATUS[problem.kind], account=account, rules=None,
                     error=problem_message(problem), form={}, dry_run=None)
    return _page("admin_rules.html", status, account=account, rules=rules, **{"form": {}, "dry_run": None,
                                                                              **context})


@web.get("/admin/rules")
def admin_rules():
    account, principal = _signed_in_admin()
    return _rules_page(account, principal)


@web.post("/admin/rules/dry-run")
def admin_rules_dry_run():
    account, principal = _signed_in_admin()
    form = {"rule_id": _text("rule_id"), "event_type": _text("event_type"), "area_code": _text("area_code"),
            "data": request.form.get("data", "")[:5000]}
    query = DryRunRouting(_access_token(), form["rule_id"], form["event_type"], form["area_code"],
                          sample_data(form["data"]))
    try:
        result = _ask_as(principal, query)
    except Refused as refused:
        return _refused_page(account, refused)
    except ServiceProblem as problem:
        return _rules_page(account, principal, PROBLEM_STATUS[problem.kind], form=form,
                           error=problem_message(problem))
    return _rules_page(account, principal, form=form, dry_run=result)
