"""Importing a commune's existing caseload from its Excel or CSV register.

Every row is checked before anything is written; one bad row stops the whole import with a report per row.
A row's person and case ids derive from the commune and the register's own reference, so importing the same file
again, or finishing an import that was interrupted, creates nothing twice.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from shared.auth import Principal
from shared.errors import ServiceError

from services.cases.domain.commands import OpenCase, RegisterPerson

IMPORT_IDS = uuid.UUID("3a7d2f4e-1c55-4f1e-9e0b-6c2a8d4b7f90")
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
    national_id = fields.String(load_default=None, validate=validate.Regexp(r"^\d{12}$", error="must be 12 digits"))
    phone = fields.String(load_default=None, validate=validate.Length(min=6, max=20))
    address = fields.String(load_default=None, validate=validate.Length(max=500))
    commune_code = fields.String(required=True, validate=validate.Regexp(r"^\d{5}$", error="must be 5 digits"))
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


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    already_imported: int = 0
    errors: dict[int, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def canonical_rows(raw_rows: list[dict]) -> list[dict]:
    return [{HEADERS.get(str(k).strip().lower(), str(k)): v for k, v in row.items() if k is not None}
            for row in raw_rows]


def import_ids(commune_code: str, register_ref: str) -> tuple[str, str]:
    key = f"{commune_code}:{register_ref}"
    return (uuid.uuid5(IMPORT_IDS, f"case:{key}").hex,
            "P" + uuid.uuid5(IMPORT_IDS, f"person:{key}").hex[:12].upper())


class CaseloadImport:
    def __init__(self, cases_service):
        self.service = cases_service

    def check(self, raw_rows: list[dict], principal: Principal) -> tuple[ImportReport, list[tuple[int, dict]]]:
        report, valid, seen = ImportReport(rows=len(raw_rows)), [], {}
        for number, row in enumerate(canonical_rows(raw_rows), start=2):
            try:
                data = RowSchema().load(row)
                identity = data["national_id"] or f"{data['full_name'].lower()}|{data['birth_date']}"
                if identity in seen:
                    raise ValidationError({"national_id": [f"the same person as row {seen[identity]}"]})
                seen[identity] = number
                if self.service.is_imported(*import_ids(data["commune_code"], data["register_ref"])):
                    valid.append((number, data))
                    continue
                self.service.check_import_row(self._command(data), principal)
                valid.append((number, data))
            except ValidationError as invalid:
                report.errors[number] = invalid.messages if isinstance(invalid.messages, dict) else \
                    {"_row": invalid.messages}
            except ServiceError as refused:
                report.errors[number] = refused.errors or {"_row": [refused.detail]}
        return report, valid

    def run(self, raw_rows: list[dict], principal: Principal, progress=lambda done, total: None) -> ImportReport:
        report, valid = self.check(raw_rows, principal)
        if not report.ok:
            return report
        for done, (_, data) in enumerate(valid, start=1):
            case_id, person_code = import_ids(data["commune_code"], data["register_ref"])
            if self.service.import_case(self._command(data), principal, case_id, person_code):
                report.created += 1
            else:
                report.already_imported += 1
            progress(done, len(valid))
        return report

    @staticmethod
    def _command(data: dict) -> OpenCase:
        person = RegisterPerson(full_name=data["full_name"], birth_date=data["birth_date"], sex=data["sex"],
                                residence_code=data["commune_code"], national_id=data["national_id"],
                                phone=data["phone"], address=data["address"])
        return OpenCase(commune_code=data["commune_code"], opened_on=data["opened_on"], person=person,
                        stage=data["stage"])


def read_register(path) -> list[dict]:
    """Rows of a CSV (UTF-8, as Excel saves it) or XLSX register, keyed by the header row."""
    from pathlib import Path

    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook
        sheet = load_workbook(path, read_only=True, data_only=True).active
        rows = list(sheet.iter_rows(values_only=True))
        header = [str(h).strip() if h is not None else None for h in rows[0]] if rows else []
        return [dict(zip(header, row)) for row in rows[1:] if any(cell is not None for cell in row)]
    import csv
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [row for row in csv.DictReader(handle)]


