from datetime import date, datetime, timezone

import pytest

from shared import areas
from services.cases.adapters.workflow_files import load_workflows
from services.cases.domain.events import CaseOpened, CaseTransitioned, CaseWorkerAssigned
from services.cases.domain.model import Case
from services.notifications.domain.model import Alert, AlreadyAcknowledged, UnitEntry
from services.notifications.domain.seed import SEED_RULES

RULES = {rule.event_type: rule for rule in SEED_RULES}
from services.plans.domain.model import indicators_counting
from services.plans.domain.plan import IndicatorTarget, Plan


def test_regime_is_chosen_by_opening_date():
    workflows = load_workflows().values()
    assert [w.regime for w in workflows if w.applies_on(date(2026, 6, 30))] == ["law-73-2021"]
    assert [w.regime for w in workflows if w.applies_on(date(2026, 7, 1))] == ["law-120-2025"]


def test_opening_a_case_records_one_event_and_sets_version():
    case = Case.open("c1", "22366-2026-C1", "P1", "22366", date(2026, 8, 1), "user_management", "law-120-2025")
    assert [type(e) for e in case.pending] == [CaseOpened]
    assert case.version == 1 and case.regime == "law-120-2025" and case.area_code == "22366"


def test_assigning_the_same_worker_twice_records_nothing_new():
    case = Case.open("c1", "n", "P1", "22366", date(2026, 8, 1), "tested", "law-120-2025")
    case.assign_worker("w1")
    case.assign_worker("w1")
    assert [type(e) for e in case.pending] == [CaseOpened, CaseWorkerAssigned]
    assert case.version == 2


def test_case_snapshot_round_trips():
    case = Case.open("c1", "n", "P1", "22366", date(2026, 8, 1), "tested", "law-120-2025")
    case.assign_worker("w1")
    again = Case.from_snapshot("c1", case.snapshot(), case.version)
    assert again.snapshot() == case.snapshot() and again.version == 2 and again.opened_on == date(2026, 8, 1)


def test_areas_contain_communes_of_their_province():
    assert areas.is_province("56") and areas.is_commune("22366")
    assert areas.covers("56", "22366") and areas.covers("22366", "22366")
    assert not areas.covers("22366", "56") and not areas.covers("01", "22366")
    assert areas.province_of("22366") == "56" and areas.province_of("99999") is None
    assert len(areas.communes_of("56")) > 50


def test_case_opened_alerts_commune_offices_covering_the_commune():
    directory = [UnitEntry("CAX-22366", "commune_police", ("22366",)),
                 UnitEntry("UBX-22366", "commune_committee", ("22366",)),
                 UnitEntry("CAX-22333", "commune_police", ("22333",)),
                 UnitEntry("PC04", "provincial_police", ("56",)),
                 UnitEntry("SCHOOL", "school", ("22366",))]
    rule = RULES["cases.case.opened"]
    assert rule.recipient_units({"case_id": "c"}, "22366", directory, areas.covers) == ["CAX-22366", "UBX-22366"]


def test_task_assigned_alerts_lead_and_supporting_units():
    rule = RULES["plans.task.assigned"]
    data = {"task_id": "t", "lead_unit": "A", "supporting_units": ["B", "A"]}
    assert rule.recipient_units(data, None, [], areas.covers) == ["A", "B"]


def test_an_alert_is_acknowledged_once():
    at = datetime(2026, 6, 1, tzinfo=timezone.utc)
    alert = Alert.raise_for("a1", "U1", RULES["plans.task.assigned"], "plans.task.assigned",
                            {"task_id": "t", "title": "Tuyên truyền", "due_on": "2026-06-30"}, None,
                            ("Nhiệm vụ mới", "New task"), at)
    assert (alert.raised.title_vi, alert.raised.subject_id) == ("Nhiệm vụ mới", "t")
    alert.acknowledge("u", "api", at)
    with pytest.raises(AlreadyAcknowledged):
        alert.acknowledge("u", "api", at)


def test_plan_period_and_counted_indicators():
    plan = Plan.draft("p", "Tháng hành động", "action_month", "56", date(2026, 6, 1), date(2026, 6, 30),
                      [IndicatorTarget("people_newly_managed", 10)])
    assert plan.counts_on(date(2026, 6, 30)) and not plan.counts_on(date(2026, 7, 1))
    assert [d.code for d in indicators_counting("cases.case.opened", {})] == ["people_newly_managed"]


def test_support_feeds_indicators_by_kind_person_and_amount():
    support = "cases.case.support_recorded"
    loan = {"kind": "loan", "person_code": "P1", "amount_vnd": 20_000_000}
    training = {"kind": "vocational_training", "person_code": "P1"}
    assert [d.code for d in indicators_counting(support, loan)] == ["resources_mobilised_vnd"]
    [mobilised] = indicators_counting(support, loan)
    assert mobilised.contribution("e1", loan) == ("e1", 20_000_000)
    [trained] = indicators_counting(support, training)
    assert trained.code == "vocational_training" and trained.contribution("e2", training) == ("P1", 1)
    assert indicators_counting(support, {"kind": "schooling", "person_code": "P1"}) == []


def test_the_operators_definitions_file_matches_the_declared_topology():
    import json
    from pathlib import Path

    from services.topology import definitions
    exported = json.loads((Path(__file__).resolve().parents[2] / "deploy" / "rabbitmq-definitions.json").read_text())
    assert exported == definitions(), "run: python -m services.topology export > deploy/rabbitmq-definitions.json"


def test_a_stored_step_no_workflow_file_emits_any_more_still_reads_as_a_step():
    types = Case.event_types_with(load_workflows().values())
    assert types["cases.case.management_started"] is CaseTransitioned
    assert types["cases.case.step_renamed_since"] is CaseTransitioned
    with pytest.raises(KeyError):
        types["plans.task.assigned"]
