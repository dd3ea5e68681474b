"""The register pages: a commune's register uploaded for the cases API to import (its report shown row by row,
refused rows first), and a case list exported as a spreadsheet download. The export's purpose and terms are
posted, never in an address; the cases service decides what the person may import and which columns they get."""
from __future__ import annotations

import os
import uuid

from flask import Response, current_app, request, stream_with_context
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge

from shared.settings import _number

from services.portal.domain.commands import ImportRegisterFromPortal
from services.portal.domain.pages import INVALID, ServiceProblem
from services.portal.domain.queries import ExportCaseList
from services.portal.domain.register_pages import (EXPORT_PURPOSES, EXPORT_TERMS, REGISTER_FIELD,
                                                   REGISTER_MAX_BYTES, REGISTER_SUFFIXES)
from services.portal.entrypoints.case_pages import MAX_TERM_LENGTH, _stages
from services.portal.entrypoints.pages import PROBLEM_STATUS, _access_token, _account, problem_message
from services.portal.entrypoints.web import _ask, _page, web

MAX_BYTES = "REGISTER_MAX_BYTES"
FORM_ALLOWANCE = 64 * 1024
"""The form's own fields and multipart framing allowed beyond the register's limit."""
PURPOSE_LABELS = {"periodic_report": _l("Periodic report"), "case_handover": _l("Handing cases over"),
                  "court_dossier": _l("Court dossier"), "inspection": _l("Inspection"),
                  "person_request": _l("The person's own request")}
REGISTER_COLUMNS = {"register_ref": _l("Register number"), "full_name": _l("Full name"),
                    "birth_date": _l("Date of birth"), "sex": _l("Sex"), "national_id": _l("ID number"),
                    "phone": _l("Phone"), "address": _l("Address"), "commune_code": _l("Commune code"),
                    "residence_code": _l("Commune code"), "opened_on": _l("Date the case was opened"),
                    "stage": _l("Stage"), "_row": _l("The row"), "person": _l("The person")}
OUTCOMES = {"opened": _l("Case opened"), "already_imported": _l("Already imported"), "refused": _l("Refused"),
            "not_imported": _l("Not imported (another row was refused)")}
NOT_A_REGISTER = _l("This file is not a register: choose a CSV or XLSX file.")
TOO_LARGE = _l("This file is larger than %(size)s MB: split the register and upload each part.")
EXPORT_TERM_LABELS = {"purpose": _l("Purpose"), "commune_code": _l("Commune code"), "stage": _l("Stage"),
                      "filters": _l("Filters")}


def register_column(field: str) -> str:
    """A refused field by the register's Vietnamese column name (the API prefixes a person's fields)."""
    name = field.removeprefix("person.")
    return str(REGISTER_COLUMNS.get(name, name))


def outcome_label(outcome: str) -> str:
    return str(OUTCOMES.get(outcome, outcome))


REGISTER_FILTERS = {"register_column": register_column, "outcome_label": outcome_label}


def _limit() -> int:
    return current_app.config.get(MAX_BYTES, REGISTER_MAX_BYTES)


def _megabytes() -> str:
    return f"{_limit() / (1024 * 1024):g}"


def take_large_upload():
    """Let a register up to its limit in (the portal's other forms stay within 2 MB), before the CSRF check reads
    the form; a larger one is answered with the page's message, its bytes unread."""
    if request.method != "POST" or request.path != "/cases/import":
        return None
    if request.content_length is not None and request.content_length > _limit() + FORM_ALLOWANCE:
        return _import_page(413, error=str(TOO_LARGE) % {"size": _megabytes()})
    request.max_content_length = _limit() + FORM_ALLOWANCE
    return None


def install_register_pages(app, env=None) -> None:
    """REGISTER_MAX_BYTES (5 MB, as the cases API's): the largest register the upload form takes."""
    env = os.environ if env is None else env
    app.config[MAX_BYTES] = _number(env, MAX_BYTES, REGISTER_MAX_BYTES, minimum=1)
    app.before_request(take_large_upload)
    app.jinja_env.filters.update(REGISTER_FILTERS)


def _import_page(status: int = 200, **context):
    return _page("register_import.html", status, account=_account(), max_mb=_megabytes(),
                 idempotency_key=uuid.uuid4().hex, **context)


@web.get("/cases/import")
def register_import():
    return _import_page()


def _register_problem(problem: ServiceProblem) -> str:
    if problem.kind == INVALID and problem.field == REGISTER_FIELD:
        if problem.status == 413:
            return str(TOO_LARGE) % {"size": _megabytes()}
        return f"{NOT_A_REGISTER} ({problem.why})" if problem.why else str(NOT_A_REGISTER)
    return problem_message(problem)


@web.post("/cases/import")
def register_import_submit():
    _account()
    try:
        upload = request.files.get("register")
        content = upload.read(_limit() + 1) if upload else b""
    except RequestEntityTooLarge:
        return _import_page(413, error=str(TOO_LARGE) % {"size": _megabytes()})
    if not upload or not upload.filename or not content:
        return _import_page(422, error=str(_l("Choose the register's file (CSV or XLSX).")))
    if len(content) > _limit():
        return _import_page(413, error=str(TOO_LARGE) % {"size": _megabytes()})
    if not upload.filename.lower().endswith(REGISTER_SUFFIXES):
        return _import_page(422, error=str(NOT_A_REGISTER))
    key = request.form.get("idempotency_key", "")[:64] or uuid.uuid4().hex
    try:
        report = _ask(ImportRegisterFromPortal(_access_token(), upload.filename, content, key))
    except ServiceProblem as problem:
        return _import_page(PROBLEM_STATUS[problem.kind] if problem.status != 413 else 413,
                            error=_register_problem(problem))
    return _import_page(report=report)


def _export_page(status: int = 200, terms: dict | None = None, **context):
    return _page("register_export.html", status, account=_account(), purposes=PURPOSE_LABELS,
                 stages=_stages(_access_token()), terms=terms or {}, **context)


@web.get("/cases/export")
def register_export():
    return _export_page()


def _export_problem(problem: ServiceProblem) -> str:
    if problem.kind == INVALID and problem.field in EXPORT_TERM_LABELS:
        problem = ServiceProblem(problem.service, INVALID, problem.status, str(EXPORT_TERM_LABELS[problem.field]),
                                 problem.why)
    return problem_message(problem)


@web.post("/cases/export")
def register_export_submit():
    _account()
    terms = {name: request.form.get(name, "").strip()[:MAX_TERM_LENGTH] for name in ("purpose", *EXPORT_TERMS)}
    if terms["purpose"] not in EXPORT_PURPOSES:
        return _export_page(422, terms, error=str(_l("Choose why the list leaves the system.")))
    query = ExportCaseList(_access_token(), terms["purpose"],
                           tuple((name, terms[name]) for name in EXPORT_TERMS if terms[name]))
    try:
        download = _ask(query)
    except ServiceProblem as problem:
        return _export_page(PROBLEM_STATUS[problem.kind], terms, error=_export_problem(problem))
    return Response(stream_with_context(download.chunks), content_type=download.content_type,
                    headers={"Content-Disposition": f'attachment; filename="{download.filename}"'})
