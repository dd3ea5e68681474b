"""Follow-up, support and methadone rules of a case, without I/O."""
from datetime import date

import pytest

from services.cases.adapters.workflow_files import load_workflows
from shared.working_days import VietnameseWorkingDays
from services.cases.domain.care import CHECK_IN_DUE
from services.cases.domain.model import Case
from services.cases.domain.ost import OPIOID, OTHER_DRUG, TerminationRules, findings_of
from services.cases.domain.rules import DecisionInvalid
from services.cases.domain.workflow import Decision

LAW120 = load_workflows()["law-120-2025"]
RULES = LAW120.ost_termination
TODAY = date(2027, 12, 31)
DECISION = {"decision_number": "3/QĐ", "decision_date": date(2026, 8, 1), "issuing_authority": "TTYT",
            "document_ref": "d", "reason": "lý do đầy đủ", "drugs_declared": ["heroin"], "reason_code": "completed"}


def step(case, name, on, roles=("police_liaison", "caseworker", "health_worker"), by_unit=None):
    case.transition(LAW120, name, roles, on, Decision(**DECISION), VietnameseWorkingDays(), TODAY, by_unit=by_unit)
    return case


def on_methadone(admitted=date(2026, 8, 3)) -> Case:
    case = Case.open("c", "n", "P", "22366", date(2026, 8, 1), "user_management", LAW120.regime, date(1990, 1, 1))
    return step(case, "admit_to_methadone", admitted, by_unit="PKMT")


def proposals(case, ground=None):
    return [p for p in case.therapy.proposals.values() if ground is None or p["ground"] == ground]


def test_rules_default_to_the_domain_figures_and_come_from_the_workflow_file():
    assert RULES == TerminationRules(breaches=2, breach_months=6, opioid_tests=2, opioid_test_months=12)


def test_findings_separate_opioids_from_other_drugs_and_ignore_the_substitute():
    assert findings_of(["heroin", "methadone"]) == (OPIOID,)
    assert findings_of(["methamphetamine"]) == (OTHER_DRUG,)
    assert findings_of(["methadone"]) == ()
    assert findings_of(["morphine", "ketamine"]) == (OPIOID, OTHER_DRUG)


def test_phases_go_forward_and_taper_may_return_to_maintenance():
    case = on_methadone()
    with pytest.raises(DecisionInvalid) as skipped:
        case.change_ost_phase("maintenance", date(2026, 8, 10), "doctor", TODAY)
    assert skipped.value.field == "phase"
    for phase, on in (("titration", date(2026, 8, 10)), ("maintenance", date(2026, 9, 1)),
                      ("taper", date(2027, 3, 1)), ("maintenance", date(2027, 4, 1))):
        case.change_ost_phase(phase, on, "doctor", TODAY)
    assert case.therapy.phase == "maintenance" and case.therapy.maintenance_since == date(2026, 9, 1)
    with pytest.raises(DecisionInvalid) as backwards:
        case.change_ost_phase("taper", date(2027, 3, 30), "doctor", TODAY)
    assert backwards.value.field == "effective_on"


def test_a_dose_is_given_with_an_amount_or_missed_without_one():
    case = on_methadone()
    with pytest.raises(DecisionInvalid) as no_amount:
        case.record_dose("d1", date(2026, 8, 4), False, None, None, "doctor", TODAY)
    assert no_amount.value.field == "dose_mg"
    with pytest.raises(DecisionInvalid):
        case.record_dose("d1", date(2026, 8, 4), True, 40.0, "x", "doctor", TODAY)
    with pytest.raises(DecisionInvalid) as before:
        case.record_dose("d1", date(2026, 8, 2), False, 40.0, "x", "doctor", TODAY)
    assert before.value.field == "given_on"
    with pytest.raises(DecisionInvalid) as future:
        case.record_dose("d1", date(2028, 1, 1), False, 40.0, "x", "doctor", TODAY)
    assert future.value.field == "given_on"
    case.record_dose("d1", date(2026, 8, 4), False, 40.0, "sealed", "doctor", TODAY)
    case.record_dose("d2", date(2026, 8, 5), True, None, None, "doctor", TODAY)
    assert case.therapy.last_dose_on == date(2026, 8, 4) and case.therapy.missed_on == [date(2026, 8, 5)]


