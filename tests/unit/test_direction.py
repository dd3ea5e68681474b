"""The direction measures' arithmetic (services/plans/domain/direction.py) and its service layer against fakes:
quarters, shares, trends, who counts as entering treatment and as managed in aftercare."""
from datetime import date
from fractions import Fraction

import pytest

from shared.auth import Principal
from shared.errors import InvalidInput, NotAuthorised
from services.cases.adapters.workflow_files import load_workflows
from services.plans.domain import direction as d
from services.plans.domain.direction import Quarter, direction_facts, direction_report, share, trend
from services.plans.domain.queries import ReadDirection
from services.plans.service_layer.direction import read_direction

A, B = "22366", "22333"


def step(event_id, event_type, person, commune, on, case=None, **extra):
    data = {"case_id": case or f"case-{person}", "person_code": person, "commune_code": commune,
            "effective_on": on.isoformat(), **extra}
    return direction_facts(event_id, event_type, data, commune)


def entry(event_id, kind, person, commune, on):
    return step(event_id, {"voluntary": d.VOLUNTARY, "methadone": d.METHADONE, "compulsory": d.COMPULSORY}[kind],
                person, commune, on, to_stage={"voluntary": "community_rehab", "methadone": "ost",
                                               "compulsory": "in_facility"}[kind], from_stage="user_management")


def test_quarters_parse_and_step_across_years():
    q = Quarter.parse("2026Q1")
    assert (q.first_day, q.last_day) == (date(2026, 1, 1), date(2026, 3, 31))
    assert str(q.previous()) == "2025Q4" and str(Quarter.parse("2025Q4").next()) == "2026Q1"
    assert Quarter.of(date(2026, 8, 15)) == Quarter(2026, 3) and Quarter.parse("2026Q4").last_day == date(2026, 12, 31)
    assert [str(x) for x in d.quarters_between(Quarter.parse("2025Q4"), Quarter.parse("2026Q2"))] == [
        "2025Q4", "2026Q1", "2026Q2"]
    for bad in ("2026Q5", "2026-Q1", "26Q1", "1999Q4", "", "2026q1"):
        with pytest.raises(ValueError):
            Quarter.parse(bad)


def test_a_share_of_nobody_is_none_not_zero_and_trends_compare_exactly():
    assert share(0, 0) is None and share(0, 3) == 0 and share(2, 3) == Fraction(2, 3)
    assert trend(Fraction(1, 2), Fraction(2, 3)) == d.Trend(Fraction(-1, 6), "falling")
    assert trend(Fraction(1, 3), Fraction(2, 6)).direction == "flat"
    assert trend(Fraction(1), Fraction(0)).direction == "rising"
    assert trend(None, Fraction(1)) == d.Trend() and trend(Fraction(1), None) == d.Trend()


def test_what_counts_as_entering_treatment_and_leaving_aftercare():
    [voluntary] = entry("e1", "voluntary", "P1", A, date(2026, 2, 1))
    assert (voluntary.kind, voluntary.treatment, voluntary.quarter, voluntary.key) == ("entry", "voluntary", "2026Q1",
                                                                                       "entry:e1")
    from_aftercare = step("e2", d.METHADONE, "P2", A, date(2026, 5, 1), from_stage="aftercare", to_stage="ost")
    assert [(f.kind, f.key) for f in from_aftercare] == [("entry", "entry:e2"), ("aftercare_exit", "aftercare_exit:e2")]
    relapse = step("e3", d.RELAPSE_REPORTED, "P3", A, date(2026, 5, 2), from_stage="aftercare", to_stage="relapse")
    assert [f.kind for f in relapse] == ["aftercare_exit", "relapse"]
    closed_elsewhere = step("e4", "cases.case.closed", "P4", A, date(2026, 5, 2), from_stage="ost", to_stage="closed")
    assert closed_elsewhere == []
    on_methadone = {"case_id": "c", "commune_code": A, "stage": "ost", "tested_on": "2026-05-02"}
    assert direction_facts("e5", d.RELAPSE_SUSPECTED, on_methadone, A) == []
    positive = direction_facts("e6", d.RELAPSE_SUSPECTED, {**on_methadone, "stage": "aftercare"}, A)
    assert [(f.kind, f.case_id, f.day) for f in positive] == [("relapse", "c", date(2026, 5, 2))]


