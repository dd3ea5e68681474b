"""The roll-up fold without I/O: targets from shares (or the lead unit), approved and pending figures, computed
figures by commune and period (merged communes under their new code), percentages, statuses, late and missing
reports, the province total, and a partial fold agreeing with the whole one."""
import json
from dataclasses import dataclass, replace
from datetime import date

import pytest

from shared import areas
from services.plans.domain.periods import reporting_periods
from services.plans.domain.plan import IndicatorTarget, Plan
from services.plans.domain.progress import AT_RISK, DONE, NOT_STARTED, ON_TRACK, OVERDUE
from services.plans.domain.rollup import (ALL, AREA, TOTAL, UNIT, Context, Fold, computed_by_area,
                                          computed_of_areas, fold, indicator_codes, percentage, row_from_plain, row_to_plain, total_row,
                                          unit_computed)
from services.plans.domain.task import Task
from services.plans.service_layer.ports import ComputedFigure

APRIL, END = date(2026, 4, 1), date(2026, 6, 30)
NHA_TRANG, BAC_NHA_TRANG, TAY_NHA_TRANG = "22366", "22333", "22390"
MERGED_AWAY = "22345"
"""An old commune code (not a commune today) that the merge table sends to Nha Trang."""


class Weekdays:
    def is_working_day(self, day):
        return day.weekday() < 5


@dataclass(frozen=True)
class Report:
    id: str
    task_id: str
    unit_code: str
    area_code: str
    period: str
    status: str
    values: dict
    approved_values: dict | None = None
    late: bool = False
    submitted_on: date | None = date(2026, 5, 2)


def report(task_id, unit, area, period, status, values, approved=None, late=False, submitted_on=date(2026, 5, 2)):
    return Report(f"{task_id}.{unit}.{period}", task_id, unit, area, period, status, values, approved, late,
                  submitted_on)


def figure(code, area, day, amount=1):
    return ComputedFigure(code, area, day, amount)


def plan_in_force(indicators=(("outreach_sessions", 100), ("people_newly_managed", 40))):
    plan = Plan.draft("p1", "Kế hoạch quý II năm 2026", "yearly", "56", APRIL, END,
                      [IndicatorTarget(code, target) for code, target in indicators])
    plan.issue("UBND tỉnh Khánh Hòa", "123/KH-UBND", date(2026, 3, 20), "Phó Chủ tịch", date(2026, 3, 20))
    return plan


def outreach_task(plan, task_id="t1", lead="SVHTT", target=60):
    task = Task.draft(task_id, plan, "Tuyên truyền phòng, chống ma túy", lead, [], APRIL, END,
                      indicators=[IndicatorTarget("outreach_sessions", target)])
    task.assign("UB-22366", NHA_TRANG, {"outreach_sessions": 20}, APRIL)
    task.assign("UB-22333", BAC_NHA_TRANG, {"outreach_sessions": 30}, APRIL)
    return task


def managed_task(plan, task_id="t2"):
    task = Task.draft(task_id, plan, "Quản lý người sử dụng ma túy", "CA-T56", [], APRIL, END,
                      indicators=[IndicatorTarget("people_newly_managed", 40)])
    task.assign("CAX-22366", NHA_TRANG, {"people_newly_managed": 10}, APRIL)
    task.assign("CA-T56", "56", {"people_newly_managed": 30}, APRIL)
    return task


@pytest.fixture(autouse=True)
def merges(tmp_path):
    table = tmp_path / "merges.csv"
    table.write_text(f"old_code,old_name,new_code\n{MERGED_AWAY},Phường Cũ,{NHA_TRANG}\n")
    areas.use_merges(table)
    yield
    areas.use_merges(None)


def context(plan, tasks, today=date(2026, 5, 10), unit_areas=None):
    periods = reporting_periods(plan.kind, plan.starts_on, plan.ends_on, plan.summary_report_due_on, Weekdays())
    return Context(plan, periods, today, areas.current_code, areas.covers, unit_areas or {},
                   tuple(indicator_codes(plan, tasks)))


def rows_of(rows):
    return {(row.kind, row.code): row for row in rows}


def test_periods_are_the_plans_months_the_final_report_and_the_whole_plan():
    plan = plan_in_force()
    row = context(plan, []).new_row(UNIT, "X")
    assert list(row.periods) == ["2026-04", "2026-05", "2026-06", "final", ALL]