def test_doses_need_the_case_in_methadone_treatment():
    case = Case.open("c", "n", "P", "22366", date(2026, 8, 1), "user_management", LAW120.regime, date(1990, 1, 1))
    with pytest.raises(DecisionInvalid) as refused:
        case.record_dose("d1", date(2026, 8, 4), False, 40.0, "x", "doctor", TODAY)
    assert refused.value.field == "stage"


def test_two_protocol_breaches_within_six_months_propose_termination_once():
    case = on_methadone()
    case.record_breach("b1", "protocol", date(2026, 9, 1), None, "doctor", RULES, TODAY)
    case.record_breach("b2", "protocol", date(2027, 3, 2), None, "doctor", RULES, TODAY)
    assert proposals(case) == []
    case.record_breach("b3", "protocol", date(2027, 4, 1), None, "doctor", RULES, TODAY)
    [proposal] = proposals(case)
    assert proposal["ground"] == "protocol_breaches" and proposal["evidence"] == ["b2", "b3"]
    assert proposal["clinic_unit"] == "PKMT" and proposal["status"] == "open"
    case.record_breach("b4", "protocol", date(2027, 4, 2), None, "doctor", RULES, TODAY)
    assert len(proposals(case)) == 1


def test_an_offence_proposes_termination_and_a_dismissal_needs_a_reason():
    case = on_methadone()
    case.record_breach("b1", "offence", date(2026, 9, 1), None, "officer", RULES, TODAY)
    [proposal_id] = case.therapy.proposals
    assert case.therapy.proposals[proposal_id]["clinic_unit"] == "PKMT"
    with pytest.raises(DecisionInvalid) as no_reason:
        case.dismiss_termination(proposal_id, "doctor", "")
    assert no_reason.value.field == "reason"
    case.dismiss_termination(proposal_id, "doctor", "vi phạm nhẹ, tiếp tục điều trị")
    assert case.therapy.proposals[proposal_id]["status"] == "dismissed"
    with pytest.raises(DecisionInvalid):
        case.dismiss_termination(proposal_id, "doctor", "lần nữa đã xử lý")
    case.record_breach("b2", "offence", date(2026, 9, 2), None, "officer", RULES, TODAY)
    assert len(proposals(case, "offence")) == 2


def test_opioid_positive_tests_count_only_once_on_maintenance():
    """Findings are never recorded: an earlier test's are asked of the caller (who opens its sealed substances),
    and only for the positive tests that could count."""
    case, found, asked = on_methadone(), {}, []

    def test(test_id, on, result):
        found[test_id] = (OPIOID,) if result == "positive" else ()
        case.record_drug_test(test_id, on, result, "doctor", None, TODAY, (OPIOID,), RULES,
                              findings_of_test=lambda t: asked.append(t["test_id"]) or found[t["test_id"]])

    test("t1", date(2026, 8, 20), "positive")
    case.change_ost_phase("titration", date(2026, 8, 25), "doctor", TODAY)
    case.change_ost_phase("maintenance", date(2026, 9, 1), "doctor", TODAY)
    test("t2", date(2026, 10, 1), "positive")
    assert proposals(case) == [] and asked == []
    test("t3", date(2026, 11, 1), "negative")
    assert proposals(case) == [] and all("findings" not in t for t in case.drug_tests)
    test("t4", date(2027, 10, 2), "positive")
    assert proposals(case) == [] and asked == ["t2"]
    test("t5", date(2027, 10, 3), "positive")
    [proposal] = proposals(case)
    assert proposal["ground"] == "opioid_positive_tests" and proposal["evidence"] == ["t4", "t5"]


