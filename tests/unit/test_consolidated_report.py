"""The consolidated report against fakes of the roll-up and the read model (no database): the workbook opened with
openpyxl and read cell by cell, the CSV parsed, and who may take the report out."""
import csv
import io
from datetime import date
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from shared.auth import Principal
from shared.errors import NotFound

from services.plans.adapters.spreadsheet_report import SpreadsheetReport
from services.plans.domain.plan import IndicatorTarget, Plan
from services.plans.domain.queries import ExportPlanReport, ExportPlanReportCsv
from services.plans.domain.task import Task
from services.plans.service_layer.exports import export_plan_report, export_plan_report_csv
from services.plans.service_layer.ports import BudgetTotals
from services.plans.service_layer.report_model import IndicatorFigures, PlanRollup, RolledRow

COORDINATOR = Principal("pc", ("plan_coordinator",), "UBT-56", ("56",))
TARGETS = [IndicatorTarget("outreach_sessions", 100), IndicatorTarget("people_newly_managed", 40)]
NAMES = {"UBX-22366": "UBND phường Nha Trang", "CAX-22366": "Công an phường Nha Trang",
         "UBX-22333": '=HYPERLINK("http://x","bấm")', "SGD-T56": "Sở Giáo dục và Đào tạo"}


def figures(outreach, managed):
    return {"outreach_sessions": IndicatorFigures(*outreach), "people_newly_managed": IndicatorFigures(*managed)}


ROLLUP = PlanRollup(
    units=[RolledRow("UBX-22366", figures((30, 24, 0), (10, 0, 6)), late_reports=1, areas=("22366",)),
           RolledRow("CAX-22366", figures((20, 25, 0), (10, 0, 6)), late_reports=0, areas=("22366",)),
           RolledRow("UBX-22333", figures((50, 10, 0), (20, 0, 3)), late_reports=2, areas=("22333",))],
    areas=[RolledRow("22366", figures((50, 49, 0), (20, 0, 6))), RolledRow("22333", figures((50, 10, 0), (20, 0, 3)))],
    total=RolledRow("56", figures((100, 59, 0), (40, 0, 9)), late_reports=3),
    task_statuses={"t1": "at_risk"})


class Rollup:
    def of_plan(self, plan_id):
        return ROLLUP


def report(status, crackdown, period="final", late=False, unit="CAX-22366"):
    return SimpleNamespace(task_id="t1", unit_code=unit, area_code="22366", period=period, status=status, late=late,
                           crackdown=crackdown)


class Views:
    def __init__(self, plan, task):
        self.plan, self.task = plan, task

    def units(self, first, limit):
        return [SimpleNamespace(id=code, name=name) for code, name in NAMES.items()], len(NAMES)

    def plan_tasks(self, plan_id):
        return [self.task]

    def reports_of_plan(self, plan_id):
        seized = {"offences": [{"offence": "possession", "cases": 2, "suspects": 3}],
                  "seizures": [{"drug": "cannabis", "quantity": 1.5, "measure": "kg"},
                               {"drug": "pills", "quantity": 20, "measure": "viên"}]}
        interim = {"offences": [{"offence": "possession", "cases": 1, "suspects": 1}], "seizures": []}
        return [report("approved", seized, late=True), report("approved", interim, period="W1"),
                report("submitted", seized, unit="CA-T56"), report("approved", None, unit="UBX-22366", late=True)]

    def budget_totals(self, plan_id):
        return BudgetTotals(by_source={"state_budget": (100_000_000, 40_000_000), "socialisation": (20_000_000, 0)},
                            by_task={})

    def indicator_totals(self, plan_id):
        return {"people_newly_managed": 9, "resources_mobilised_vnd": 15_000_000}


class Repository:
    def __init__(self, plan):
        self.plan = plan

    def get(self, plan_id):
        return self.plan if plan_id == self.plan.id else None


class Today:
    @staticmethod
    def today():
        return date(2026, 7, 1)


