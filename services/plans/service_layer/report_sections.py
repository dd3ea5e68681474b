"""The sections of a plan's consolidated report, laid out the way a provincial standing office sends it upward:
a summary per indicator, the figures per unit and per commune (an indicator's target, reported, computed and
percentage side by side), the tasks' progress, the crackdown results and the budget. Each table ends with its
`Tổng cộng` row."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from shared import areas

from services.plans.domain.consolidated import (BUDGET_SOURCE_WORDS, DRUG_WORDS, OFFENCE_WORDS, TASK_STATUS_WORDS,
                                                achieved, issuing_body, place_name, ratio, total)
from services.plans.domain.crackdown import DRUG_MEASURES, GRAMS_PER
from services.plans.domain.model import INDICATORS, is_computed
from services.plans.domain.periods import FINAL
from services.plans.service_layer.report_model import (Column, ConsolidatedReport, IndicatorFigures, PlanRollup,
                                                       RolledRow, Section, Table)

OFFICE = "BAN CHỈ ĐẠO PHÒNG, CHỐNG MA TÚY"
TOTAL = "Tổng cộng"
INDICATOR_COLUMNS = ("Chỉ tiêu", "Báo cáo", "Tính từ hồ sơ", "Tỷ lệ %")
APPROVED = "approved"


def build_report(plan, rollup: PlanRollup, tasks: list, reports: list, budget, indicator_totals: dict, names: dict,
                 today: date) -> ConsolidatedReport:
    number = plan.document_number or ""
    return ConsolidatedReport(
        issuing_body=issuing_body(plan.area_code), office=OFFICE,
        place_and_date=f"{place_name(plan.area_code)}, ngày {today.day:02d} tháng {today.month:02d} năm {today.year}",
        title=f"BÁO CÁO KẾT QUẢ THỰC HIỆN KẾ HOẠCH {number}".strip(), plan_title=plan.title,
        period=f"Từ ngày {plan.starts_on:%d/%m/%Y} đến ngày {plan.ends_on:%d/%m/%Y}",
        sections=[summary_section(plan, rollup.total), unit_section(plan, rollup, names),
                  area_section(plan, rollup), task_section(tasks, rollup.task_statuses, reports, names),
                  crackdown_section(reports), budget_section(budget, indicator_totals)])


def indicator_codes(plan) -> list[str]:
    return [item.code for item in plan.indicators]


def _indicator_group(code: str) -> list[Column]:
    definition = INDICATORS[code]
    group = f"{definition.name_vi} ({definition.measure})"
    return [Column(label, kind, 12, group) for label, kind in zip(INDICATOR_COLUMNS,
                                                                  ("number", "number", "number", "percent"))]


def _indicator_cells(code: str, target, reported, computed) -> list:
    return [target, reported, computed if is_computed(code) else None,
            ratio(achieved(code, reported, computed), target)]


def _figures(row: RolledRow | None, code: str) -> IndicatorFigures:
    empty = IndicatorFigures(None, None, None)
    return row.indicators.get(code, empty) if row is not None else empty


def summary_section(plan, province: RolledRow | None) -> Section:
    """The plan's own target of each indicator beside the province's figures."""
    rows, ratios = [], []
    for index, item in enumerate(plan.indicators, 1):
        definition, figures = INDICATORS[item.code], _figures(province, item.code)
        cells = _indicator_cells(item.code, item.target, figures.reported, figures.computed)
        rows.append([index, definition.name_vi, definition.measure, *cells])
        if cells[-1] is not None:
            ratios.append(cells[-1])
    columns = [Column("STT", "count", 6), Column("Chỉ tiêu", "text", 44), Column("Đơn vị tính", "text", 12),
               Column("Chỉ tiêu kế hoạch", "number", 14), Column("Báo cáo", "number", 14),
               Column("Tính từ hồ sơ", "number", 14), Column("Tỷ lệ %", "percent", 10)]
    totals = [None, f"{TOTAL} ({len(rows)} chỉ tiêu, tỷ lệ bình quân)", None, None, None, None,
              sum(ratios) / len(ratios) if ratios else None]
    return Section("Tổng hợp chỉ tiêu", "I. TỔNG HỢP KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU",
                   [Table(columns, rows, totals)], frozen_columns=2,
                   notes=["Tỷ lệ % = kết quả / chỉ tiêu; chỉ tiêu tính từ hồ sơ lấy số liệu tính từ hồ sơ, chỉ tiêu "
                          "khác lấy số liệu đơn vị báo cáo đã được phê duyệt."])


def _matrix(plan, rows_: list[RolledRow], labels, computed_total) -> tuple[list, list]:
    """A row per roll-up row (its label cells, then each indicator's four cells) and the totals row: targets and
    reported summed, computed as `computed_total(code)` gives it, the percentage of the totals."""
    rows, totals = [], [None, TOTAL, *[None] * (len(labels(rows_[0])) - 1 if rows_ else 0)]
    for index, row in enumerate(rows_, 1):
        cells = [index, *labels(row)]
        for code in indicator_codes(plan):
            figures = _figures(row, code)
            cells += _indicator_cells(code, figures.target, figures.reported, figures.computed)
        rows.append(cells)
    for code in indicator_codes(plan):
        targets = total(_figures(row, code).target for row in rows_)
        reported = total(_figures(row, code).reported for row in rows_)
        totals += _indicator_cells(code, targets, reported, computed_total(code))
    return rows, totals


def unit_section(plan, rollup: PlanRollup, names: dict) -> Section:
    units = sorted(rollup.units, key=lambda row: (names.get(row.code, row.code), row.code))
    rows, totals = _matrix(plan, units, lambda row: [names.get(row.code, row.code), row.code],
                           lambda code: _figures(rollup.total, code).computed)
    columns = [Column("STT", "count", 6), Column("Đơn vị", "text", 36), Column("Mã đơn vị", "text", 14)]
    columns += [c for code in indicator_codes(plan) for c in _indicator_group(code)]
    columns.append(Column("Báo cáo trễ hạn", "count", 10))
    rows = [[*cells, row.late_reports] for cells, row in zip(rows, units)]
    return Section("Theo đơn vị", "II. KẾT QUẢ THEO ĐƠN VỊ",
                   [Table(columns, rows, [*totals, sum(row.late_reports for row in units)])], frozen_columns=3,
                   notes=["Số liệu tính từ hồ sơ của một đơn vị là của các địa bàn đơn vị được giao; dòng Tổng cộng "
                          "tính mỗi địa bàn một lần."])


def area_section(plan, rollup: PlanRollup) -> Section:
    rows_ = sorted(rollup.areas, key=lambda row: row.code)
    rows, totals = _matrix(plan, rows_, lambda row: [areas.name_of(row.code) or row.code, row.code],
                           lambda code: total(_figures(row, code).computed for row in rows_))
    columns = [Column("STT", "count", 6), Column("Địa bàn", "text", 30), Column("Mã địa bàn", "text", 12)]
    columns += [c for code in indicator_codes(plan) for c in _indicator_group(code)]
    return Section("Theo địa bàn", "III. KẾT QUẢ THEO ĐỊA BÀN (XÃ, PHƯỜNG, ĐẶC KHU)",
                   [Table(columns, rows, totals)], frozen_columns=3)


def late_reports(reports: list, key) -> Counter:
    return Counter(key(report) for report in reports if report.late)


def task_section(tasks: list, task_statuses: dict, reports: list, names: dict):
    late = late_reports(reports, lambda r: r.task_id)
    rows = []
    for index, task in enumerate(tasks, 1):
        status = task_statuses.get(task.id, "not_started")
        rows.append([index, task.title, names.get(task.lead_unit, task.lead_unit),
                     ", ".join(names.get(u, u) for u in task.supporting_units), task.starts_on, task.due_on,
                     TASK_STATUS_WORDS.get(status, status), len(task.live_assignments()), late.get(task.id, 0)])
    columns = [Column("STT", "count", 6), Column("Nhiệm vụ", "text", 48), Column("Đơn vị chủ trì", "text", 28),
               Column("Đơn vị phối hợp", "text", 36), Column("Ngày bắt đầu", "date", 12),
               Column("Hạn hoàn thành", "date", 12), Column("Tình trạng", "text", 16),
               Column("Số đơn vị được giao", "count", 10), Column("Báo cáo trễ hạn", "count", 10)]
    statuses = Counter(row[6] for row in rows)
    totals = [None, f"{TOTAL}: {len(rows)} nhiệm vụ", None, None, None, None,
              "; ".join(f"{word}: {statuses[word]}" for word in TASK_STATUS_WORDS.values() if statuses[word]),
              sum(row[7] for row in rows), sum(row[8] for row in rows)]
    return Section("Tiến độ nhiệm vụ", "IV. TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ", [Table(columns, rows, totals)],
                   frozen_columns=2)


def approved_crackdowns(reports: list) -> list[dict]:
    """Per assignment: the approved final report's figures, or else those of its approved interim reports (the
    final report covers the whole period, so adding both would count twice)."""
    by_assignment = defaultdict(list)
    for report in reports:
        if report.status == APPROVED and report.crackdown:
            by_assignment[(report.task_id, report.unit_code)].append(report)
    chosen = []
    for approved in by_assignment.values():
        finals = [r for r in approved if r.period == FINAL]
        chosen += [r.crackdown for r in (finals or approved)]
    return chosen


def crackdown_section(reports: list):
    offences, seizures = defaultdict(lambda: [0, 0]), defaultdict(float)
    for figures in approved_crackdowns(reports):
        for row in figures.get("offences", []):
            offences[row["offence"]][0] += row.get("cases", 0)
            offences[row["offence"]][1] += row.get("suspects", 0)
        for row in figures.get("seizures", []):
            seizures[row["drug"]] += row.get("quantity", 0)
    offence_rows = [[i, words, *offences[code]] for i, (code, words) in enumerate(OFFENCE_WORDS.items(), 1)]
    offence_table = Table([Column("STT", "count", 6), Column("Tội danh", "text", 70), Column("Số vụ", "count", 10),
                           Column("Số đối tượng", "count", 12)], offence_rows,
                          [None, TOTAL, sum(r[2] for r in offence_rows), sum(r[3] for r in offence_rows)],
                          caption="1. Số vụ, số đối tượng phạm tội về ma túy bị phát hiện, bắt giữ")
    seizure_rows = []
    for index, (drug, measure) in enumerate(DRUG_MEASURES.items(), 1):
        grams = seizures[drug] * GRAMS_PER[measure] if measure in GRAMS_PER else None
        seizure_rows.append([index, DRUG_WORDS.get(drug, drug), measure, seizures[drug], grams])
    seizure_table = Table([Column("STT", "count", 6), Column("Loại ma túy", "text", 40),
                           Column("Đơn vị tính", "text", 12), Column("Số lượng", "number", 14),
                           Column("Quy ra gam", "number", 14)], seizure_rows,
                          [None, f"{TOTAL} (quy ra gam)", None, None, total(r[4] for r in seizure_rows)],
                          caption="2. Ma túy thu giữ")
    return Section("Kết quả đấu tranh", "V. KẾT QUẢ ĐẤU TRANH, TRẤN ÁP TỘI PHẠM VỀ MA TÚY",
                   [offence_table, seizure_table], frozen_columns=2,
                   notes=["Theo báo cáo của lực lượng Công an đã được phê duyệt; ma túy dạng viên tính theo viên, "
                          "không quy ra gam."])


def budget_section(budget, indicator_totals: dict):
    rows = []
    for index, (source, words) in enumerate(BUDGET_SOURCE_WORDS.items(), 1):
        planned, spent = budget.by_source.get(source, (0, 0))
        rows.append([index, words, planned, spent, ratio(spent, planned)])
    planned, spent = sum(r[2] for r in rows), sum(r[3] for r in rows)
    sources = Table([Column("STT", "count", 6), Column("Nguồn kinh phí", "text", 36),
                     Column("Kế hoạch (đồng)", "vnd", 18), Column("Đã chi (đồng)", "vnd", 18),
                     Column("Tỷ lệ giải ngân %", "percent", 12)], rows,
                    [None, TOTAL, planned, spent, ratio(spent, planned)], caption="1. Kinh phí theo nguồn")
    mobilised = Table([Column("STT", "count", 6), Column("Nội dung", "text", 36), Column("Số tiền (đồng)", "vnd", 18)],
                      [[1, "Hỗ trợ xã hội, cho vay ghi nhận trên hồ sơ cai nghiện, sau cai nghiện",
                        indicator_totals.get("resources_mobilised_vnd", 0)]],
                      caption="2. Nguồn lực huy động ghi nhận trên hồ sơ")
    return Section("Kinh phí", "VI. KINH PHÍ VÀ NGUỒN LỰC", [sources, mobilised], frozen_columns=2)