def test_findings_recorded_before_they_were_sealed_still_count():
    case = on_methadone()
    case.change_ost_phase("titration", date(2026, 8, 25), "doctor", TODAY)
    case.change_ost_phase("maintenance", date(2026, 9, 1), "doctor", TODAY)
    case.drug_tests = [{"test_id": "old", "tested_on": "2026-10-01", "result": "positive", "tested_by": "doctor",
                        "substances_sealed": None, "findings": [OPIOID]}]
    case.record_drug_test("t2", date(2026, 10, 2), "positive", "doctor", None, TODAY, (OPIOID,), RULES)
    assert [p["evidence"] for p in proposals(case)] == [["old", "t2"]]


def test_another_drug_during_therapy_proposes_termination_and_raises_relapse_suspected():
    case = on_methadone()
    case.record_drug_test("t1", date(2026, 8, 20), "positive", "doctor", None, TODAY, (OTHER_DRUG,), RULES)
    assert [p["ground"] for p in proposals(case)] == ["other_drugs"]
    assert [e.type for e in case.pending[-2:]] == ["cases.case.relapse_suspected", "cases.ost.termination_proposed"]


def test_leaving_methadone_ends_the_therapy_record():
    case = on_methadone()
    case.record_breach("b1", "offence", date(2026, 9, 1), None, "officer", RULES, TODAY)
    step(case, "terminate_methadone", date(2026, 9, 2), roles=("health_worker",))
    assert case.stage == "violation_recorded" and case.therapy is None
    assert Case.from_snapshot(case.id, case.snapshot(), case.version).therapy is None


def test_the_therapy_survives_a_snapshot():
    case = on_methadone()
    case.change_ost_phase("titration", date(2026, 8, 25), "doctor", TODAY)
    case.record_dose("d1", date(2026, 8, 26), True, None, None, "doctor", TODAY)
    case.record_breach("b1", "offence", date(2026, 9, 1), "sealed", "officer", RULES, TODAY)
    restored = Case.from_snapshot(case.id, case.snapshot(), case.version)
    assert restored.therapy == case.therapy


def test_check_ins_are_a_due_date_moved_by_visits_that_met_the_person():
    case = on_methadone()
    case.plan_follow_up(30, date(2026, 9, 1), "worker", TODAY)
    assert case.due[CHECK_IN_DUE] == date(2026, 9, 1)
    case.record_visit("v1", date(2026, 8, 30), "home_visit", "not_home", "worker", None, TODAY)
    assert case.due[CHECK_IN_DUE] == date(2026, 9, 1)
    case.record_visit("v2", date(2026, 8, 31), "home_visit", "met", "worker", None, TODAY)
    assert case.due[CHECK_IN_DUE] == date(2026, 9, 30)
    assert [n.due_name for n in case.due_notices(date(2026, 10, 1), 0)] == [CHECK_IN_DUE]
    step(case, "complete_methadone", date(2026, 10, 2))
    assert case.due[CHECK_IN_DUE] == date(2026, 9, 30) and "aftercare_ends_on" in case.due
    step(case, "close", date(2026, 10, 3), roles=("caseworker",))
    assert CHECK_IN_DUE not in case.due and case.follow_up is None


def test_follow_up_and_visits_are_checked():
    case = on_methadone()
    with pytest.raises(DecisionInvalid) as interval:
        case.plan_follow_up(3, date(2026, 9, 1), "worker", TODAY)
    assert interval.value.field == "every_days"
    with pytest.raises(DecisionInvalid) as outcome:
        case.record_visit("v1", date(2026, 8, 30), "home_visit", "great", "worker", None, TODAY)
    assert outcome.value.field == "outcome"
    with pytest.raises(DecisionInvalid) as before:
        case.record_visit("v1", date(2026, 7, 30), "home_visit", "met", "worker", None, TODAY)
    assert before.value.field == "visited_on"