def deps():
    plan = Plan.draft("p1", "Kế hoạch Tháng hành động phòng, chống ma túy năm 2026", "action_month", "56",
                      date(2026, 6, 1), date(2026, 6, 30), TARGETS, summary_report_due_on=date(2026, 7, 2))
    plan.issue("UBND tỉnh Khánh Hòa", "2057/KH-UBND", date(2026, 5, 20), "Người ký", date(2026, 5, 21))
    task = Task.draft("t1", plan, "-Tuyên truyền trong trường học", "SGD-T56", ["CAX-22366"], date(2026, 6, 1),
                      date(2026, 6, 25), indicators=TARGETS)
    task.assign("UBX-22366", "22366", {"outreach_sessions": 30}, date(2026, 5, 25))
    return dict(uow=SimpleNamespace(plans=Repository(plan)), views=Views(plan, task), report_figures=Rollup(),
                report_renderer=SpreadsheetReport())


def workbook(principal=COORDINATOR):
    return load_workbook(io.BytesIO(export_plan_report(ExportPlanReport("p1"), principal, clock=Today, **deps())))


def values(sheet, row):
    return [cell.value for cell in sheet[row]]


def test_the_cover_carries_the_heading_block_title_and_plan():
    cover = workbook()["Báo cáo"]
    assert (cover["A1"].value, cover["A2"].value) == ("UBND TỈNH KHÁNH HÒA", "BAN CHỈ ĐẠO PHÒNG, CHỐNG MA TÚY")
    assert (cover["E1"].value, cover["E2"].value) == ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                                                      "Độc lập - Tự do - Hạnh phúc")
    assert cover["E4"].value == "Khánh Hòa, ngày 01 tháng 07 năm 2026"
    assert cover["A6"].value == "BÁO CÁO KẾT QUẢ THỰC HIỆN KẾ HOẠCH 2057/KH-UBND" and cover["A6"].font.b
    assert cover["A7"].value == "Kế hoạch Tháng hành động phòng, chống ma túy năm 2026"
    assert "A1:C1" in cover.merged_cells and "E1:H1" in cover.merged_cells


def test_a_sheet_per_section_each_with_bold_frozen_headers():
    book = workbook()
    assert book.sheetnames == ["Báo cáo", "Tổng hợp chỉ tiêu", "Theo đơn vị", "Theo địa bàn", "Tiến độ nhiệm vụ",
                               "Kết quả đấu tranh", "Kinh phí"]
    summary = book["Tổng hợp chỉ tiêu"]
    assert values(summary, 4) == ["STT", "Chỉ tiêu", "Đơn vị tính", "Chỉ tiêu kế hoạch", "Báo cáo", "Tính từ hồ sơ",
                                  "Tỷ lệ %"]
    assert all(cell.font.b for cell in summary[4]) and summary.freeze_panes == "C5"
    assert summary.column_dimensions["B"].width == 44
    assert values(summary, 5) == [1, "Buổi tuyên truyền", "buổi", 100, 59, None, 0.59]
    assert values(summary, 6) == [2, "Người mới được quản lý", "người", 40, 0, 9, 0.225]
    assert summary["G5"].number_format == "0.0%" and summary["D5"].number_format == "#,##0"
    assert values(summary, 7)[1].startswith("Tổng cộng") and values(summary, 7)[6] == pytest.approx(0.4075)


def test_the_unit_sheet_shows_each_units_figures_and_a_totals_row_equal_to_their_sum():
    sheet = workbook()["Theo đơn vị"]
    assert values(sheet, 4)[:4] == ["STT", "Đơn vị", "Mã đơn vị", "Buổi tuyên truyền (buổi)"]
    assert "D4:G4" in sheet.merged_cells and "A4:A5" in sheet.merged_cells
    assert values(sheet, 5)[3:7] == ["Chỉ tiêu", "Báo cáo", "Tính từ hồ sơ", "Tỷ lệ %"]
    assert sheet.freeze_panes == "D6"
    rows = {row[2]: row for row in (values(sheet, r) for r in range(6, 9))}
    assert rows["UBX-22366"][1:] == ["UBND phường Nha Trang", "UBX-22366", 30, 24, None, 0.8, 10, 0, 6, 0.6, 1]
    totals = values(sheet, 9)
    assert totals[1] == "Tổng cộng" and all(cell.font.b for cell in sheet[9])
    for column in (3, 4, 7, 11):
        assert totals[column] == sum(row[column] for row in rows.values()), column
    assert totals[9] == 9  # each area's computed figure once, not the units' 6 + 6 + 3
    assert totals[6] == pytest.approx(59 / 100)


