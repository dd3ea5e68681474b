"""Importing a commune's existing caseload from its register (entrypoints/registers.py reads the file).

Every row is checked before anything is written; one bad row stops the whole import with a report per row.
A row's person and case ids derive from the commune and the register's own reference, so importing the same file
again, or finishing an import that was interrupted, creates nothing twice.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.auth import Principal
from shared.errors import NotAuthorised, ServiceError
from shared.messagebus import MessageBus

from services.cases.domain.access import CASE_OFFICERS
from services.cases.domain.commands import CheckCaseImport, ImportCase, ImportRegister, OpenCase, RegisterPerson
from services.cases.service_layer.cases import CaseOpening, check_case_import, import_case
from services.cases.service_layer.unit_of_work import CaseUnitOfWork

IMPORT_IDS = uuid.UUID("3a7d2f4e-1c55-4f1e-9e0b-6c2a8d4b7f90")
OPENED, ALREADY_IMPORTED = "opened", "already_imported"


@dataclass(frozen=True)
class RegisterRow:
    """A register row under its spreadsheet row number: its fields, or what is wrong with them."""
    number: int
    data: dict | None
    errors: dict[str, list[str]] | None = None
    ref: str | None = None
    """The register's own reference as written, for the report (also of a row whose fields are refused)."""


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    already_imported: int = 0
    errors: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    outcomes: dict[int, str] = field(default_factory=dict)
    """Each imported row's outcome by its number: OPENED or ALREADY_IMPORTED."""

    @property
    def ok(self) -> bool:
        return not self.errors


def import_ids(commune_code: str, register_ref: str) -> tuple[str, str]:
    key = f"{commune_code}:{register_ref}"
    return (uuid.uuid5(IMPORT_IDS, f"case:{key}").hex,
            "P" + uuid.uuid5(IMPORT_IDS, f"person:{key}").hex[:12].upper())


def _opening(data: dict) -> OpenCase:
    person = RegisterPerson(full_name=data["full_name"], birth_date=data["birth_date"], sex=data["sex"],
                            residence_code=data["commune_code"], national_id=data["national_id"],
                            phone=data["phone"], address=data["address"])
    return OpenCase(commune_code=data["commune_code"], opened_on=data["opened_on"], person=person,
                    stage=data["stage"])


def _identity(data: dict) -> str:
    return data["national_id"] or f"{data['full_name'].lower()}|{data['birth_date']}"


class CaseloadImport:
    def __init__(self, bus: MessageBus):
        self.bus = bus

    def check(self, rows: list[RegisterRow], principal: Principal) -> tuple[ImportReport, list[RegisterRow]]:
        """The report of every row's problems, and the rows that may be imported."""
        report, valid, seen = ImportReport(rows=len(rows)), [], {}
        for row in rows:
            problems = row.errors or self._problems(row, principal, seen)
            if problems:
                report.errors[row.number] = problems
            else:
                valid.append(row)
        return report, valid

    def _problems(self, row: RegisterRow, principal: Principal, seen: dict[str, int]) -> dict | None:
        identity = _identity(row.data)
        if identity in seen:
            return {"national_id": [f"the same person as row {seen[identity]}"]}
        seen[identity] = row.number
        try:
            self.bus.handle(CheckCaseImport(_opening(row.data), *import_ids(row.data["commune_code"],
                                                                            row.data["register_ref"])), principal)
        except ServiceError as refused:
            return refused.errors or {"_row": [refused.detail]}
        return None

    def run(self, rows: list[RegisterRow], principal: Principal,
            progress=lambda done, total: None) -> ImportReport:
        report, valid = self.check(rows, principal)
        if not report.ok:
            return report
        for done, row in enumerate(valid, start=1):
            case_id, person_code = import_ids(row.data["commune_code"], row.data["register_ref"])
            if self.bus.handle(ImportCase(_opening(row.data), case_id, person_code), principal):
                report.created += 1
                report.outcomes[row.number] = OPENED
            else:
                report.already_imported += 1
                report.outcomes[row.number] = ALREADY_IMPORTED
            progress(done, len(valid))
        return report


class _RowCommands:
    """The two row commands answered in this process, as the bus answers them for the command line's import."""

    def __init__(self, opening: CaseOpening, uow: CaseUnitOfWork):
        self.opening, self.uow = opening, uow

    def handle(self, command, principal: Principal):
        if isinstance(command, CheckCaseImport):
            return check_case_import(command, principal, self.opening, self.uow)
        return import_case(command, principal, self.opening, self.uow)


def import_register(command: ImportRegister, principal: Principal, opening: CaseOpening, uow: CaseUnitOfWork,
                    register_reader: Callable[[bytes, int], list[RegisterRow]]) -> tuple[ImportReport, list]:
    """The uploaded register imported whole, or nothing of it with the report of its refused rows, and its rows as
    read. The file is opened only for a caller who may import (a spreadsheet is work to read). Each opened case is
    audited as the command line's import audits it."""
    if not principal.has_role(*CASE_OFFICERS):
        raise NotAuthorised("only caseworkers and police liaison officers import registers")
    rows = register_reader(command.upload, command.max_rows)
    return CaseloadImport(_RowCommands(opening, uow)).run(list(rows), principal), rows


HANDLERS = {ImportRegister: import_register}