@pytest.mark.parametrize("kind, amount, source, field", [
    ("loan", None, "social_policy_bank", "amount_vnd"),
    ("loan", 5_000_000, None, "funding_source"),
    ("social_support", 0, "state_budget", "amount_vnd"),
    ("counselling", 100_000, None, "amount_vnd"),
    ("vocational_training", None, "ngo", "funding_source"),
    ("lottery", None, None, "kind"),
])
def test_support_amounts_and_sources_belong_to_support_and_loans(kind, amount, source, field):
    case = on_methadone()
    with pytest.raises(DecisionInvalid) as refused:
        case.record_support("s1", kind, date(2026, 9, 1), "worker", amount, source, None, TODAY)
    assert refused.value.field == field
    assert case.support == []


def test_support_is_recorded_with_its_amount_and_source():
    case = on_methadone()
    case.record_support("s1", "loan", date(2026, 9, 1), "worker", 20_000_000, "social_policy_bank", "sealed", TODAY)
    case.record_support("s2", "job_placement", date(2026, 9, 2), "worker", None, None, None, TODAY)
    assert [(s["kind"], s["amount_vnd"]) for s in case.support] == [("loan", 20_000_000), ("job_placement", None)]
    assert case.pending[-1].person_code == "P"


def test_methadone_under_16_needs_a_guardians_consent():
    young = Case.open("y", "n", "P", "22366", date(2026, 8, 1), "user_management", LAW120.regime, date(2010, 9, 1))
    admission = Decision(**{k: v for k, v in DECISION.items() if k != "guardian_consent_ref"})
    with pytest.raises(DecisionInvalid) as refused:
        young.transition(LAW120, "admit_to_methadone", ("health_worker",), date(2026, 8, 31), admission,
                         VietnameseWorkingDays(), TODAY)
    assert refused.value.field == "decision.guardian_consent_ref"
    young.transition(LAW120, "admit_to_methadone", ("health_worker",), date(2026, 9, 1), admission,
                     VietnameseWorkingDays(), TODAY)
    assert young.stage == "ost"
    minor = Case.open("m", "n", "P", "22366", date(2026, 8, 1), "user_management", LAW120.regime, date(2012, 1, 1))
    minor.transition(LAW120, "admit_to_methadone", ("health_worker",), date(2026, 9, 1),
                     Decision(**{**vars(admission), "guardian_consent_ref": "giay-dong-y-12"}),
                     VietnameseWorkingDays(), TODAY)
    assert minor.stage == "ost" and minor.pending[-1].guardian_consent_ref == "giay-dong-y-12"


def test_a_breach_recorded_late_still_completes_the_rule():
    case = on_methadone()
    case.record_breach("later", "protocol", date(2026, 10, 1), None, "doctor", RULES, TODAY)
    case.record_breach("earlier", "protocol", date(2026, 9, 1), None, "doctor", RULES, TODAY)
    [proposal] = proposals(case)
    assert proposal["ground"] == "protocol_breaches" and proposal["evidence"] == ["earlier", "later"]


def test_a_test_from_before_the_admission_does_not_count():
    case = on_methadone()
    case.record_drug_test("t0", date(2026, 8, 2), "positive", "doctor", None, TODAY, (OTHER_DRUG,), RULES)
    assert proposals(case) == []


def test_a_snapshot_from_before_therapy_records_still_allows_them():
    case = on_methadone()
    state = {**case.snapshot(), "therapy": None}
    restored = Case.from_snapshot(case.id, state, case.version)
    assert restored.therapy.admitted_on == date(2026, 8, 3)
    restored.record_dose("d1", date(2026, 8, 4), False, 40.0, "sealed", "doctor", TODAY)


def test_registration_for_methadone_sets_the_ten_working_day_admission_deadline():
    case = Case.open("r", "n", "P", "22366", date(2026, 8, 1), "user_management", LAW120.regime, date(1990, 1, 1))
    step(case, "register_for_methadone", date(2026, 8, 28))
    # 31 August to 2 September 2026 are National Day holidays: ten working days from 28 August end on 16 September.
    assert case.stage == "awaiting_methadone"
    assert case.due["methadone_admission_deadline"] == date(2026, 9, 16)
    step(case, "admit_to_methadone", date(2026, 9, 10), by_unit="PKMT")
    assert case.stage == "ost" and "methadone_admission_deadline" not in case.due
