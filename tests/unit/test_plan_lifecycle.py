"""The plan as a document (draft, issue, start, amend, close, copy), its tasks, assignments and shares, the
status and pace rules, the reporting periods and the deadline notices: plain Python, no I/O."""
from datetime import date
from types import SimpleNamespace

import pytest

from shared.refusals import DecisionInvalid, NotAllowedNow
from services.plans.domain.notices import (REPORT_DUE_SOON, REPORT_OVERDUE, TASK_DUE_SOON, TASK_OVERDUE,
                                           report_deadlines, task_deadline)
from services.plans.domain.periods import FINAL, period_named, reporting_periods
from services.plans.domain.plan import AMENDABLE_FIELDS, IndicatorTarget, Plan
from services.plans.domain.progress import (AT_RISK, DONE, NOT_STARTED, ON_TRACK, OVERDUE, assignment_status,
                                            combined, reported_figures, status_of)
from services.plans.domain.task import Task
from services.plans.entrypoints.plan_schemas import AmendmentChangesIn


class Weekdays:
    def is_working_day(self, day):
        return day.weekday() < 5


def action_month(plan_id="p", **extra) -> Plan:
    return Plan.draft(plan_id, "Tháng hành động phòng, chống ma túy năm 2026", "action_month", "56",
                      date(2026, 6, 1), date(2026, 6, 30), [IndicatorTarget("outreach_sessions", 100)],
                      summary_report_due_on=date(2026, 7, 2), **extra)


def issued(plan: Plan) -> Plan:
    plan.issue("UBND tỉnh Khánh Hòa", "2057/KH-UBND", date(2026, 5, 20), "Phó Chủ tịch", date(2026, 5, 21))
    return plan


def outreach_task(plan, task_id="t1", target=100) -> Task:
    return Task.draft(task_id, plan, "Tuyên truyền trong trường học", "SGD-T56", ["CA-T56"], date(2026, 6, 1),
                      date(2026, 6, 25), indicators=[IndicatorTarget("outreach_sessions", target)],
                      tags=["drug_free_schools"], place_types=["school"])


def test_a_plan_is_drafted_issued_started_and_closed_in_that_order():
    plan = action_month()
    assert plan.status == "draft" and not plan.is_live
    with pytest.raises(NotAllowedNow):
        plan.start(date(2026, 6, 1))
    with pytest.raises(NotAllowedNow) as refused:
        plan.amend("2101/KH-UBND", "điều chỉnh chỉ tiêu", date(2026, 6, 2), {"goals": "mới"})
    assert refused.value.allowed == ["change the draft"]
    issued(plan)
    assert (plan.status, plan.document_number, plan.signer) == ("issued", "2057/KH-UBND", "Phó Chủ tịch")
    with pytest.raises(NotAllowedNow) as refused:
        plan.change_draft({"goals": "khác"})
    assert refused.value.allowed == ["amend"]
    plan.start(date(2026, 6, 1))
    with pytest.raises(NotAllowedNow) as refused:
        plan.close(date(2026, 7, 5), ["t1/UBX-22366"], 0, date(2026, 7, 6))
    assert refused.value.allowed == ["approve or waive t1/UBX-22366"]
    plan.close(date(2026, 7, 5), [], 2, date(2026, 7, 6))
    assert plan.status == "closed" and plan.closed_on == date(2026, 7, 5)


def test_an_issue_dated_in_the_future_and_a_draft_ending_before_it_starts_are_refused():
    with pytest.raises(DecisionInvalid) as invalid:
        Plan.draft("p", "x", "yearly", "56", date(2026, 6, 1), date(2026, 5, 1), [])
    assert invalid.value.field == "ends_on"
    with pytest.raises(DecisionInvalid) as invalid:
        action_month().issue("UBND", "1/KH", date(2026, 6, 2), "Người ký", date(2026, 6, 1))
    assert invalid.value.field == "document_date"
    with pytest.raises(DecisionInvalid) as invalid:
        Plan.draft("p", "x", "yearly", "56", date(2026, 1, 1), date(2026, 12, 31),
                   [IndicatorTarget("outreach_sessions", -1)])
    assert invalid.value.field == "indicators.0.target"


