"""The consolidated report drawn as a workbook (openpyxl) in the layout of a Vietnamese administrative report, and
its figures as CSV.

The first sheet carries the heading block (the issuing body and the standing office on the left, the national
name and motto on the right, the place and date), the title and the plan; then one sheet per section, each table
with bold headers (an indicator's name over its target, reported, computed and percentage), frozen above its
first row of figures, and its `Tổng cộng` row. Figures are numbers with number formats; text goes through
shared/spreadsheets.py, so a name that looks like a formula stays text."""
from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from shared.spreadsheets import csv_text, put_text

from services.plans.service_layer.report_model import Column, ConsolidatedReport, Section, Table

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
COVER = "Báo cáo"
FONT = "Times New Roman"
FORMATS = {"count": "#,##0", "vnd": "#,##0", "percent": "0.0%", "date": "DD/MM/YYYY"}
WHOLE, FRACTION = "#,##0", "#,##0.00"
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
CENTRED = Alignment(horizontal="center", vertical="center", wrap_text=True)


class SpreadsheetReport:
    def xlsx(self, report: ConsolidatedReport) -> bytes:
        book = Workbook()
        _cover(book.active, report)
        for section in report.sections:
            _section(book.create_sheet(section.sheet_name[:31]), section, report)
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()

    def csv(self, header: list[str], rows: list[list]) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else csv_text(v) if isinstance(v, str) else _plain(v) for v in row])
        return buffer.getvalue().encode("utf-8-sig")


def _plain(value):
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _text(sheet, row: int, column: int, value: str, *, bold=False, italic=False, size=12, merge_to: int = 0,
          align="center"):
    cell = sheet.cell(row=row, column=column)
    put_text(cell, value)
    cell.font = Font(name=FONT, bold=bold, italic=italic, size=size)
    cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=True)
    if merge_to > column:
        sheet.merge_cells(start_row=row, start_column=column, end_row=row, end_column=merge_to)
    return cell


def _cover(sheet, report: ConsolidatedReport) -> None:
    sheet.title = COVER
    for column, width in zip("ABCDEFGH", (8, 14, 18, 6, 8, 14, 18, 14)):
        sheet.column_dimensions[column].width = width
    _text(sheet, 1, 1, report.issuing_body, merge_to=3)
    _text(sheet, 2, 1, report.office, bold=True, merge_to=3)
    _text(sheet, 1, 5, NATION, bold=True, merge_to=8)
    _text(sheet, 2, 5, MOTTO, bold=True, merge_to=8)
    _text(sheet, 4, 5, report.place_and_date, italic=True, merge_to=8)
    _text(sheet, 6, 1, report.title, bold=True, size=14, merge_to=8)
    _text(sheet, 7, 1, report.plan_title, bold=True, merge_to=8)
    _text(sheet, 8, 1, report.period, italic=True, merge_to=8)
    _text(sheet, 10, 1, "Các biểu kèm theo báo cáo:", bold=True, merge_to=8, align="left")
    for index, section in enumerate(report.sections):
        _text(sheet, 11 + index, 1, f"{section.heading} (trang \u201c{section.sheet_name}\u201d)", merge_to=8,
              align="left")
    sheet.row_dimensions[7].height = 36
    sheet.page_setup.orientation = "portrait"


def _section(sheet, section: Section, report: ConsolidatedReport) -> None:
    width = max(len(table.columns) for table in section.tables)
    _text(sheet, 1, 1, section.heading, bold=True, size=13, merge_to=width, align="left")
    _text(sheet, 2, 1, f"{report.title}: {report.plan_title}", italic=True, merge_to=width, align="left")
    row, frozen = 4, None
    for table in section.tables:
        row, first_figures = _table(sheet, row, table)
        frozen = frozen or first_figures
        row += 1
    for note in section.notes:
        _text(sheet, row, 1, note, italic=True, size=11, merge_to=width, align="left")
        row += 1
    for index in range(width):
        widths = [t.columns[index].width for t in section.tables if index < len(t.columns)]
        sheet.column_dimensions[get_column_letter(index + 1)].width = max(widths)
    sheet.freeze_panes = sheet.cell(row=frozen, column=section.frozen_columns + 1)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _table(sheet, row: int, table: Table) -> tuple[int, int]:
    """Draw the table from `row`; the row after it, and the first row of figures."""
    if table.caption:
        _text(sheet, row, 1, table.caption, bold=True, merge_to=len(table.columns), align="left")
        row += 1
    row = _headers(sheet, row, table.columns)
    first = row
    for values in table.rows:
        _figures(sheet, row, table.columns, values)
        row += 1
    if table.totals is not None:
        _figures(sheet, row, table.columns, table.totals, bold=True)
        row += 1
    return row, first


def _headers(sheet, row: int, columns: list[Column]) -> int:
    """One header row, or two when columns are grouped: the group's name over its columns' labels."""
    grouped = any(column.group for column in columns)
    for index, column in enumerate(columns, 1):
        label_row = row + 1 if grouped and column.group else row
        cell = _text(sheet, label_row, index, column.label, bold=True, size=11)
        cell.fill, cell.border = HEADER_FILL, BOX
        if grouped and not column.group:
            sheet.merge_cells(start_row=row, start_column=index, end_row=row + 1, end_column=index)
            sheet.cell(row=row + 1, column=index).border = BOX
    if grouped:
        index = 0
        while index < len(columns):
            group, end = columns[index].group, index
            while group and end + 1 < len(columns) and columns[end + 1].group == group:
                end += 1
            if group:
                cell = _text(sheet, row, index + 1, group, bold=True, size=11, merge_to=end + 1)
                cell.fill, cell.border = HEADER_FILL, BOX
            index = end + 1
    sheet.row_dimensions[row].height = 32
    return row + (2 if grouped else 1)


def _figures(sheet, row: int, columns: list[Column], values: list, bold: bool = False) -> None:
    for index, (column, value) in enumerate(zip(columns, values), 1):
        cell = sheet.cell(row=row, column=index)
        if isinstance(value, str):
            put_text(cell, value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        elif value is not None:
            cell.value = value
            cell.number_format = _format(column, value)
        cell.font, cell.border = Font(name=FONT, bold=bold, size=11), BOX


def _format(column: Column, value) -> str:
    if column.kind in FORMATS:
        return FORMATS[column.kind]
    if isinstance(value, date):
        return FORMATS["date"]
    return WHOLE if float(value).is_integer() else FRACTION