def test_an_aftercare_spell_is_kept_once_per_quarter_of_its_planned_period():
    spell = step("a1", d.AFTERCARE_STARTED, "P1", A, date(2026, 2, 10), from_stage="community_rehab",
                 to_stage="aftercare", due={"aftercare_ends_on": "2027-02-10"})
    assert [f.quarter for f in spell] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4", "2027Q1"]
    assert {f.ends_on for f in spell} == {date(2027, 2, 10)} and len({f.key for f in spell}) == 5


def test_the_workflow_steps_the_measures_read_are_the_ones_the_files_define():
    """A step added to the workflow files that takes a case out of aftercare must be bound too."""
    for workflow in load_workflows().values():
        for t in workflow.transitions:
            if "aftercare" in t.from_stages and t.to != "aftercare":
                assert t.emits in d.LEAVING_AFTERCARE, (workflow.regime, t.name)
            if t.emits in d.ENTRIES:
                assert t.to in {"voluntary": ("community_rehab", "facility_rehab"), "methadone": ("ost",),
                                "compulsory": ("in_facility",)}[d.ENTRIES[t.emits]], (workflow.regime, t.name)
        assert {t.emits for t in workflow.transitions} >= {*d.ENTRIES, d.AFTERCARE_STARTED, *d.LEAVING_AFTERCARE}


def figures(report, quarter, commune=None):
    q = next(q for q in report if str(q.quarter) == quarter)
    return q.total if commune is None else next(c for c in q.communes if c.area_code == commune)


def test_the_share_counts_people_once_per_quarter_and_commune_and_trends_from_the_quarter_before():
    facts = [*entry("q4", "compulsory", "P0", A, date(2025, 12, 1)),
             *entry("e1", "voluntary", "P1", A, date(2026, 1, 5)),
             *entry("e2", "methadone", "P2", A, date(2026, 2, 5)),
             *entry("e3", "compulsory", "P3", A, date(2026, 3, 5)),
             *entry("e4", "voluntary", "P3", A, date(2026, 3, 6)),
             *entry("e5", "compulsory", "P5", B, date(2026, 3, 7)),
             *entry("e6", "voluntary", "P1", A, date(2026, 4, 1)),
             *entry("e7", "compulsory", "P7", A, date(2026, 4, 2))]
    report = direction_report("56", Quarter.parse("2026Q1"), Quarter.parse("2026Q2"), facts, [])
    a1 = figures(report, "2026Q1", A)
    assert (a1.entering_total, a1.entering_voluntary_or_methadone, a1.entering_compulsory) == (3, 3, 1)
    assert a1.share == 1 and a1.trend == d.Trend(Fraction(1), "rising")
    total = figures(report, "2026Q1")
    assert (total.area_code, total.entering_total, total.share) == ("56", 4, Fraction(3, 4))
    assert figures(report, "2026Q1", B).share == 0 and figures(report, "2026Q1", B).trend == d.Trend()
    a2 = figures(report, "2026Q2", A)
    assert (a2.share, a2.trend) == (Fraction(1, 2), d.Trend(Fraction(-1, 2), "falling"))
    b2 = figures(report, "2026Q2", B)
    assert (b2.entering_total, b2.share, b2.trend) == (0, None, d.Trend())
    assert [str(q.quarter) for q in report] == ["2026Q1", "2026Q2"]
    only_b = direction_report(B, Quarter.parse("2026Q1"), Quarter.parse("2026Q1"), facts, [])
    assert [c.area_code for c in only_b[0].communes] == [B] and only_b[0].total.entering_total == 1