def test_a_units_target_is_the_sum_of_its_shares_and_a_task_nobody_is_assigned_stays_at_its_lead_unit():
    plan = plan_in_force()
    first, second = outreach_task(plan, "t1"), outreach_task(plan, "t3", target=50)
    lonely = Task.draft("t4", plan, "Kiểm tra cơ sở kinh doanh", "SVHTT", [], APRIL, END,
                        indicators=[IndicatorTarget("outreach_sessions", 7)])
    rows = rows_of(fold(context(plan, [first, second, lonely], unit_areas={"SVHTT": "56"}), [first, second, lonely],
                        [], []))
    assert rows[(UNIT, "UB-22366")].periods[ALL].indicators["outreach_sessions"].target == 40
    assert rows[(UNIT, "UB-22366")].periods["2026-05"].indicators["outreach_sessions"].target == 40
    assert rows[(UNIT, "SVHTT")].periods[ALL].indicators["outreach_sessions"].target == 7
    assert rows[(AREA, "56")].periods[ALL].indicators["outreach_sessions"].target == 7
    assert rows[(AREA, NHA_TRANG)].periods[ALL].indicators["outreach_sessions"].target == 40
    total = rows[(TOTAL, "56")]
    assert total.periods[ALL].indicators["outreach_sessions"].target == 40 + 60 + 7
    assert total.plan_targets == {"outreach_sessions": 100, "people_newly_managed": 40}
    assert total.unassigned == {"outreach_sessions": 10}


def test_a_waived_assignment_has_no_target_and_owes_no_report():
    plan = plan_in_force()
    task = outreach_task(plan)
    task.waive("UB-22333", "Nhiệm vụ giao cho đơn vị khác", date(2026, 4, 20))
    rows = rows_of(fold(context(plan, [task], today=date(2026, 7, 20)), [task], [], []))
    waived = rows[(UNIT, "UB-22333")] if (UNIT, "UB-22333") in rows else None
    assert waived is None
    assert rows[(TOTAL, "56")].periods[ALL].indicators["outreach_sessions"].target == 20
    assert rows[(TOTAL, "56")].periods[ALL].reports.expected == 4


def test_an_approved_final_report_stands_for_the_whole_plan_otherwise_approved_interim_reports_add_up():
    plan = plan_in_force()
    task = outreach_task(plan)
    reports = [report("t1", "UB-22366", NHA_TRANG, "2026-04", "approved", {"outreach_sessions": 5},
                      {"outreach_sessions": 5}),
               report("t1", "UB-22366", NHA_TRANG, "2026-05", "approved", {"outreach_sessions": 6},
                      {"outreach_sessions": 6}),
               report("t1", "UB-22333", BAC_NHA_TRANG, "2026-04", "approved", {"outreach_sessions": 4},
                      {"outreach_sessions": 4}),
               report("t1", "UB-22333", BAC_NHA_TRANG, "final", "approved", {"outreach_sessions": 31},
                      {"outreach_sessions": 31})]
    rows = rows_of(fold(context(plan, [task], today=date(2026, 7, 20)), [task], reports, []))
    nha_trang, bac = rows[(UNIT, "UB-22366")], rows[(UNIT, "UB-22333")]
    assert nha_trang.periods[ALL].indicators["outreach_sessions"].reported == 11
    assert nha_trang.periods["2026-05"].indicators["outreach_sessions"].reported == 6
    assert bac.periods[ALL].indicators["outreach_sessions"].reported == 31
    assert bac.periods["2026-04"].indicators["outreach_sessions"].reported == 4
    assert bac.periods["final"].indicators["outreach_sessions"].reported == 31
    assert rows[(TOTAL, "56")].periods[ALL].indicators["outreach_sessions"].reported == 42
    assert percentage("outreach_sessions", bac.periods[ALL].indicators["outreach_sessions"]) == 103.3


def test_submitted_figures_are_pending_until_approved_and_a_revision_leaves_the_approved_ones_standing():
    plan = plan_in_force()
    task = outreach_task(plan)
    reports = [report("t1", "UB-22366", NHA_TRANG, "2026-04", "submitted", {"outreach_sessions": 5}),
               report("t1", "UB-22366", NHA_TRANG, "2026-05", "resubmitted", {"outreach_sessions": 9},
                      {"outreach_sessions": 7}),
               report("t1", "UB-22333", BAC_NHA_TRANG, "2026-04", "draft", {"outreach_sessions": 3},
                      submitted_on=None)]
    rows = rows_of(fold(context(plan, [task]), [task], reports, []))
    whole = rows[(UNIT, "UB-22366")].periods[ALL]
    assert (whole.indicators["outreach_sessions"].reported, whole.indicators["outreach_sessions"].pending) == (7, 14)
    assert whole.reports.submitted == 2 and whole.reports.approved == 1
    assert rows[(UNIT, "UB-22333")].periods[ALL].indicators["outreach_sessions"].pending == 0
    assert rows[(UNIT, "UB-22333")].periods[ALL].reports.submitted == 0


