"""Uploading a commune's register (CSV or XLSX) to import its caseload: the command line's import, over HTTP.

The API takes JSON bodies only (shared/request_checks.py reads every body before the view and refuses any other
kind, within the app's 2 MB); this one route takes a multipart upload up to REGISTER_MAX_BYTES. So the upload is
read before those checks (`take_upload`), and put back once they have passed (`restore_upload`), for the views'
parsers and the Idempotency-Key's fingerprint of the whole request.
"""
from __future__ import annotations

import os

from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import Schema, fields
from werkzeug.exceptions import RequestEntityTooLarge

from shared.endpoints import ask
from shared.errors import ServiceError
from shared.idempotency import idempotent
from shared.problems import problem
from shared.settings import _number
from shared.web import Blueprint

from services.cases.domain.commands import ImportRegister
from services.cases.entrypoints.registers import UPLOAD_FIELD, read_upload
from services.cases.service_layer.imports import ImportReport, RegisterRow

PATH = "/api/v1/cases/imports"
MAX_BYTES, MAX_ROWS = "REGISTER_MAX_BYTES", "REGISTER_MAX_ROWS"
MULTIPART_ALLOWANCE = 64 * 1024
"""The multipart framing around the file (boundaries, part headers) allowed beyond the file's own limit."""
REFUSED, NOT_IMPORTED = "refused", "not_imported"

imports_blp = Blueprint("imports", __name__, url_prefix=PATH,
                        description="Importing a commune's caseload register (CSV or XLSX)")


class ContentTooLarge(ServiceError):
    status, title = 413, "Content too large"


def _too_large(limit: int):
    why = f"is larger than {limit} bytes"
    return problem(413, ContentTooLarge.title, f"{UPLOAD_FIELD}: {why}", {UPLOAD_FIELD: [why]})


def take_upload():
    """Read an upload to this route (at most its limit) before the API's JSON-only body checks see the request."""
    if request.method != "POST" or request.path != PATH or request.mimetype != "multipart/form-data":
        return None
    limit = current_app.config[MAX_BYTES]
    if request.content_length is not None and request.content_length > limit + MULTIPART_ALLOWANCE:
        return _too_large(limit)
    request.max_content_length = limit + MULTIPART_ALLOWANCE
    try:
        g.register_upload = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return _too_large(limit)
    return None


def restore_upload():
    """The upload read by `take_upload`, back as the request's body once the API's checks have passed."""
    raw = g.pop("register_upload", None)
    if raw is not None:
        request._cached_data = raw


def install_register_uploads(app, env=None) -> None:
    """REGISTER_MAX_BYTES (5 MB) and REGISTER_MAX_ROWS (5,000): the largest register the API takes. `take_upload`
    runs before every other hook, `restore_upload` after them."""
    env = os.environ if env is None else env
    app.config[MAX_BYTES] = _number(env, MAX_BYTES, 5 * 1024 * 1024, minimum=1)
    app.config[MAX_ROWS] = _number(env, MAX_ROWS, 5000, minimum=1)
    app.before_request_funcs.setdefault(None, []).insert(0, take_upload)
    app.before_request(restore_upload)


class RegisterUploadIn(Schema):
    register = Upload(required=True, metadata={"description": "the register: CSV (UTF-8, as Excel saves it) or "
                                                              "XLSX, Vietnamese or English column names"})


class RowOutcomeOut(Schema):
    row = fields.Integer(metadata={"description": "the spreadsheet's row number (the header is row 1)"})
    register_ref = fields.String(allow_none=True)
    outcome = fields.String(metadata={"description": "opened, already_imported, refused, or not_imported (the "
                                                     "row is fine but another was refused: nothing was imported)"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "a refused row's fields and why"})


class ImportReportOut(Schema):
    imported = fields.Boolean(metadata={"description": "false when any row was refused: then nothing is stored"})
    rows = fields.Integer()
    opened = fields.Integer()
    already_imported = fields.Integer()
    refused = fields.Integer()
    report = fields.List(fields.Nested(RowOutcomeOut))


def report_out(report: ImportReport, rows: list[RegisterRow]) -> dict:
    outcomes = [{"row": row.number, "register_ref": row.ref,
                 "outcome": REFUSED if row.number in report.errors else report.outcomes.get(row.number, NOT_IMPORTED),
                 "errors": report.errors.get(row.number, {})} for row in rows]
    return {"imported": report.ok, "rows": report.rows, "opened": report.created,
            "already_imported": report.already_imported, "refused": len(report.errors), "report": outcomes}


@imports_blp.route("")
class Imports(MethodView):
    @idempotent
    @imports_blp.arguments(RegisterUploadIn, location="files")
    @imports_blp.response(200, ImportReportOut)
    @imports_blp.alt_response(409, description="Idempotency-Key in use")
    @imports_blp.alt_response(413, description="The register is larger than REGISTER_MAX_BYTES")
    @imports_blp.alt_response(415, description="Not a multipart/form-data upload")
    def post(self, files):
        """Import a commune's register (multipart field `register`; accepts Idempotency-Key)

        Every row is checked first; one refused row imports nothing, and the report says why row by row. Rows
        imported before are not imported twice."""
        limit = current_app.config[MAX_BYTES]
        data = files["register"].read(limit + 1)
        if len(data) > limit:
            raise ContentTooLarge(f"{UPLOAD_FIELD}: is larger than {limit} bytes",
                                  {UPLOAD_FIELD: [f"is larger than {limit} bytes"]})
        rows = read_upload(data, current_app.config[MAX_ROWS])
        return report_out(ask(ImportRegister(tuple(rows))), rows)