def test_relapse_rate_is_cases_with_a_positive_test_over_cases_managed_in_aftercare_that_quarter():
    def spell(event_id, case, start, ends):
        return step(event_id, d.AFTERCARE_STARTED, case, A, start, case=case, from_stage="facility_rehab",
                    to_stage="aftercare", due={"aftercare_ends_on": ends.isoformat()})

    def positive(event_id, case, on):
        return direction_facts(event_id, d.RELAPSE_SUSPECTED, {"case_id": case, "commune_code": A,
                                                               "stage": "aftercare", "tested_on": on.isoformat()}, A)
    facts = [*spell("s1", "c1", date(2026, 1, 10), date(2027, 1, 10)),
             *spell("s2", "c2", date(2026, 2, 10), date(2026, 4, 30)),
             *spell("s3", "c3", date(2026, 3, 1), date(2028, 3, 1)),
             *positive("t1", "c1", date(2026, 2, 1)), *positive("t2", "c1", date(2026, 3, 1)),
             *positive("t3", "c4", date(2026, 3, 3))]
    exits = step("x1", d.RELAPSE_REPORTED, "c3", A, date(2026, 5, 20), case="c3", from_stage="aftercare",
                 to_stage="relapse")
    facts += exits
    report = direction_report("56", Quarter.parse("2026Q1"), Quarter.parse("2026Q3"), facts,
                              [f for f in exits if f.kind == "aftercare_exit"])
    q1, q2, q3 = (figures(report, q) for q in ("2026Q1", "2026Q2", "2026Q3"))
    assert (q1.aftercare_managed, q1.aftercare_relapsed, q1.relapse_rate) == (4, 2, Fraction(1, 2))
    assert (q2.aftercare_managed, q2.aftercare_relapsed, q2.relapse_rate) == (3, 1, Fraction(1, 3))
    assert q2.relapse_trend == d.Trend(Fraction(-1, 6), "falling")
    assert (q3.aftercare_managed, q3.aftercare_relapsed, q3.relapse_rate) == (1, 0, 0)
    assert q1.relapse_trend == d.Trend()


class FakeProjection:
    def __init__(self, facts=()):
        self.facts, self.asked = list(facts), []

    def add(self, facts):
        return 0

    def in_quarters(self, quarters, area_code):
        self.asked.append(quarters)
        return [f for f in self.facts if f.quarter in quarters]

    def exits_of(self, case_ids):
        return []


COORDINATOR = Principal("pc", ("plan_coordinator",), "UBND-T56", ("56",))


@pytest.mark.parametrize("query, field", [
    (ReadDirection("56", "2026Q5", "2026Q4"), "from"),
    (ReadDirection("56", "2026Q1", "2026-12"), "to"),
    (ReadDirection("56", "2026Q3", "2026Q2"), "from"),
    (ReadDirection("56", "2020Q1", "2026Q1"), "to"),
    (ReadDirection("01", "2026Q1", "2026Q2"), "area_code"),
    (ReadDirection("00004", "2026Q1", "2026Q2"), "area_code"),
])
def test_bad_input_names_its_field(query, field):
    with pytest.raises(InvalidInput) as refused:
        read_direction(query, COORDINATOR, FakeProjection(), "56")
    assert list(refused.value.errors) == [field]


@pytest.mark.parametrize("principal", [
    Principal("cw", ("caseworker",), "UBX", ("56",)),
    Principal("au", ("auditor",), "TTr", (B,)),
    Principal("ur", ("unit_reporter",), "UBX", ("56",)),
])
def test_only_coordinators_auditors_and_admins_of_the_area_read_the_measures(principal):
    with pytest.raises(NotAuthorised):
        read_direction(ReadDirection(A, "2026Q1", "2026Q1"), principal, FakeProjection(), "56")


def test_a_read_loads_the_quarter_before_for_the_trend():
    projection = FakeProjection(entry("e1", "voluntary", "P1", A, date(2026, 1, 5)))
    auditor = Principal("au", ("auditor",), "TTr", (A,))
    report = read_direction(ReadDirection(A, "2026Q1", "2026Q2"), auditor, projection, "56")
    assert projection.asked == [["2025Q4", "2026Q1", "2026Q2"]]
    assert [q.total.entering_total for q in report] == [1, 0]