def test_computed_figures_land_in_their_commune_and_period_and_a_merged_commune_under_its_new_code():
    plan = plan_in_force()
    task = managed_task(plan)
    figures = [figure("people_newly_managed", NHA_TRANG, date(2026, 4, 3)),
               figure("people_newly_managed", MERGED_AWAY, date(2026, 5, 3)),
               figure("people_newly_managed", TAY_NHA_TRANG, date(2026, 5, 9)),
               figure("people_newly_managed", TAY_NHA_TRANG, date(2026, 7, 9))]
    rows = rows_of(fold(context(plan, [task]), [task], [], figures))
    nha_trang = rows[(AREA, NHA_TRANG)]
    assert nha_trang.periods[ALL].indicators["people_newly_managed"].computed == 2
    assert nha_trang.periods["2026-05"].indicators["people_newly_managed"].computed == 1
    assert (AREA, MERGED_AWAY) not in rows
    assert rows[(AREA, TAY_NHA_TRANG)].periods[ALL].indicators["people_newly_managed"].computed == 1
    total = rows[(TOTAL, "56")].periods[ALL].indicators["people_newly_managed"]
    assert total.computed == 3 and percentage("people_newly_managed", total) == 7.5


def test_a_units_computed_figures_are_its_areas_and_a_provincial_unit_counts_the_whole_province_once():
    plan = plan_in_force()
    task = managed_task(plan)
    task.assign("CA-T56-PC04", NHA_TRANG, {"people_newly_managed": 0}, APRIL)
    figures = [figure("people_newly_managed", NHA_TRANG, date(2026, 4, 3)),
               figure("people_newly_managed", TAY_NHA_TRANG, date(2026, 5, 9))]
    ctx = context(plan, [task])
    rows = rows_of(fold(ctx, [task], [], figures))
    rows[(UNIT, "CA-T56")].areas.append(NHA_TRANG)
    assert rows[(AREA, "56")].periods[ALL].indicators["people_newly_managed"].computed == 0
    computed_in = computed_of_areas(rows[(TOTAL, "56")], [row for (kind, _), row in rows.items() if kind == AREA],
                                    lambda area: area == "56")
    assert unit_computed(rows[(UNIT, "CAX-22366")], computed_in, areas.covers)[ALL]["people_newly_managed"] == 1
    assert unit_computed(rows[(UNIT, "CA-T56")], computed_in, areas.covers)[ALL]["people_newly_managed"] == 2


def test_statuses_per_assignment_combine_per_task_unit_area_and_province():
    plan = plan_in_force()
    task = outreach_task(plan)
    managed = managed_task(plan)
    reports = [report("t1", "UB-22366", NHA_TRANG, "2026-04", "approved", {"outreach_sessions": 20},
                      {"outreach_sessions": 20})]
    figures = [figure("people_newly_managed", NHA_TRANG, date(2026, 4, 3), 10)]
    rows = rows_of(fold(context(plan, [task, managed], today=date(2026, 6, 10)), [task, managed], reports, figures))
    assert rows[(UNIT, "UB-22366")].status == DONE
    assert rows[(UNIT, "UB-22333")].status == AT_RISK
    assert rows[(UNIT, "CA-T56")].status == AT_RISK
    assert rows[(AREA, NHA_TRANG)].task_statuses == {"t1": {DONE: 1}, "t2": {DONE: 1}}
    assert rows[(AREA, NHA_TRANG)].status == DONE
    total = rows[(TOTAL, "56")]
    assert total.task_status("t1") == AT_RISK and total.status == AT_RISK
    assert total.statuses == {AT_RISK: 2, DONE: 2}
    early = rows_of(fold(context(plan, [task], today=date(2026, 4, 10)), [task], [], []))
    assert early[(TOTAL, "56")].status == NOT_STARTED
    late = rows_of(fold(context(plan, [task], today=date(2026, 7, 10)), [task], reports, []))
    assert late[(UNIT, "UB-22333")].status == OVERDUE and late[(TOTAL, "56")].status == OVERDUE
    started = [replace(reports[0], values={"outreach_sessions": 3}, approved_values={"outreach_sessions": 3})]
    assert rows_of(fold(context(plan, [task], today=date(2026, 4, 20)), [task], started, []))[
        (UNIT, "UB-22366")].status == ON_TRACK


