"""The legal workflow engine and its definitions, without I/O."""
from datetime import date

import pytest
import yaml

from services.cases.adapters.workflow_files import DEFINITIONS, WorkflowDefinitionError, load_workflows
from services.cases.domain.model import Case
from services.cases.domain.rules import (DecisionInvalid, TransitionForbidden, TransitionRefused, add_months,
                                         add_working_days)
from services.cases.domain.workflow import Decision
from shared.working_days import VietnameseWorkingDays

WORKFLOWS = load_workflows()
LAW73, LAW120 = WORKFLOWS["law-73-2021"], WORKFLOWS["law-120-2025"]
DECISION = {"decision_number": "15/QĐ-UBND", "decision_date": date(2026, 3, 2), "issuing_authority": "UBND phường",
            "document_ref": "ho-so-15"}
WORKING = VietnameseWorkingDays()
ALL_ROLES = ["police_liaison", "caseworker", "health_worker"]


def case(stage="tested", workflow=LAW73, birth=date(1990, 1, 1), opened=date(2026, 1, 5)):
    return Case.open("c", "n", "P", "22366", opened, stage, workflow.regime, birth)


def step(c, name, on, roles=ALL_ROLES, workflow=LAW73, today=date(2027, 12, 31), **decision):
    c.transition(workflow, name, roles, on, Decision(**{**DECISION, **decision}), WORKING, today)
    return c


def test_every_stage_and_actor_of_the_domain_is_in_both_regimes():
    for workflow in WORKFLOWS.values():
        assert {"tested", "user_management", "addiction_assessment", "awaiting_registration", "community_rehab",
                "facility_rehab", "awaiting_methadone", "ost", "violation_recorded", "compulsory_dossier",
                "awaiting_court", "in_facility", "absconded", "aftercare", "relapse", "closed"} <= set(workflow.stages)
        assert workflow.stages["in_facility"]["phases"] == ["intake", "detox", "education", "work_therapy",
                                                            "reintegration"]


def test_management_lasts_a_year():
    c = step(case(), "place_under_management", date(2026, 2, 27))
    assert c.stage == "user_management" and c.due == {"management_ends_on": date(2027, 2, 27)}


def test_registration_deadline_counts_vietnamese_working_days():
    c = step(step(case(), "refer_for_assessment", date(2026, 2, 10)), "record_dependence", date(2026, 2, 13))
    # 2026-02-16..20 is Tết (Lunar New Year): five working days from Friday 13 end on Friday 27 February.
    assert c.due["registration_deadline"] == date(2026, 2, 27)
    assert add_working_days(date(2026, 4, 24), 2, WORKING) == date(2026, 4, 29)


def test_court_order_terms_depend_on_age_and_regime():
    adult = step(step(step(case(stage="user_management"), "refer_for_assessment", date(2026, 3, 1)),
                      "record_dependence", date(2026, 3, 2)), "record_violation", date(2026, 3, 3), reason="bỏ")
    step(adult, "open_compulsory_dossier", date(2026, 3, 4))
    step(adult, "submit_dossier_to_court", date(2026, 3, 4))
    assert adult.stage == "awaiting_court"
    with pytest.raises(DecisionInvalid) as too_long:
        step(adult, "record_court_order", date(2026, 3, 5), term_months=30)
    assert too_long.value.field == "decision.term_months"
    with pytest.raises(DecisionInvalid):
        step(adult, "record_court_order", date(2026, 3, 5), term_months=10)
    step(adult, "record_court_order", date(2026, 3, 5), term_months=10, reason="giảm theo quyết định của tòa")
    assert adult.due["term_ends_on"] == date(2027, 1, 5)
    minor = Case.open("m", "n", "P", "22366", date(2026, 3, 1), "user_management", "law-73-2021", date(2010, 5, 1))
    minor.stage = "awaiting_court"
    with pytest.raises(DecisionInvalid):
        step(minor, "record_court_order", date(2026, 3, 5), term_months=18)
    assert LAW120.transition("record_court_order").due["term_ends_on"].term_months["adult"] == (24, 36)


def test_time_away_does_not_count_toward_the_term():
    c = case(stage="user_management")
    c.stage = "awaiting_court"
    step(c, "record_court_order", date(2026, 3, 1), term_months=12)
    step(c, "abscond", date(2026, 4, 1))
    step(c, "return_to_facility", date(2026, 4, 21))
    assert c.stage == "in_facility" and c.due["term_ends_on"] == date(2027, 3, 21)


def test_aftercare_is_two_years_after_an_adult_compulsory_term_and_one_otherwise():
    c = case(stage="user_management")
    c.stage = "in_facility"
    step(c, "release_from_facility", date(2026, 5, 1))
    assert c.due == {"aftercare_ends_on": date(2028, 5, 1)}
    v = case(stage="user_management")
    v.stage = "community_rehab"
    step(v, "complete_voluntary_rehab", date(2026, 5, 1))
    assert v.due == {"aftercare_ends_on": date(2027, 5, 1)}


def test_a_step_not_allowed_from_the_stage_is_refused_with_the_allowed_ones():
    with pytest.raises(TransitionRefused) as refused:
        step(case(), "release_from_facility", date(2026, 2, 1))
    assert set(refused.value.allowed) == {"place_under_management", "refer_for_assessment", "close"}


def test_roles_decide_who_may_take_a_step():
    with pytest.raises(TransitionForbidden):
        step(case(), "place_under_management", date(2026, 2, 1), roles=["health_worker"])
    assert case().allowed_transitions(LAW73, ["health_worker"]) == []


