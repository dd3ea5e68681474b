"""A batch of a unit's report submissions without I/O: each report submitted or refused on its own with the answer
its single submission would have had, only the submitted ones saved (together), a save lost to another writer
refused alone."""
import copy
from datetime import date

from shared.auth import Principal
from shared.clock import Clock
from services.plans.domain.commands import ReportSubmission, SubmitReports
from services.plans.service_layer.report_batches import submit_reports
from services.plans.service_layer.unit_of_work import PlansUnitOfWork
from tests.unit.test_plan_reports import Weekdays, assigned_task, drafted, issued_plan

REPORTER = Principal("cax", ("unit_reporter",), "CAX-22366", ("22366",))


class Aggregates:
    def __init__(self, *aggregates):
        self.stored = {a.id: a for a in aggregates}

    def read(self, aggregate_id):
        return self.stored.get(aggregate_id)


class FakeReports(Aggregates):
    """Reads each batch's reports as copies; `losing` ids lose their save to another writer."""

    def __init__(self, *reports, losing=()):
        super().__init__(*reports)
        self.losing, self.saved = set(losing), []

    def get_many(self, ids, where=()):
        return {the_id: copy.deepcopy(self.stored[the_id]) for the_id in ids if the_id in self.stored}

    def save_many(self, aggregates, actor):
        self.saved += [(a.id, [e.type for e in a.pending]) for a in aggregates if a.id not in self.losing]
        return {a.id for a in aggregates if a.id in self.losing}


def stored(report):
    report.pending.clear()
    return report


def setting(losing=()):
    plan, today = issued_plan(), Clock()
    task = assigned_task(plan)
    approved = drafted(plan, task, "W2")
    approved.submit(plan, task, date(2026, 6, 30))
    approved.approve(plan, task, None, "pc", "UBND-T56", None, date(2026, 6, 30))
    reports = FakeReports(*(stored(r) for r in (drafted(plan, task, "W1"), approved, drafted(plan, task, "W3"),
                                                drafted(plan, task, "W4"))), losing=losing)
    today.today = lambda: date(2026, 6, 30)
    uow = PlansUnitOfWork(plans=Aggregates(plan), tasks=Aggregates(task), reports=reports)
    return uow, today


def submitted(uow, clock, principal, *items, unit="CAX-22366"):
    outcomes = submit_reports(SubmitReports(unit, tuple(ReportSubmission(*item) for item in items)), principal,
                              uow, clock, Weekdays())
    return [o.refusal.status if o.refusal else o.report.status for o in outcomes]


def test_each_report_is_submitted_or_refused_with_its_single_answer_and_only_the_submitted_are_saved():
    uow, clock = setting()
    assert submitted(uow, clock, REPORTER, ("t1", "W1", 1), ("t1", "W3", 7), ("t1", "W2", 3), ("t9", "W1", 1),
                     ("t1", "2026-13", 1), ("t1", "W1", 1), ("t1", "W4", 1)) == [
        "submitted", 412, 409, 404, 422, 409, "submitted"]
    assert uow.reports.saved == [("t1.CAX-22366.W1", ["plans.report.submitted"]),
                                 ("t1.CAX-22366.W4", ["plans.report.submitted"])]


def test_a_period_outside_the_plan_is_refused_naming_it():
    uow, clock = setting()
    outcome, = submit_reports(SubmitReports("CAX-22366", (ReportSubmission("t1", "2026-13", 1),)), REPORTER, uow,
                              clock, Weekdays())
    assert list(outcome.refusal.errors) == ["period"]


def test_a_save_lost_to_another_writer_refuses_that_report_alone():
    uow, clock = setting(losing={"t1.CAX-22366.W3"})
    assert submitted(uow, clock, REPORTER, ("t1", "W1", 1), ("t1", "W3", 1)) == ["submitted", 409]
    assert [the_id for the_id, _ in uow.reports.saved] == ["t1.CAX-22366.W1"]


def test_another_units_reports_are_not_found_and_nothing_is_saved():
    uow, clock = setting()
    other = Principal("cax2", ("unit_reporter",), "CAX-22333", ("22333",))
    assert submitted(uow, clock, other, ("t1", "W1", 1), ("t1", "W3", 1)) == [404, 404]
    assert uow.reports.saved == []
