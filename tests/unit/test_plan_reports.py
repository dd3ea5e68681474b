"""Progress reports without I/O: the lifecycle draft -> submitted -> returned -> resubmitted -> approved, locked
figures and revisions, the late flag, crackdown figures and the indicators derived from them, and who may review."""
from datetime import date, datetime, timezone

import pytest

from shared.auth import Principal
from shared.refusals import DecisionInvalid, NotAllowedNow
from services.plans.domain.crackdown import OFFENCES
from services.plans.domain.periods import period_named, reporting_periods
from services.plans.domain.plan import IndicatorTarget, Plan
from services.plans.domain.report_access import may_review_report, may_see_report
from services.plans.domain.reports import (APPROVED, DRAFT, RESUBMITTED, RETURNED, SUBMITTED, Report,
                                           report_content)
from services.plans.domain.task import Task

JUNE = date(2026, 6, 1)
AT = datetime(2026, 7, 3, 2, 0, tzinfo=timezone.utc)
INDICATORS = ["outreach_sessions", "drug_cases", "suspects", "drugs_seized_g"]
CRACKDOWN = {"offences": [{"offence": "trafficking", "cases": 3, "suspects": 5},
                          {"offence": "organising_use", "cases": 1, "suspects": 4}],
             "seizures": [{"drug": "heroin", "quantity": 120.5, "measure": "g"},
                          {"drug": "cannabis", "quantity": 1.2, "measure": "kg"},
                          {"drug": "pills", "quantity": 300, "measure": "viên"}]}


class Weekdays:
    def is_working_day(self, day):
        return day.weekday() < 5


def issued_plan(status="issued"):
    plan = Plan.draft("p1", "Tháng hành động 2026", "action_month", "56", JUNE, date(2026, 6, 30),
                      [IndicatorTarget(code, 100) for code in INDICATORS], summary_report_due_on=date(2026, 7, 10))
    if status != "draft":
        plan.issue("UBND tỉnh Khánh Hòa", "2057/KH-UBND", date(2026, 5, 20), "Phó Chủ tịch", date(2026, 5, 20))
    return plan


def assigned_task(plan):
    task = Task.draft("t1", plan, "Đấu tranh tội phạm ma túy", "CA-T56", ["CAX-22366"], JUNE, date(2026, 6, 30),
                      indicators=[IndicatorTarget(code, 100) for code in INDICATORS])
    task.assign("CAX-22366", "22366", {"drug_cases": 10}, JUNE)
    task.assign("CA-T56", "56", {"drug_cases": 50}, JUNE)
    return task


def period(plan, code):
    return period_named(reporting_periods(plan.kind, plan.starts_on, plan.ends_on, plan.summary_report_due_on,
                                          Weekdays()), code)


def content(values=None, crackdown=None, kind="commune_police", documents=(), today=date(2026, 7, 1)):
    return report_content(values or {}, "Đã triển khai", list(documents), crackdown, INDICATORS, kind, today)


@pytest.fixture
def plan():
    return issued_plan()


@pytest.fixture
def task(plan):
    return assigned_task(plan)


def drafted(plan, task, code="W1", values=None):
    return Report.draft(plan, task, "CAX-22366", period(plan, code), content(values or {"outreach_sessions": 4}))


def test_a_report_goes_from_draft_through_return_to_approval_with_its_reviews(plan, task):
    report = drafted(plan, task)
    assert report.id == "t1.CAX-22366.W1" and report.status == DRAFT and report.area_code == "22366"
    report.submit(plan, task, date(2026, 6, 8))
    assert report.status == SUBMITTED and report.submitted_on == date(2026, 6, 8)
    report.return_(plan, task, "  Thiếu số buổi tuyên truyền tại trường  ", "ca-t56", "CA-T56", AT, date(2026, 6, 9))
    assert report.status == RETURNED
    report.change(plan, task, content({"outreach_sessions": 6}))
    report.submit(plan, task, date(2026, 6, 9))
    assert report.status == RESUBMITTED
    report.approve(plan, task, None, "ca-t56", "CA-T56", AT, date(2026, 6, 10))
    assert report.status == APPROVED and report.approved_values == {"outreach_sessions": 6.0}
    assert [(r.outcome, r.by, r.revision, r.comments) for r in report.reviews] == [
        ("returned", "ca-t56", 1, "Thiếu số buổi tuyên truyền tại trường"), ("approved", "ca-t56", 1, None)]
    assert [e.type for e in report.pending] == [
        "plans.report.drafted", "plans.report.submitted", "plans.report.returned", "plans.report.changed",
        "plans.report.submitted", "plans.report.approved"]


