"""XLSX downloads (openpyxl) for exports people open in Excel."""
from __future__ import annotations

import io
from datetime import date

from flask import current_app
from openpyxl import Workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_bytes(columns: list[str], rows: list[list]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    sheet.append(columns)
    for row in rows:
        sheet.append([value if isinstance(value, (str, int, float, date)) or value is None else str(value)
                      for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def workbook_response(columns: list[str], rows: list[list], filename: str):
    return current_app.response_class(workbook_bytes(columns, rows), mimetype=XLSX,
                                      headers={"Content-Disposition": f'attachment; filename="{filename}"'})
