"""Uploading a commune's register (CSV or XLSX) to import its caseload: the command line's import, over HTTP.
The one route of the API that takes a multipart upload (shared/web.py `takes_upload`), of at most
REGISTER_MAX_BYTES (Settings.register_max_bytes) and REGISTER_MAX_ROWS rows."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from shared.endpoints import ask
from shared.errors import ServiceError
from shared.idempotency import idempotent
from shared.web import Blueprint, takes_upload

from services.cases.domain.commands import ImportRegister
from services.cases.entrypoints.registers import UPLOAD_FIELD
from services.cases.service_layer.imports import ImportReport, RegisterRow

PATH = "/api/v1/register-imports"
MAX_BYTES, MAX_ROWS = "REGISTER_MAX_BYTES", "REGISTER_MAX_ROWS"
REFUSED, NOT_IMPORTED = "refused", "not_imported"

imports_blp = Blueprint("imports", __name__, url_prefix=PATH,
                        description="Importing a commune's caseload register (CSV or XLSX)")


class ContentTooLarge(ServiceError):
    status, title = 413, "Content too large"


def install_register_uploads(app, settings) -> None:
    app.config[MAX_BYTES] = settings.register_max_bytes
    app.config[MAX_ROWS] = settings.register_max_rows


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
@takes_upload(UPLOAD_FIELD, MAX_BYTES)
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
        return report_out(*ask(ImportRegister(data, current_app.config[MAX_ROWS])))