def test_approved_figures_are_locked_and_a_correction_is_a_revision_with_a_reason(plan, task):
    report = drafted(plan, task)
    report.submit(plan, task, date(2026, 6, 8))
    report.approve(plan, task, None, "pc", "UBND-T56", AT, date(2026, 6, 9))
    with pytest.raises(NotAllowedNow) as resubmitted:
        report.submit(plan, task, date(2026, 6, 10))
    assert resubmitted.value.allowed == ["revise"]
    with pytest.raises(NotAllowedNow):
        report.change(plan, task, content({"outreach_sessions": 9}))
    with pytest.raises(DecisionInvalid) as no_reason:
        report.revise(plan, task, " ", content({"outreach_sessions": 9}), date(2026, 6, 10))
    assert no_reason.value.field == "reason"
    report.revise(plan, task, "Bổ sung số liệu của tổ dân phố 3", content({"outreach_sessions": 9}),
                  date(2026, 6, 10))
    assert (report.revision, report.status, report.values) == (2, SUBMITTED, {"outreach_sessions": 9.0})
    assert report.approved_values == {"outreach_sessions": 4.0} and report.approved_revision == 1
    assert report.revisions[0].reason == "Bổ sung số liệu của tổ dân phố 3"
    report.approve(plan, task, None, "pc", "UBND-T56", AT, date(2026, 6, 11))
    assert report.approved_values == {"outreach_sessions": 9.0} and report.approved_revision == 2
    submitted = [e for e in report.pending if e.type == "plans.report.submitted"]
    assert [e.revision for e in submitted] == [1, 2]


def test_only_a_report_under_review_is_returned_or_approved_and_a_return_says_why(plan, task):
    report = drafted(plan, task)
    with pytest.raises(NotAllowedNow):
        report.approve(plan, task, None, "pc", "UBND-T56", AT, date(2026, 6, 9))
    report.submit(plan, task, date(2026, 6, 8))
    with pytest.raises(DecisionInvalid) as no_comments:
        report.return_(plan, task, "sai", "pc", "UBND-T56", AT, date(2026, 6, 9))
    assert no_comments.value.field == "comments"
    with pytest.raises(NotAllowedNow):
        report.submit(plan, task, date(2026, 6, 9))
    with pytest.raises(NotAllowedNow):
        report.change(plan, task, content({"outreach_sessions": 1}))
    with pytest.raises(NotAllowedNow):
        report.revise(plan, task, "Sửa số liệu", content({"outreach_sessions": 1}), date(2026, 6, 9))


def test_a_first_submission_after_the_due_date_is_late_and_stays_late(plan, task):
    week = period(plan, "W1")
    assert week.ends_on == date(2026, 6, 7) and week.due_on == date(2026, 6, 9)
    on_time = drafted(plan, task)
    on_time.submit(plan, task, week.due_on)
    assert on_time.late is False
    report = drafted(plan, task, "W2")
    report.submit(plan, task, date(2026, 6, 18))
    assert report.late is True and report.pending[-1].late is True
    report.return_(plan, task, "Bổ sung tài liệu kèm theo", "pc", "UBND-T56", AT, date(2026, 6, 18))
    report.submit(plan, task, date(2026, 6, 19))
    report.approve(plan, task, None, "pc", "UBND-T56", AT, date(2026, 6, 19))
    report.revise(plan, task, "Sửa số liệu tuần 2", content({"outreach_sessions": 2}), date(2026, 6, 20))
    assert report.late is True and report.pending[-1].late is True
    on_time.return_(plan, task, "Bổ sung tài liệu kèm theo", "pc", "UBND-T56", AT, date(2026, 6, 20))
    on_time.submit(plan, task, date(2026, 6, 25))
    assert on_time.late is False