def test_an_amendment_says_why_cites_its_document_and_is_kept_as_a_revision():
    plan = issued(action_month())
    for reason, field in (("", "reason"), ("abc", "reason")):
        with pytest.raises(DecisionInvalid) as invalid:
            plan.amend("2101/KH-UBND", reason, date(2026, 6, 2), {"goals": "x"})
        assert invalid.value.field == field
    with pytest.raises(DecisionInvalid) as invalid:
        plan.amend("2101/KH-UBND", "kéo dài thời gian", date(2026, 6, 2), {"starts_on": date(2026, 6, 2)})
    assert invalid.value.field == "changes.starts_on"
    with pytest.raises(DecisionInvalid) as invalid:
        plan.amend("2101/KH-UBND", "kéo dài thời gian", date(2026, 6, 2), {"ends_on": date(2026, 5, 1)})
    assert invalid.value.field == "changes.ends_on"
    plan.amend("2101/KH-UBND", "kéo dài thời gian thực hiện", date(2026, 6, 2),
               {"ends_on": date(2026, 7, 15), "indicators": [IndicatorTarget("outreach_sessions", 150)]})
    assert plan.ends_on == date(2026, 7, 15) and plan.target_of("outreach_sessions") == 150
    assert [(r.number, r.document_number, r.changed) for r in plan.revisions] == [
        (1, "2101/KH-UBND", ["ends_on", "indicators"])]
    restored = Plan.from_snapshot(plan.id, plan.snapshot(), plan.version)
    assert restored.revisions == plan.revisions and restored.ends_on == date(2026, 7, 15)
    assert restored.indicators == plan.indicators


def test_the_api_offers_exactly_the_fields_an_amendment_may_change():
    assert set(AmendmentChangesIn._declared_fields) == set(AMENDABLE_FIELDS)


def test_a_copy_shifts_every_date_keeps_targets_and_names_the_new_year():
    plan = issued(action_month())
    task = outreach_task(plan)
    task.assign("UBX-22366", "22366", {"outreach_sessions": 30}, date(2026, 5, 25))
    copy = plan.copy("p2027", date(2027, 6, 1))
    assert (copy.status, copy.title, copy.starts_on, copy.ends_on, copy.summary_report_due_on, copy.copied_from) == (
        "draft", "Tháng hành động phòng, chống ma túy năm 2027", date(2027, 6, 1), date(2027, 6, 30),
        date(2027, 7, 2), "p")
    assert copy.indicators == plan.indicators and copy.document_number is None
    copied = task.copy_to("t2027", copy, copy.starts_on - plan.starts_on)
    assert (copied.plan_id, copied.starts_on, copied.due_on, copied.tags) == (
        "p2027", date(2027, 6, 1), date(2027, 6, 25), ["drug_free_schools"])
    assert copied.assignments["UBX-22366"].shares == {"outreach_sessions": 30} and not copied.announced


def test_shares_may_not_exceed_a_target_and_the_difference_is_shown():
    task = outreach_task(action_month())
    task.assign("UBX-22366", "22366", {"outreach_sessions": 60}, date(2026, 5, 25))
    with pytest.raises(DecisionInvalid) as invalid:
        task.assign("UBX-22333", "22333", {"outreach_sessions": 41}, date(2026, 5, 25))
    assert invalid.value.field == "shares.outreach_sessions" and "40 is left" in invalid.value.message
    with pytest.raises(DecisionInvalid) as invalid:
        task.assign("UBX-22333", "22333", {"participants": 5}, date(2026, 5, 25))
    assert invalid.value.field == "shares.participants"
    task.assign("UBX-22366", "22366", {"outreach_sessions": 50}, date(2026, 5, 26))
    task.assign("UBX-22333", "22333", {"outreach_sessions": 45}, date(2026, 5, 26))
    assert task.unassigned() == {"outreach_sessions": 5}
    task.waive("UBX-22333", "xã đã sáp nhập vào phường mới", date(2026, 6, 2))
    assert task.unassigned() == {"outreach_sessions": 50}


