"""A unit's deadlines and their calendar feed, against fakes of the ports (no database): which deadlines a unit
sees, that the feed parses with `icalendar` with stable UIDs and reminders, and the secret that opens it."""
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from icalendar import Calendar

from shared.auth import Principal
from shared.errors import NotAuthorised, NotFound

from services.plans.adapters.calendar_feed import ICalendarFeed
from services.plans.domain.commands import MintCalendarToken
from services.plans.domain.deadlines import may_mint_calendar_token, unit_deadlines
from services.plans.domain.model import Unit
from services.plans.domain.plan import IndicatorTarget, Plan
from services.plans.domain.queries import ReadUnitCalendar
from services.plans.domain.task import Task
from services.plans.service_layer.calendar import mint_calendar_token, read_unit_calendar

TARGETS = [IndicatorTarget("outreach_sessions", 100)]
COMMUNE = "22366"


class Weekdays:
    def is_working_day(self, day):
        return day.weekday() < 5


class Repository:
    def __init__(self, *aggregates):
        self.stored = {a.id: a for a in aggregates}

    def get(self, aggregate_id):
        return self.stored.get(aggregate_id)


class UnitOfWork:
    def __init__(self, units, plans, tasks):
        self.units, self.plans, self.tasks = Repository(*units), Repository(*plans), Repository(*tasks)


class Views:
    def __init__(self, plans, tasks):
        self.rows = [SimpleNamespace(id=p.id, status=p.status) for p in plans]
        self.tasks = tasks

    def plans(self):
        return self.rows

    def plan_tasks(self, plan_id):
        return [t for t in self.tasks if t.plan_id == plan_id]


class Tokens:
    def __init__(self):
        self.digests, self.generations = {}, {}

    def digest_of(self, unit_code):
        return self.digests.get(unit_code)

    def generation_of(self, unit_code):
        return self.generations.get(unit_code, 0)

    def replace(self, unit_code, digest, minted_at, minted_by):
        self.digests[unit_code] = digest
        self.generations[unit_code] = self.generations.get(unit_code, 0) + 1
        return self.generations[unit_code]


class Clock:
    @staticmethod
    def now():
        return datetime(2026, 5, 25, 8, tzinfo=timezone.utc)


def issued_plan(plan_id="p1", live=True):
    plan = Plan.draft(plan_id, "Tháng hành động phòng, chống ma túy 2026", "action_month", "56", date(2026, 6, 1),
                      date(2026, 6, 30), TARGETS, summary_report_due_on=date(2026, 7, 2))
    if live:
        plan.issue("UBND tỉnh Khánh Hòa", "2057/KH-UBND", date(2026, 5, 20), "Người ký", date(2026, 5, 21))
    return plan


def task_of(plan, task_id="t1", lead="SGD-T56", supporting=("CA-T56",), assigned=("UBX-22366",)):
    task = Task.draft(task_id, plan, "Tuyên truyền trong trường học", lead, list(supporting), date(2026, 6, 1),
                      date(2026, 6, 25), indicators=TARGETS)
    for code in assigned:
        task.assign(code, COMMUNE, {"outreach_sessions": 10}, date(2026, 5, 25))
    return task


UNITS = {code: Unit.register(code, name, kind, area, []) for code, name, kind, area in (
    ("UBX-22366", "UBND phường Bắc Nha Trang", "commune_committee", COMMUNE),
    ("SGD-T56", "Sở Giáo dục và Đào tạo", "department", "56"),
    ("CA-T56", "Công an tỉnh", "provincial_police", "56"),
    ("UBT-56", "UBND tỉnh Khánh Hòa", "provincial_committee", "56"),
    ("YT-22366", "Trạm y tế", "health_facility", COMMUNE))}


def keys(unit_code, plans, tasks):
    return [(d.key, d.due_on) for d in unit_deadlines(UNITS[unit_code], {p.id: p for p in plans}, tasks, Weekdays())]


def test_a_lead_and_a_supporting_unit_see_the_task_due_date_and_an_assigned_unit_also_each_report_deadline():
    plan = issued_plan()
    task = task_of(plan)
    assert keys("SGD-T56", [plan], [task]) == keys("CA-T56", [plan], [task]) == [("task-due.t1", date(2026, 6, 25))]
    assigned = keys("UBX-22366", [plan], [task])
    assert ("task-due.t1", date(2026, 6, 25)) in assigned
    # the task runs 1 to 25 June: no report is owed for W5 (29-30 June), which begins after it is due
    assert [k for k, _ in assigned if k.startswith("report-due")] == [
        "report-due.t1.W1", "report-due.t1.W2", "report-due.t1.W3", "report-due.t1.W4", "report-due.t1.final"]
    assert dict(assigned)["report-due.t1.W1"] == date(2026, 6, 9)  # two working days after Sunday 7 June
    assert keys("YT-22366", [plan], [task]) == []


