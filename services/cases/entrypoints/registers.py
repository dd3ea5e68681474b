"""Reading a commune's caseload register (CSV as Excel saves it, or XLSX; Vietnamese or English headers) into rows
checked field by field, for the import (service_layer/imports.py)."""
from __future__ import annotations

import csv
from pathlib import Path

from marshmallow import Schema, ValidationError, fields, pre_load, validate

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
            rows.append(RegisterRow(number, RowSchema().load(canonical)))
        except ValidationError as invalid:
            rows.append(RegisterRow(number, None, invalid.messages if isinstance(invalid.messages, dict)
                                    else {"_row": invalid.messages}))
    return rows


def read_register(path) -> list[RegisterRow]:
    """The rows of a CSV (UTF-8, as Excel saves it) or XLSX register, checked."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook
        sheet = load_workbook(path, read_only=True, data_only=True).active
        cells = list(sheet.iter_rows(values_only=True))
        header = [str(h).strip() if h is not None else None for h in cells[0]] if cells else []
        raw = [dict(zip(header, row)) for row in cells[1:] if any(cell is not None for cell in row)]
    else:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            raw = list(csv.DictReader(handle))
    return checked_rows(raw)
