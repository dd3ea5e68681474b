"""The register pages' calls: an uploaded register sent to the cases API's import, and a case list's spreadsheet
fetched from its export, each with the person's own token. The cases service checks the file, the rows and the
person's right to import or export them; its refusal is raised as a ServiceProblem for the page to show."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol

from services.portal.domain.commands import ImportRegisterFromPortal
from services.portal.domain.pages import UNAVAILABLE, ServiceProblem
from services.portal.domain.queries import ExportCaseList
from services.portal.domain.register_pages import REFUSED, REGISTER_FIELD, multipart_boundary


class RegisterApi(Protocol):
    def upload(self, service: str, path: str, token: str, field: str, filename: str, content: bytes,
               boundary: str, headers: dict | None = None) -> tuple[object, dict]: ...

    def download(self, service: str, path: str, token: str, params: dict) -> tuple[Iterator[bytes], dict]: ...


@dataclass(frozen=True)
class RowOutcome:
    row: int
    register_ref: str
    outcome: str
    errors: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ImportReport:
    imported: bool
    rows: int
    opened: int
    already_imported: int
    refused: int
    outcomes: list[RowOutcome]


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    chunks: Iterator[bytes]


def _row(item: dict) -> RowOutcome:
    errors = item.get("errors") if isinstance(item.get("errors"), dict) else {}
    said = tuple((str(field), str(why)) for field, whys in errors.items()
                 for why in (whys if isinstance(whys, list) else [whys]))
    return RowOutcome(int(item.get("row") or 0), str(item.get("register_ref") or ""), str(item.get("outcome") or ""),
                      said)


def import_register(command: ImportRegisterFromPortal, principal, services_api: RegisterApi) -> ImportReport:
    """The report row by row, refused rows first (nothing was imported when any was refused)."""
    headers = {"Idempotency-Key": command.idempotency_key} if command.idempotency_key else {}
    body, _headers = services_api.upload("cases", "/register-imports", command.access_token, REGISTER_FIELD,
                                         command.filename, command.content,
                                         multipart_boundary(command.idempotency_key, command.content), headers)
    if not isinstance(body, dict) or not isinstance(body.get("report"), list):
        raise ServiceProblem("cases", UNAVAILABLE)
    outcomes = sorted((_row(item) for item in body["report"] if isinstance(item, dict)),
                      key=lambda row: (row.outcome != REFUSED, row.row))
    return ImportReport(bool(body.get("imported")), int(body.get("rows") or 0), int(body.get("opened") or 0),
                        int(body.get("already_imported") or 0), int(body.get("refused") or 0), outcomes)


def export_case_list(query: ExportCaseList, principal, services_api: RegisterApi) -> Download:
    """The API's workbook as it streams in; only the columns the person's role may see are in it."""
    chunks, headers = services_api.download("cases", "/cases/export.xlsx", query.access_token,
                                            {"purpose": query.purpose, **dict(query.terms)})
    return Download("ho-so-cai-nghien.xlsx", headers.get("Content-Type") or
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", chunks)


HANDLERS = {ImportRegisterFromPortal: import_register, ExportCaseList: export_case_list}