def test_a_task_lies_in_its_plan_names_known_tags_and_place_types_and_keeps_targets_above_the_shares():
    plan = action_month()
    cases = (({"starts_on": date(2026, 5, 31)}, "starts_on"), ({"due_on": date(2026, 5, 31)}, "due_on"),
             ({"tags": ["no_such_movement"]}, "tags.0"), ({"place_types": ["market"]}, "place_types.0"))
    for change, field in cases:
        arguments = {"starts_on": date(2026, 6, 1), "due_on": date(2026, 6, 25), **change}
        with pytest.raises(DecisionInvalid) as invalid:
            Task.draft("t", plan, "x", "SGD-T56", [], arguments.pop("starts_on"), arguments.pop("due_on"),
                       **arguments)
        assert invalid.value.field == field
    task = outreach_task(plan)
    task.assign("UBX-22366", "22366", {"outreach_sessions": 60}, date(2026, 5, 25))
    with pytest.raises(DecisionInvalid) as invalid:
        task.change(plan, {"indicators": [IndicatorTarget("outreach_sessions", 50)]})
    assert invalid.value.field == "indicators"


def test_a_draft_plans_task_is_not_published_until_the_plan_is_issued_and_is_announced_once():
    plan = action_month()
    task = outreach_task(plan)
    task.assign("UBX-22366", "22366", {"outreach_sessions": 10}, date(2026, 5, 25))
    assert [e.published for e in task.pending] == [False, False]
    issued(plan)
    task.announce()
    task.announce()
    assert [e.type for e in task.pending if e.published] == ["plans.task.assigned"]
    assert task.pending[-1].assigned_units == ["UBX-22366"]
    task.assign("UBX-22333", "22333", {"outreach_sessions": 10}, date(2026, 6, 2))
    assert task.pending[-1].type == "plans.assignment.made"
    live = outreach_task(issued(action_month("q")), "t2")
    assert [e.type for e in live.pending] == ["plans.task.drafted", "plans.task.assigned"]


def test_a_change_to_a_task_of_a_plan_in_force_cites_its_amendment():
    plan = issued(action_month())
    task = outreach_task(plan)
    with pytest.raises(DecisionInvalid) as invalid:
        task.change(plan, {"due_on": date(2026, 6, 28)})
    assert invalid.value.field == "reason"
    with pytest.raises(DecisionInvalid) as invalid:
        task.change(plan, {"due_on": date(2026, 6, 28)}, "theo kế hoạch sửa đổi")
    assert invalid.value.field == "document_number"
    task.change(plan, {"due_on": date(2026, 6, 28)}, "theo kế hoạch sửa đổi", "2101/KH-UBND")
    assert task.due_on == date(2026, 6, 28) and task.pending[-1].type == "plans.task.amended"
    assert task.pending[-1].published


def test_status_follows_the_pace_after_half_the_period():
    starts, due = date(2026, 6, 1), date(2026, 6, 21)
    targets = {"outreach_sessions": 10}
    assert status_of(targets, {}, False, False, starts, due, date(2026, 6, 5)) == NOT_STARTED
    assert status_of(targets, {"outreach_sessions": 2}, True, False, starts, due, date(2026, 6, 5)) == ON_TRACK
    assert status_of(targets, {"outreach_sessions": 5}, True, False, starts, due, date(2026, 6, 11)) == ON_TRACK
    assert status_of(targets, {"outreach_sessions": 5}, True, False, starts, due, date(2026, 6, 16)) == AT_RISK
    assert status_of(targets, {}, False, False, starts, due, date(2026, 6, 16)) == AT_RISK
    assert status_of(targets, {"outreach_sessions": 9}, True, False, starts, due, date(2026, 6, 22)) == OVERDUE
    assert status_of(targets, {"outreach_sessions": 10}, True, False, starts, due, date(2026, 6, 22)) == DONE
    assert status_of(targets, {"outreach_sessions": 3}, True, True, starts, due, date(2026, 6, 22)) == DONE
    assert combined([DONE, AT_RISK, ON_TRACK]) == AT_RISK
    assert combined([DONE, OVERDUE, AT_RISK]) == OVERDUE
    assert combined([NOT_STARTED, NOT_STARTED]) == NOT_STARTED
    assert combined([NOT_STARTED, ON_TRACK]) == ON_TRACK and combined([DONE, DONE]) == DONE


def report(period, status, values, approved=None):
    return SimpleNamespace(period=period, status=status, values=values, approved_values=approved)


