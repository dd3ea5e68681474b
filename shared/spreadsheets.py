"""XLSX downloads (openpyxl) for exports people open in Excel."""
from __future__ import annotations

import io
from datetime import date

from flask import current_app
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@")
REPLACEMENT = "\ufffd"


def writable(value):
    """Text as a workbook can hold it: control characters XML forbids (typed or pasted into a name or a title)
    become U+FFFD instead of failing the whole download."""
    return ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT, value) if isinstance(value, str) else value


def _cell(sheet, value):
    """A value as a cell; text that a spreadsheet would run as a formula (a name typed as `=HYPERLINK(...)`) is
    written as text, shown with Excel's quote prefix."""
    if not (isinstance(value, (str, int, float, date)) or value is None):
        value = str(value)
    value = writable(value)
    if not looks_like_formula(value):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type, cell.quotePrefix = "s", True
    return cell


def looks_like_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def put_text(cell, value: str) -> None:
    """Text into a cell of a workbook built in memory (not write-only), kept as text even if it looks like a
    formula, as `_cell` does for write-only sheets."""
    cell.value = writable(value)
    if looks_like_formula(value):
        cell.data_type, cell.quotePrefix = "s", True


def csv_text(value: str) -> str:
    """Text for a CSV that Excel opens: one that looks like a formula gets a leading apostrophe, which Excel shows
    as text instead of running it."""
    return f"'{value}" if looks_like_formula(value) else value


def workbook_bytes(columns: list[str], rows: list[list]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    sheet.append(columns)
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def workbook_response(columns: list[str], rows: list[list], filename: str):
    return current_app.response_class(workbook_bytes(columns, rows), mimetype=XLSX,
                                      headers={"Content-Disposition": f'attachment; filename="{filename}"'})