def test_a_task_of_july_owes_no_report_for_the_months_before_it_starts():
    plan = Plan.draft("y", "Kế hoạch năm 2026", "yearly", "56", date(2026, 1, 1), date(2026, 12, 31), TARGETS)
    plan.issue("UBND tỉnh Khánh Hòa", "15/KH-UBND", date(2026, 1, 2), "Người ký", date(2026, 1, 3))
    task = Task.draft("t9", plan, "Cao điểm hè", "SGD-T56", [], date(2026, 7, 1), date(2026, 8, 31), indicators=TARGETS)
    task.assign("UBX-22366", COMMUNE, {"outreach_sessions": 10}, date(2026, 6, 20))
    assert [k for k, _ in keys("UBX-22366", [plan], [task]) if k.startswith("report-due")] == [
        "report-due.t9.2026-07", "report-due.t9.2026-08", "report-due.t9.final"]


def test_the_coordinating_unit_sees_the_summary_report_and_nothing_of_a_draft_or_a_waived_assignment():
    live, draft = issued_plan(), issued_plan("p2", live=False)
    assert keys("UBT-56", [live, draft], []) == [("summary-report.p1", date(2026, 7, 2))]
    assert keys("SGD-T56", [draft], [task_of(draft, "t2")]) == []
    task = task_of(live, supporting=())
    task.waive("UBX-22366", "Đơn vị đã sáp nhập, giao việc cho xã mới", date(2026, 6, 2))
    assert keys("UBX-22366", [live], [task]) == []


def fixtures():
    plan = issued_plan()
    task = task_of(plan)
    uow = UnitOfWork(UNITS.values(), [plan], [task])
    return dict(uow=uow, views=Views([plan], [task]), calendar_tokens=Tokens(), calendar_feed=ICalendarFeed(),
                working_days=Weekdays(), clock=Clock())


def reporter(unit="UBX-22366"):
    return Principal("reporter", ("unit_reporter",), unit, (COMMUNE,))


def mint(deps, principal, unit_code="UBX-22366"):
    return mint_calendar_token(MintCalendarToken(unit_code), principal, deps["uow"], deps["calendar_tokens"],
                               deps["clock"])


def feed(deps, token, unit_code="UBX-22366"):
    return read_unit_calendar(ReadUnitCalendar(unit_code, token), None, **deps)


def test_the_feed_parses_with_all_day_events_stable_uids_reminders_and_the_calendars_name():
    deps = fixtures()
    token = mint(deps, reporter()).token
    first, second = Calendar.from_ical(feed(deps, token)), Calendar.from_ical(feed(deps, token))
    assert str(first["X-WR-CALNAME"]) == "Hạn công việc phòng, chống ma túy - UBND phường Bắc Nha Trang"
    events = first.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [str(e["UID"]) for e in second.walk("VEVENT")]
    assert len({str(e["UID"]) for e in events}) == len(events) == 6
    due = next(e for e in events if str(e["UID"]) == "UBX-22366.task-due.t1@plans.donghanh")
    assert due.decoded("DTSTART") == date(2026, 6, 25) and due.decoded("DTEND") == date(2026, 6, 26)
    assert str(due["SUMMARY"]) == "Hạn hoàn thành nhiệm vụ (được giao): Tuyên truyền trong trường học"
    assert sorted(a.decoded("TRIGGER") for a in due.walk("VALARM")) == [-timedelta(days=7), -timedelta(days=1)]


def test_a_new_secret_replaces_the_old_and_a_wrong_or_missing_one_is_as_if_there_were_no_unit():
    deps = fixtures()
    old = mint(deps, reporter()).token
    new = mint(deps, Principal("pc", ("plan_coordinator",), "UBT-56", ("56",)))
    assert new.generation == 2 and new.token != old and len(new.token) >= 43
    assert deps["calendar_tokens"].digests["UBX-22366"] not in (old, new.token)
    assert feed(deps, new.token).startswith(b"BEGIN:VCALENDAR")
    for unit_code, token in (("UBX-22366", old), ("UBX-22366", None), ("UBX-22366", ""), ("NO-SUCH", new.token),
                             ("SGD-T56", new.token)):
        with pytest.raises(NotFound) as refused:
            feed(deps, token, unit_code)
        assert str(refused.value) == "no calendar at this address"


def test_only_the_units_own_reporters_and_its_areas_coordinators_mint_its_secret():
    deps = fixtures()
    with pytest.raises(NotAuthorised):
        mint(deps, reporter("YT-22366"))
    with pytest.raises(NotAuthorised):
        mint(deps, Principal("pc", ("plan_coordinator",), "UBX-22333", ("22333",)))
    with pytest.raises(NotFound):
        mint(deps, reporter(), "NO-SUCH")
    unit = UNITS["UBX-22366"]
    assert may_mint_calendar_token(Principal("a", ("admin",), None, ("56",)), unit)
    assert not may_mint_calendar_token(Principal("cw", ("caseworker",), "UBX-22366", (COMMUNE,)), unit)
