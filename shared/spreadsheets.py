"""XLSX downloads (openpyxl) for exports people open in Excel."""
from __future__ import annotations

import io
from datetime import date

from flask import current_app
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@")


def _cell(sheet, value):
    """A value as a cell; text that a spreadsheet would run as a formula (a name typed as `=HYPERLINK(...)`) is
    written as text, shown with Excel's quote prefix."""
    if not (isinstance(value, (str, int, float, date)) or value is None):
        value = str(value)
    if not (isinstance(value, str) and value.startswith(FORMULA_STARTS)):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type, cell.quotePrefix = "s", True
    return cell


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
