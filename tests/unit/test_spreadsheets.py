"""Exports opened in Excel: text that looks like a formula stays text."""
import io
from datetime import date

from openpyxl import Workbook, load_workbook

from shared.spreadsheets import put_text, workbook_bytes


def test_text_beginning_like_a_formula_is_written_as_text_and_the_rest_as_given():
    names = ['=HYPERLINK("http://x","bấm")', "+84905111222", "-1", "@SUM(A1)", "Nguyễn Văn A"]
    sheet = load_workbook(io.BytesIO(workbook_bytes(["name", "n", "on"], [[n, 7, date(2026, 8, 1)] for n in names])))
    rows = list(sheet.active.iter_rows(min_row=2))
    assert [row[0].value for row in rows] == names
    assert [row[0].data_type for row in rows] == ["s"] * 5
    assert [row[0].quotePrefix for row in rows] == [True, True, True, True, False]
    assert rows[0][1].value == 7 and rows[0][2].value.date() == date(2026, 8, 1)


def test_control_characters_a_workbook_cannot_hold_are_replaced_not_fatal():
    title = "Kế hoạch\x0b năm 2026\x1d"
    sheet = load_workbook(io.BytesIO(workbook_bytes(["title"], [[title]]))).active
    assert sheet.cell(2, 1).value == "Kế hoạch\ufffd năm 2026\ufffd"
    built = Workbook().active
    put_text(built.cell(1, 1), "=\x01x")
    assert built.cell(1, 1).value == "=\ufffdx" and built.cell(1, 1).quotePrefix
