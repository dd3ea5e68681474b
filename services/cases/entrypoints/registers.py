"""Reading a commune's caseload register (CSV as Excel saves it, or XLSX; Vietnamese or English headers) into rows
checked field by field, for the import (service_layer/imports.py)."""
from __future__ import annotations

import csv
import io
import zipfile
from itertools import islice
from pathlib import Path

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from shared.errors import InvalidInput

from services.cases.entrypoints.fields import COMMUNE, NationalId
from services.cases.service_layer.imports import RegisterRow

HEADERS = {  # the register's Vietnamese column names, and English ones
    "số hồ sơ": "register_ref", "so ho so": "register_ref", "register_ref": "register_ref",
    "họ và tên": "full_name", "ho va ten": "full_name", "full_name": "full_name",
    "ngày sinh": "birth_date", "ngay sinh": "birth_date", "birth_date": "birth_date",
    "giới tính": "sex", "gioi tinh": "sex", "sex": "sex",
    "số cccd": "national_id", "so cccd": "national_id", "national_id": "national_id",
    "điện thoại": "phone", "dien thoai": "phone", "phone": "phone",
    "địa chỉ": "address", "dia chi": "address", "address": "address",
    "mã xã": "commune_code", "ma xa": "commune_code", "commune_code": "commune_code",
    "ngày lập hồ sơ": "opened_on", "ngay lap ho so": "opened_on", "opened_on": "opened_on",
    "giai đoạn": "stage", "giai doan": "stage", "stage": "stage",
}
ZERO_PADDED = {"national_id": 12, "commune_code": 5}  # Excel drops the leading zero of a number cell
REQUIRED_COLUMNS = ("register_ref", "full_name", "birth_date", "sex", "commune_code", "opened_on")
UPLOAD_FIELD = "register"
SEXES = {"nam": "male", "nữ": "female", "nu": "female", "male": "male", "female": "female"}


class RowSchema(Schema):
    register_ref = fields.String(required=True, validate=validate.Length(min=1, max=50))
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    birth_date = fields.Date(required=True)
    sex = fields.String(required=True, validate=validate.OneOf(["male", "female"]))
    national_id = NationalId(load_default=None)
    phone = fields.String(load_default=None, validate=validate.Length(min=6, max=20))
    address = fields.String(load_default=None, validate=validate.Length(max=500))
    commune_code = fields.String(required=True, validate=COMMUNE)
    opened_on = fields.Date(required=True)
    stage = fields.String(load_default="user_management")

    @pre_load
    def tidy(self, row, **kwargs):
        cleaned = {}
        for key, value in row.items():
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if hasattr(value, "isoformat"):
                value = value.date().isoformat() if hasattr(value, "date") else value.isoformat()
            if isinstance(value, int) and key in ZERO_PADDED:
                value = f"{value:0{ZERO_PADDED[key]}d}"
            value = str(value).strip()
            cleaned[key] = SEXES.get(value.lower(), value) if key == "sex" else value
        return cleaned


def checked_rows(raw_rows: list[dict]) -> list[RegisterRow]:
    """Each row under its spreadsheet row number (the header is row 1), loaded or with its field errors."""
    rows = []
    for number, raw in enumerate(raw_rows, start=2):
        canonical = {HEADERS.get(str(k).strip().lower(), str(k)): v for k, v in raw.items() if k is not None}
        try:
            rows.append(RegisterRow(number, RowSchema().load(canonical), ref=_ref(canonical)))
        except ValidationError as invalid:
            rows.append(RegisterRow(number, None, invalid.messages if isinstance(invalid.messages, dict)
                                    else {"_row": invalid.messages}, ref=_ref(canonical)))
    return rows


def read_register(path) -> list[RegisterRow]:
    """The rows of a CSV (UTF-8, as Excel saves it) or XLSX register, checked."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        raw = _xlsx_rows(path)
    else:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            raw = list(csv.DictReader(handle))
    return checked_rows(raw)


def _ref(canonical: dict) -> str | None:
    value = canonical.get("register_ref")
    return str(value).strip()[:50] if value not in (None, "") else None


EMPTY_ROWS_PER_ROW = 10
"""An uploaded sheet is read no further than this many rows per row it may hold (empty rows included), so a sheet
of a million empty rows costs no more than a full one."""
MAX_UNZIPPED_BYTES = 64 * 1024 * 1024
"""The most an uploaded XLSX may unpack to (a register of 5,000 rows is a few MB): a zip bomb is refused unread."""


def _xlsx_rows(source, limit: int | None = None) -> list[dict]:
    """The first sheet's rows under its header row, at most `limit` of them (and one more, to tell it was
    longer)."""
    from openpyxl import load_workbook
    sheet = load_workbook(source, read_only=True, data_only=True).active
    cells = enumerate(sheet.iter_rows(values_only=True))
    scan = None if limit is None else EMPTY_ROWS_PER_ROW * limit
    first = next(cells, (0, None))[1] or ()
    header = [str(h).strip() if h is not None else None for h in first]
    rows = []
    for number, row in cells:
        if scan is not None and number > scan:
            raise _refused(f"holds more than {scan} rows, empty ones included; remove the empty ones")
        if any(cell is not None for cell in row):
            rows.append(dict(zip(header, row)))
            if limit is not None and len(rows) > limit:
                break
    return rows


def _refused(why: str) -> InvalidInput:
    return InvalidInput.field(UPLOAD_FIELD, why)


def _uploaded_rows(data: bytes, max_rows: int) -> list[dict]:
    """The raw rows of an uploaded file, told apart by content: an XLSX is a zip holding xl/workbook.xml, a CSV
    is text in UTF-8; anything else is refused."""
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "xl/workbook.xml" not in archive.namelist():
                    raise _refused("is a zip file but not an XLSX workbook")
                if sum(member.file_size for member in archive.infolist()) > MAX_UNZIPPED_BYTES:
                    raise _refused(f"unpacks to more than {MAX_UNZIPPED_BYTES // (1024 * 1024)} MB")
            return _xlsx_rows(io.BytesIO(data), max_rows)
        except InvalidInput:
            raise
        except Exception:
            raise _refused("is not a readable XLSX workbook") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refused("is neither an XLSX workbook nor a CSV file in UTF-8") from None
    if "\x00" in text:
        raise _refused("is neither an XLSX workbook nor a CSV file in UTF-8")
    try:
        return list(islice(csv.DictReader(io.StringIO(text, newline="")), max_rows + 1))
    except csv.Error as unreadable:
        raise _refused(f"is not a readable CSV file ({unreadable})") from None


def read_upload(data: bytes, max_rows: int) -> list[RegisterRow]:
    """The rows of an uploaded register, checked; the upload itself refused (naming its field) when it is not a
    CSV or XLSX register, its header lacks a column the import needs, or it holds more than `max_rows` rows."""
    raw = _uploaded_rows(data, max_rows)
    if not raw:
        raise _refused("holds no rows under its header")
    if len(raw) > max_rows:
        raise _refused(f"holds more than {max_rows} rows; split it")
    columns = {HEADERS.get(str(k).strip().lower(), str(k)) for k in raw[0] if k is not None}
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise _refused(f"the header row lacks the columns {', '.join(missing)} (Vietnamese or English names)")
    return checked_rows(raw)