def test_figures_are_the_final_reports_or_the_sum_of_interim_ones_and_drafts_do_not_count():
    reports = [report("W1", "approved", {"outreach_sessions": 3}, {"outreach_sessions": 3}),
               report("W2", "submitted", {"outreach_sessions": 4}),
               report("W3", "draft", {"outreach_sessions": 9}),
               report("W4", "returned", {"outreach_sessions": 8}, {"outreach_sessions": 1})]
    assert reported_figures(reports) == {"outreach_sessions": 8}
    assert reported_figures(reports, approved_only=True) == {"outreach_sessions": 4}
    final = report(FINAL, "approved", {"outreach_sessions": 12}, {"outreach_sessions": 12})
    assert reported_figures([*reports, final]) == {"outreach_sessions": 12}
    assert reported_figures([report("W1", "draft", {"outreach_sessions": 1})]) is None
    assert assignment_status({"outreach_sessions": 10}, [*reports, final], date(2026, 6, 1), date(2026, 6, 25),
                             date(2026, 6, 26)) == DONE


def test_the_action_month_reports_weekly_a_yearly_plan_monthly_and_both_a_final_report():
    periods = reporting_periods("action_month", date(2026, 6, 1), date(2026, 6, 30), date(2026, 7, 2), Weekdays())
    assert [(p.code, p.starts_on.day, p.ends_on.day, p.due_on) for p in periods] == [
        ("W1", 1, 7, date(2026, 6, 9)), ("W2", 8, 14, date(2026, 6, 16)), ("W3", 15, 21, date(2026, 6, 23)),
        ("W4", 22, 28, date(2026, 6, 30)), ("W5", 29, 30, date(2026, 7, 2)), (FINAL, 1, 30, date(2026, 6, 30))]
    yearly = reporting_periods("yearly", date(2026, 1, 1), date(2026, 12, 31), None, Weekdays())
    assert [p.code for p in yearly] == [f"2026-{m:02d}" for m in range(1, 13)] + [FINAL]
    assert yearly[-1].due_on == date(2027, 1, 7)
    compiled = reporting_periods("yearly", date(2026, 1, 1), date(2026, 12, 31), date(2027, 1, 20), Weekdays())
    assert compiled[-1].due_on == date(2027, 1, 15)  # three working days before the summary report goes up
    with pytest.raises(DecisionInvalid) as invalid:
        period_named(periods, "2026-07")
    assert invalid.value.field == "period"


def test_a_task_of_july_is_not_noticed_for_reports_of_the_months_before_it_starts():
    plan = Plan.draft("y", "Kế hoạch năm 2026", "yearly", "56", date(2026, 1, 1), date(2026, 12, 31), [])
    task = Task.draft("t", plan, "Cao điểm hè", "CAX-22366", [], date(2026, 7, 1), date(2026, 8, 31),
                      indicators=[IndicatorTarget("outreach_sessions", 10)])
    task.assign("CAX-22366", "22366", {"outreach_sessions": 10}, date(2026, 6, 20))
    periods = reporting_periods(plan.kind, plan.starts_on, plan.ends_on, None, Weekdays())
    assert report_deadlines(task, periods, set(), date(2026, 4, 10)) == []
    assert [n.period for n in report_deadlines(task, periods, set(), date(2026, 9, 10))] == ["2026-07", "2026-08"]


def test_deadlines_are_noticed_once_and_not_when_reported_or_done():
    plan = issued(action_month())
    task = outreach_task(plan)
    task.assign("UBX-22366", "22366", {"outreach_sessions": 10}, date(2026, 5, 25))
    periods = reporting_periods(plan.kind, plan.starts_on, plan.ends_on, plan.summary_report_due_on, Weekdays())
    day = date(2026, 6, 17)
    notices = report_deadlines(task, periods, {("UBX-22366", "W2")}, day)
    assert [(n.notice, n.period) for n in notices] == [(REPORT_OVERDUE, "W1"), (REPORT_DUE_SOON, "W3")]
    assert task_deadline(task, ON_TRACK, date(2026, 6, 18)).notice == TASK_DUE_SOON
    assert task_deadline(task, ON_TRACK, date(2026, 6, 26)).notice == TASK_OVERDUE
    assert task_deadline(task, DONE, date(2026, 6, 26)) is None
    assert task_deadline(task, ON_TRACK, date(2026, 6, 10)) is None
    assert [task.notice(n) for n in notices] == [True, True]
    assert [task.notice(n) for n in notices] == [False, False]
    restored = Task.from_snapshot(task.id, task.snapshot(), task.version)
    assert [restored.notice(n) for n in notices] == [False, False]