@pytest.mark.parametrize("change,field", [
    ({"decision_number": None}, "decision.decision_number"), ({"issuing_authority": ""}, "decision.issuing_authority"),
])
def test_missing_decision_fields_are_named(change, field):
    with pytest.raises(DecisionInvalid) as invalid:
        step(case(), "place_under_management", date(2026, 2, 1), **change)
    assert invalid.value.field == field


def test_dates_must_follow_the_case_and_not_be_in_the_future():
    with pytest.raises(DecisionInvalid):
        step(case(), "place_under_management", date(2025, 12, 1))
    with pytest.raises(DecisionInvalid):
        step(case(), "place_under_management", date(2026, 3, 1), today=date(2026, 2, 1))


def test_law_120_requires_the_declaration_of_drugs_used():
    c = case(workflow=LAW120, opened=date(2026, 7, 2))
    with pytest.raises(DecisionInvalid) as invalid:
        step(c, "place_under_management", date(2026, 7, 3), workflow=LAW120)
    assert invalid.value.field == "decision.drugs_declared"
    step(c, "place_under_management", date(2026, 7, 3), workflow=LAW120, drugs_declared=["methamphetamine"])


def test_closing_needs_a_reason_code_and_reopening_restarts_management():
    c = case()
    with pytest.raises(DecisionInvalid):
        step(c, "close", date(2026, 2, 1), reason="chuyển đi", reason_code="vanished")
    step(c, "close", date(2026, 2, 1), reason="chuyển đi", reason_code="moved_away")
    step(c, "reopen", date(2026, 3, 1), reason="quay về địa phương")
    assert c.stage == "user_management" and c.due["management_ends_on"] == date(2027, 3, 1)


def test_due_notices_are_owed_once_each():
    c = step(case(), "place_under_management", date(2026, 2, 1))
    assert c.due_notices(date(2026, 12, 1), 14) == []
    soon = c.due_notices(date(2027, 1, 20), 14)
    assert [n.type for n in soon] == ["cases.case.due_soon"]
    c.notice(soon[0])
    assert c.due_notices(date(2027, 1, 21), 14) == []
    assert [n.type for n in c.due_notices(date(2027, 2, 2), 14)] == ["cases.case.overdue"]


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


@pytest.mark.parametrize("mutate,message", [
    (lambda d: d["transitions"][0].update({"to": "nowhere"}), "unknown stage"),
    (lambda d: d["transitions"][0].update({"roles": ["mayor"]}), "roles"),
    (lambda d: d["transitions"][0].update({"emits": "cases.case.opened"}), "another event"),
    (lambda d: d["transitions"][0].update({"emits": "plans.task.teleported"}), "cases.case."),
    (lambda d: d["transitions"][0].update({"requires": ["shoe_size"]}), "requires"),
    (lambda d: d["transitions"][0].update({"due": {"x": {"months": 1, "working_days": 2}}}), "exactly one"),
    (lambda d: d["transitions"][4].update({"requires": []}), "term_months"),
    (lambda d: d.pop("stages"), "stages"),
])
def test_an_invalid_definition_stops_start_up_with_a_clear_message(tmp_path, mutate, message):
    data = yaml.safe_load((DEFINITIONS / "law-73-2021.yaml").read_text(encoding="utf-8"))
    mutate(data)
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(WorkflowDefinitionError, match="broken.yaml") as error:
        load_workflows(tmp_path)
    assert message in str(error.value)


def test_facility_phases_advance_one_by_one_and_survive_absconding():
    c = case(stage="user_management")
    c.stage = "awaiting_court"
    step(c, "record_court_order", date(2026, 3, 1), term_months=12)
    assert c.phase == "intake" and c.phase_since == date(2026, 3, 1)
    c.change_phase(LAW73, "detox", date(2026, 3, 10), "cb", date(2027, 12, 31))
    with pytest.raises(DecisionInvalid) as skipped:
        c.change_phase(LAW73, "work_therapy", date(2026, 4, 10), "cb", date(2027, 12, 31))
    assert skipped.value.field == "phase" and "education" in skipped.value.message
    step(c, "abscond", date(2026, 4, 1))
    step(c, "return_to_facility", date(2026, 4, 11))
    assert c.phase == "detox" and c.phase_since == date(2026, 3, 10)
    step(c, "release_from_facility", date(2026, 5, 1))
    assert c.phase is None
    with pytest.raises(DecisionInvalid):
        c.change_phase(LAW73, "intake", date(2026, 5, 2), "cb", date(2027, 12, 31))


def test_a_term_is_cut_3_to_6_months_only_after_half_of_it():
    c = case(stage="user_management")
    c.stage = "awaiting_court"
    step(c, "record_court_order", date(2026, 3, 1), term_months=12)
    assert c.due["term_ends_on"] == date(2027, 3, 1)
    with pytest.raises(DecisionInvalid) as early:
        step(c, "reduce_term", date(2026, 8, 1), term_reduction_months=4)
    assert early.value.field == "effective_on"
    with pytest.raises(DecisionInvalid) as too_little:
        step(c, "reduce_term", date(2026, 9, 15), term_reduction_months=2)
    assert too_little.value.field == "decision.term_reduction_months"
    step(c, "reduce_term", date(2026, 9, 15), term_reduction_months=4)
    assert c.stage == "in_facility" and c.due["term_ends_on"] == date(2026, 11, 1) and c.phase == "intake"
    restored = Case.from_snapshot(c.id, c.snapshot(), c.version)
    assert restored.due_started == {"term_ends_on": date(2026, 3, 1)} and restored.phase == "intake"