def test_a_period_is_reported_on_once_it_has_begun(plan, task):
    report = drafted(plan, task, "W3")
    with pytest.raises(NotAllowedNow):
        report.submit(plan, task, date(2026, 6, 14))
    report.submit(plan, task, date(2026, 6, 15))


def test_reports_are_made_only_on_a_plan_in_force_and_a_live_assignment():
    draft_plan = issued_plan("draft")
    task = assigned_task(draft_plan)
    with pytest.raises(NotAllowedNow):
        Report.draft(draft_plan, task, "CAX-22366", period(draft_plan, "W1"), content({"outreach_sessions": 1}))
    plan = issued_plan()
    task = assigned_task(plan)
    report = drafted(plan, task)
    task.waive("CAX-22366", "Đơn vị đã sáp nhập vào phường khác", JUNE)
    with pytest.raises(NotAllowedNow):
        report.submit(plan, task, date(2026, 6, 8))
    with pytest.raises(NotAllowedNow):
        drafted(plan, task, "W2")


def test_a_period_outside_the_plan_is_refused_naming_it(plan):
    with pytest.raises(DecisionInvalid) as outside:
        period(plan, "2026-06")
    assert outside.value.field == "period"
    assert [p.code for p in reporting_periods(plan.kind, plan.starts_on, plan.ends_on, None, Weekdays())] == [
        "W1", "W2", "W3", "W4", "W5", "final"]


@pytest.mark.parametrize("values, field", [
    ({"hotspots_eliminated": 1}, "values.hotspots_eliminated"),
    ({"outreach_sessions": -1}, "values.outreach_sessions"),
    ({"outreach_sessions": "nhiều"}, "values.outreach_sessions"),
    ({"outreach_sessions": True}, "values.outreach_sessions"),
    ({"outreach_sessions": float("nan")}, "values.outreach_sessions"),
])
def test_values_are_non_negative_numbers_of_the_tasks_indicators(values, field):
    with pytest.raises(DecisionInvalid) as refused:
        content(values)
    assert refused.value.field == field


def test_crackdown_figures_feed_the_indicators_they_imply():
    reported = content({"outreach_sessions": 2}, CRACKDOWN)
    assert reported.values == {"outreach_sessions": 2.0, "drug_cases": 4.0, "suspects": 9.0,
                               "drugs_seized_g": 120.5 + 1200.0}
    typed_alike = content({"drug_cases": 4, "suspects": 9}, CRACKDOWN)
    assert typed_alike.values["drug_cases"] == 4.0
    with pytest.raises(DecisionInvalid) as disagrees:
        content({"drug_cases": 5}, CRACKDOWN)
    assert disagrees.value.field == "values.drug_cases"


def test_only_the_indicators_the_task_has_are_derived():
    reported = report_content({}, None, [], CRACKDOWN, ["outreach_sessions", "suspects"], "provincial_police",
                              date(2026, 7, 1))
    assert reported.values == {"suspects": 9.0}
    assert [o.offence for o in reported.crackdown.offences] == ["trafficking", "organising_use"]