def test_text_that_looks_like_a_formula_stays_text():
    book = workbook()
    name = next(row for row in book["Theo đơn vị"].iter_rows(min_row=6) if row[2].value == "UBX-22333")[1]
    assert name.value == '=HYPERLINK("http://x","bấm")' and name.data_type == "s" and name.quotePrefix
    title = book["Tiến độ nhiệm vụ"]["B5"]
    assert title.value == "-Tuyên truyền trong trường học" and title.data_type == "s" and title.quotePrefix


def test_areas_tasks_crackdown_and_budget_sheets():
    book = workbook()
    areas = book["Theo địa bàn"]
    assert [values(areas, r)[1:4] for r in (6, 7)] == [["Phường Bắc Nha Trang", "22333", 50],
                                                       ["Phường Nha Trang", "22366", 50]]
    assert values(areas, 8)[3:11] == [100, 59, None, 0.59, 40, 0, 9, 0.225]
    tasks = book["Tiến độ nhiệm vụ"]
    row = values(tasks, 5)
    assert row[2:4] == ["Sở Giáo dục và Đào tạo", "Công an phường Nha Trang"]
    assert (row[4].date(), row[5].date(), row[6:]) == (date(2026, 6, 1), date(2026, 6, 25), ["Có nguy cơ chậm", 1, 2])
    assert tasks["F5"].number_format == "DD/MM/YYYY"
    assert values(tasks, 6)[1] == "Tổng cộng: 1 nhiệm vụ" and values(tasks, 6)[7:] == [1, 2]
    crackdown = book["Kết quả đấu tranh"]
    possession = next(values(crackdown, r) for r in range(6, 19) if values(crackdown, r)[0] == 3)
    assert possession[1:4] == ["Tàng trữ trái phép chất ma túy (Điều 249)", 2, 3]  # the final report, not + W1
    assert values(crackdown, 19)[1:4] == ["Tổng cộng", 2, 3]
    seizures = {values(crackdown, r)[1]: values(crackdown, r)[2:5] for r in range(23, 29)}
    assert seizures["Cần sa"] == ["kg", 1.5, 1500] and seizures["Ma túy dạng viên (thuốc lắc, hồng phiến)"] == [
        "viên", 20, None]
    assert values(crackdown, 29)[4] == 1500
    budget = book["Kinh phí"]
    assert values(budget, 6)[1:5] == ["Ngân sách trung ương", 100_000_000, 40_000_000, 0.4]
    assert values(budget, 11)[1:5] == ["Tổng cộng", 120_000_000, 40_000_000, pytest.approx(1 / 3)]
    assert budget["C6"].number_format == "#,##0"
    assert values(budget, 15)[2] == 15_000_000


def test_the_csv_has_a_row_per_unit_and_indicator_with_a_bom_and_two_language_headers():
    content = export_plan_report_csv(ExportPlanReportCsv("p1"), COORDINATOR, **deps())
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == 6
    first = rows[0]
    assert list(first)[:3] == ["Mã đơn vị (unit_code)", "Tên đơn vị (unit_name)", "Mã địa bàn (area_codes)"]
    mine = next(r for r in rows if r["Mã đơn vị (unit_code)"] == "UBX-22366"
                and r["Mã chỉ tiêu (indicator_code)"] == "people_newly_managed")
    assert (mine["Chỉ tiêu (target)"], mine["Tính từ hồ sơ (computed)"], mine["Tỷ lệ % (percent)"],
            mine["Báo cáo trễ hạn (late_reports)"]) == ("10", "6", "60", "1")
    formula = next(r for r in rows if r["Mã đơn vị (unit_code)"] == "UBX-22333")
    assert formula["Tên đơn vị (unit_name)"] == "'=HYPERLINK(\"http://x\",\"bấm\")"


@pytest.mark.parametrize("principal", [
    Principal("cw", ("caseworker",), "UBX-22366", ("56",)),
    Principal("rp", ("unit_reporter",), "UBX-22366", ("22366",)),
    Principal("pc", ("plan_coordinator",), "UBX-22366", ("22366",)),
    Principal("pc", ("plan_coordinator",), "UBT-01", ("01",))])
def test_only_coordinators_auditors_and_admins_of_the_plans_area_take_the_report_out(principal):
    with pytest.raises(NotFound):
        workbook(principal)
    with pytest.raises(NotFound):
        export_plan_report_csv(ExportPlanReportCsv("p1"), principal, **deps())
    assert workbook(Principal("au", ("auditor",), None, ("56",)))["Báo cáo"]["A1"].value == "UBND TỈNH KHÁNH HÒA"