def test_reports_flagged_late_and_reports_past_due_with_none_submitted_are_counted():
    plan = plan_in_force()
    task = outreach_task(plan)
    reports = [report("t1", "UB-22366", NHA_TRANG, "2026-04", "approved", {"outreach_sessions": 2},
                      {"outreach_sessions": 2}, late=True, submitted_on=date(2026, 5, 12))]
    rows = rows_of(fold(context(plan, [task], today=date(2026, 6, 10)), [task], reports, []))
    nha_trang = rows[(UNIT, "UB-22366")].periods
    assert (nha_trang[ALL].reports.expected, nha_trang[ALL].reports.due) == (4, 2)
    assert (nha_trang[ALL].reports.late, nha_trang[ALL].reports.missing) == (1, 1)
    assert nha_trang["2026-04"].reports.missing == 0 and nha_trang["2026-05"].reports.missing == 1
    total = rows[(TOTAL, "56")].periods[ALL].reports
    assert (total.expected, total.due, total.submitted, total.approved, total.late, total.missing) == (8, 4, 1, 1, 1, 3)


def test_a_draft_plan_owes_no_reports():
    plan = Plan.draft("p1", "Kế hoạch", "yearly", "56", APRIL, END, [IndicatorTarget("outreach_sessions", 100)])
    task = outreach_task(plan)
    rows = rows_of(fold(context(plan, [task], today=date(2026, 7, 10)), [task], [], []))
    assert rows[(TOTAL, "56")].periods[ALL].reports.expected == 0


def test_a_partial_fold_of_one_unit_and_its_areas_agrees_with_the_whole_fold():
    plan = plan_in_force()
    tasks = [outreach_task(plan), managed_task(plan)]
    reports = [report("t1", "UB-22366", NHA_TRANG, "2026-04", "approved", {"outreach_sessions": 5},
                      {"outreach_sessions": 5}),
               report("t1", "UB-22333", BAC_NHA_TRANG, "2026-04", "submitted", {"outreach_sessions": 4}),
               report("t2", "CAX-22366", MERGED_AWAY, "2026-04", "approved", {"people_newly_managed": 1},
                      {"people_newly_managed": 1})]
    figures = [figure("people_newly_managed", NHA_TRANG, date(2026, 4, 3)),
               figure("people_newly_managed", BAC_NHA_TRANG, date(2026, 5, 3))]
    ctx = context(plan, tasks, today=date(2026, 6, 10))
    whole = rows_of(fold(ctx, tasks, reports, figures))
    computed = computed_by_area(figures, ctx)
    partial = Fold(ctx, tasks, [r for r in reports if areas.current_code(r.area_code) == NHA_TRANG], computed)
    assert partial.unit_rows(["UB-22366"])["UB-22366"] == whole[(UNIT, "UB-22366")]
    assert partial.area_rows([NHA_TRANG])[NHA_TRANG] == whole[(AREA, NHA_TRANG)]
    areas_ = [row for (kind, _), row in whole.items() if kind == AREA]
    assert total_row(ctx, tasks, areas_) == whole[(TOTAL, "56")]


def test_percentage_is_null_without_a_target():
    plan = plan_in_force()
    task = outreach_task(plan)
    rows = rows_of(fold(context(plan, [task]), [task], [], []))
    assert percentage("people_newly_managed", rows[(UNIT, "UB-22366")].periods[ALL].indicators[
        "people_newly_managed"]) is None


def test_a_row_kept_as_plain_data_reads_back_the_same():
    plan = plan_in_force()
    task = outreach_task(plan)
    reports = [report("t1", "UB-22366", NHA_TRANG, "2026-04", "approved", {"outreach_sessions": 5},
                      {"outreach_sessions": 5}, late=True)]
    for row in fold(context(plan, [task]), [task], reports, [figure("people_newly_managed", NHA_TRANG, APRIL)]):
        assert row_from_plain(json.loads(json.dumps(row_to_plain(row)))) == row