@pytest.mark.parametrize("crackdown, kind, field", [
    (CRACKDOWN, "commune_committee", "crackdown"),
    (CRACKDOWN, None, "crackdown"),
    ({"offences": [{"offence": "smuggling", "cases": 1, "suspects": 1}]}, "commune_police",
     "crackdown.offences.0.offence"),
    ({"offences": [{"offence": "possession", "cases": 1.5, "suspects": 1}]}, "commune_police",
     "crackdown.offences.0.cases"),
    ({"offences": [{"offence": "possession", "cases": 1, "suspects": -1}]}, "commune_police",
     "crackdown.offences.0.suspects"),
    ({"offences": [{"offence": "possession", "cases": 1, "suspects": 1}] * 2}, "commune_police",
     "crackdown.offences.1.offence"),
    ({"seizures": [{"drug": "heroin", "quantity": 1, "measure": "kg"}]}, "commune_police",
     "crackdown.seizures.0.measure"),
    ({"seizures": [{"drug": "pills", "quantity": 3, "measure": "g"}]}, "commune_police",
     "crackdown.seizures.0.measure"),
    ({"seizures": [{"drug": "pills", "quantity": 2.5, "measure": "viên"}]}, "commune_police",
     "crackdown.seizures.0.quantity"),
    ({"seizures": [{"drug": "ketamine", "quantity": 3, "measure": "g"}]}, "commune_police",
     "crackdown.seizures.0.drug"),
    ({"seizures": [{"drug": "opium", "quantity": -3, "measure": "g"}]}, "commune_police",
     "crackdown.seizures.0.quantity"),
])
def test_crackdown_figures_are_refused_naming_the_field(crackdown, kind, field):
    with pytest.raises(DecisionInvalid) as refused:
        content({}, crackdown, kind)
    assert refused.value.field == field


def test_the_offences_are_the_drug_crimes_of_the_penal_code():
    assert sorted(OFFENCES.values()) == list(range(247, 260))
    assert (OFFENCES["cultivation"], OFFENCES["trafficking"], OFFENCES["inducing_use"]) == (247, 251, 258)


def test_a_document_issued_in_the_future_is_refused():
    with pytest.raises(DecisionInvalid) as refused:
        content({"outreach_sessions": 1}, documents=[{"number": "12/BC-CAX", "issued_on": date(2026, 8, 1),
                                                      "title": "Báo cáo"}])
    assert refused.value.field == "documents.0.issued_on"


def test_an_empty_report_is_not_submitted(plan, task):
    """Its state, not the submit request (which has no body), is at fault: a 409 naming what to do."""
    report = Report.draft(plan, task, "CAX-22366", period(plan, "W1"), content({}))
    with pytest.raises(NotAllowedNow):
        Report.draft(plan, task, "CAX-22366", period(plan, "W2"),
                     report_content({}, None, [], None, INDICATORS, None, JUNE)).submit(plan, task, date(2026, 6, 8))
    report.submit(plan, task, date(2026, 6, 8))


def test_the_lead_unit_and_the_coordinators_review_but_never_the_reporting_unit_itself(plan, task):
    reporter = Principal("r", ("unit_reporter",), "CAX-22366", ("22366",))
    lead = Principal("l", ("unit_reporter",), "CA-T56", ("56",))
    coordinator = Principal("c", ("plan_coordinator",), "UBND-T56", ("56",))
    auditor = Principal("a", ("auditor",), "TTr-T56", ("56",))
    other = Principal("o", ("unit_reporter",), "CAX-22333", ("22333",))
    for who, sees, reviews in ((reporter, True, False), (lead, True, True), (coordinator, True, True),
                               (auditor, True, False), (other, False, False)):
        assert may_see_report(who, "56", "CA-T56", "CAX-22366", "22366") is sees, who.subject
        assert may_review_report(who, "56", "CA-T56", "CAX-22366") is reviews, who.subject
    assert may_review_report(lead, "56", "CA-T56", "CA-T56") is False
    assert may_review_report(coordinator, "56", "UBND-T56", "UBND-T56") is True


def test_a_report_reads_back_from_its_snapshot(plan, task):
    report = Report.draft(plan, task, "CAX-22366", period(plan, "W1"), content({"outreach_sessions": 2}, CRACKDOWN))
    report.submit(plan, task, date(2026, 6, 8))
    report.approve(plan, task, "Tốt", "pc", "UBND-T56", AT, date(2026, 6, 9))
    again = Report.from_snapshot(report.id, report.snapshot(), report.version)
    assert again.snapshot() == report.snapshot() and again.crackdown == report.crackdown
    assert again.reviews[0].at == AT and again.due_on == date(2026, 6, 9)
    assert all(type(event).from_data(event.data()) == event for event in report.pending)
