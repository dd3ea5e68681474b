"""Every event a producer stores satisfies the contract its consumers validate with."""
import dataclasses
from datetime import date, datetime, timedelta, timezone

import pytest

from shared import runtime
from shared.contracts import combined
from shared.envelope import Actor, envelope_from_message
from shared.relay import public_message
from shared.eventstore import PendingEvent, StoredEvent
from shared.repository import EventSourcedRepository
from services.cases.adapters.documents import DOCUMENTS as CASES_DOCUMENTS, CaseSnapshot, GrantSnapshot, \
    case_list_fields, grant_list_fields
from services.cases import contracts as cases_contracts
from services.cases.domain.grants import AccessGrant
from services.cases.adapters.workflow_files import load_workflows
from shared.working_days import VietnameseWorkingDays
from services.cases.domain.events import CaseDueNoticed, CaseTransitioned
from services.cases.domain.model import Case
from services.cases.domain.sharing import SHARING_TYPES, CaseShared
from services.cases.domain.workflow import Decision
from services.notifications.adapters.documents import DOCUMENTS as NOTIFICATIONS_DOCUMENTS, AlertSnapshot, \
    alert_list_fields
from services.notifications import contracts as notifications_contracts
from services.notifications.domain.model import Alert
from services.notifications.domain.seed import SEED_RULES
from services.plans.adapters.documents import DOCUMENTS as PLANS_DOCUMENTS, PlanSnapshot, TaskSnapshot, \
    UnitSnapshot, plan_list_fields, task_list_fields, unit_list_fields
from services.plans import contracts as plans_contracts
from services.plans.domain.model import Unit
from services.plans.domain.plan import IndicatorTarget, Plan
from services.plans.domain.notices import DEADLINE_NOTICES, Notice
from services.plans.domain.task import Task
from services.plans.adapters.documents import HotspotSnapshot, hotspot_list_fields
from services.plans.domain.hotspots import Coordinates, Hotspot
from services.plans.domain.resources import BudgetLine
from services.plans.adapters.documents import ReportSnapshot, report_list_fields
from services.plans.domain.periods import ReportingPeriod
from services.plans.domain.reports import Report, report_content
from services import topology

AGGREGATES = {"cases": [Case, AccessGrant], "plans": [Unit, Plan, Task, Hotspot, BudgetLine, Report],
              "notifications": [Alert]}
SUBSCRIPTIONS = topology.SUBSCRIPTIONS
ACTOR = Actor("contract-test", "admin")
PUBLISHED = {"cases": cases_contracts.CONTRACTS, "plans": plans_contracts.CONTRACTS,
             "notifications": notifications_contracts.CONTRACTS}


WORKFLOW_TYPES = {t.emits: CaseTransitioned for w in load_workflows().values() for t in w.transitions}
DUE_TYPES = {"cases.case.due_soon": CaseDueNoticed, "cases.case.overdue": CaseDueNoticed,
             **{t: CaseShared for t in SHARING_TYPES}}


def produced_types():
    """Every published event type, with its producer and class; unpublished ones never leave their service."""
    produced = {t: ("cases", event_cls) for t, event_cls in {**WORKFLOW_TYPES, **DUE_TYPES}.items()}
    produced.update({t: (service, cls.event_types[t]) for service, classes in AGGREGATES.items() for cls in classes
                     for t in cls.event_types if cls.event_types[t].published})
    return produced


def test_every_produced_event_has_a_contract_whose_fields_it_carries():
    for event_type, (service, event_cls) in produced_types().items():
        assert event_type.startswith(f"{service}."), event_type
        contract = PUBLISHED[service][(event_type, event_cls.schema_version)]
        assert set(contract().fields) <= {f.name for f in dataclasses.fields(event_cls)}, event_type


def test_every_consumed_type_is_produced_by_the_service_bound_to_and_checked_with_its_contract():
    produced = produced_types()
    for subscription in SUBSCRIPTIONS:
        for service, event_type in subscription.bindings:
            assert produced[event_type][0] == service, (subscription.queue, event_type)
            key = (event_type, produced[event_type][1].schema_version)
            assert subscription.contracts[key] is PUBLISHED[service][key], (subscription.queue, event_type)


STEP_TYPES_PUBLISHED_SO_FAR = tuple(f"cases.case.{step}" for step in (
    "management_started", "assessment_requested", "dependence_found", "no_dependence_found",
    "voluntary_rehab_started", "methadone_admitted", "violation_recorded", "compulsory_dossier_opened",
    "compulsory_rehab_ordered", "absconded", "returned", "aftercare_started", "relapse_reported", "closed",
    "reopened", "dossier_submitted", "methadone_registered", "methadone_terminated", "term_reduced"))


def test_no_step_type_ever_published_loses_its_contract_or_its_reader():
    """Step types come from the workflow files; one renamed or removed there would leave stored events without a
    contract for the relay and consumers. Extend this list when a step is added; never shorten it."""
    readers = Case.event_types_with(load_workflows().values())
    for step_type in STEP_TYPES_PUBLISHED_SO_FAR:
        assert (step_type, 1) in cases_contracts.CONTRACTS and readers[step_type] is CaseTransitioned, step_type


def test_no_service_publishes_without_a_contract():
    for service, contracts in PUBLISHED.items():
        assert {t for t, _ in contracts} == {t for t, (s, _) in produced_types().items() if s == service}, service


def save_all(settings, service, documents, saves):
    runtime.connect_database(settings(service), documents)
    for repository, aggregate in saves:
        repository.save(aggregate, ACTOR)
    outbox = {pending.event_id for pending in PendingEvent.objects}
    return [public_message(stored.to_envelope(), PUBLISHED[service]) for stored in StoredEvent.objects
            if stored.event_id in outbox]


def treat_with_methadone(case, workflow, day):
    """Doses, breaches up to a termination proposal, follow-up and support, then termination."""
    case.change_ost_phase("titration", day, "doctor", day)
    case.record_dose("d1", day, False, 60.0, "sealed-dose", "doctor", day)
    case.record_dose("d2", day, True, None, None, "doctor", day)
    for breach in ("b1", "b2"):
        case.record_breach(breach, "protocol", day, "sealed-breach", "doctor", workflow.ost_termination, day)
    case.record_drug_test("t2", day, "positive", "doctor", "sealed-substances", day, findings=("other_drug",),
                          rules=workflow.ost_termination)
    other_drugs = next(pid for pid, p in case.therapy.proposals.items() if p["ground"] == "other_drugs")
    case.dismiss_termination(other_drugs, "doctor", "tiếp tục điều trị riêng")
    case.plan_follow_up(30, day, "officer", day)
    case.record_visit("v1", day, "home_visit", "met", "officer", "sealed-visit", day)
    case.record_support("s1", "loan", day, "officer", 20_000_000, "social_policy_bank", "sealed-support", day)
    case.record_support("s2", "vocational_training", day, "officer", None, None, None, day)
    case.transition(workflow, "terminate_methadone", ["health_worker"], day,
                    Decision(decision_number="7/QĐ-TTYT", decision_date=day, issuing_authority="Trung tâm Y tế",
                             reason="vi phạm phác đồ"), VietnameseWorkingDays(), day)


def hotspot_through_its_life(day):
    hotspot = Hotspot.identify("h1", "Nhà trọ bí mật", "22366", "cluster", "dealing", "high", day, day,
                               address="Hẻm 7 bí mật", coordinates=Coordinates(12.2388, 109.1967))
    for status in ("under_surveillance", "crackdown", "eliminated", "re_emerged"):
        hotspot.transition(status, day, f"ghi chú riêng {status}", day)
    hotspot.link_tasks(["t1"])
    return hotspot


@pytest.fixture
def stored_messages(settings):
    june = date(2026, 6, 1)
    case = Case.open("c1", "22366-2026-C1", "P1", "22366", june, "tested", "law-73-2021", date(1990, 1, 1))
    case.assign_worker("w1")
    workflows = load_workflows()
    decision = {"decision_number": "12/QĐ-UBND", "decision_date": june, "issuing_authority": "UBND phường",
                "reason": "ghi chú riêng", "term_months": 6, "document_ref": "doc-1", "reason_code": "completed"}
    for step in ("place_under_management", "refer_for_assessment", "record_dependence", "register_community_rehab",
                 "record_violation", "open_compulsory_dossier", "submit_dossier_to_court", "record_court_order",
                 "abscond", "return_to_facility", "release_from_facility", "report_relapse", "refer_for_assessment",
                 "record_no_dependence", "close", "reopen", "register_for_methadone",
                 "admit_to_methadone"):
        term = {"record_court_order": 12}.get(step, 6)
        case.transition(workflows["law-73-2021"], step, ["police_liaison", "caseworker", "health_worker"], june,
                        Decision(**{**decision, "term_months": term}), VietnameseWorkingDays(), june)
        if step == "release_from_facility":
            case.record_drug_test("t1", june, "positive", "officer", "sealed-substances", june)
    treat_with_methadone(case, workflows["law-73-2021"], june)
    for notice in case.due_notices(date(2027, 12, 1), 14):
        case.notice(notice)
    moment = datetime(2026, 6, 1, tzinfo=timezone.utc)
    for kind, target in (("referral", {"to_unit": "PKMT"}), ("transfer", {"to_commune": "22333"})):
        for status in ("rejected", "revoked", "accepted"):
            share_id = f"{kind}-{status}"
            case.share(share_id, kind, "officer", moment, "lý do chia sẻ", ("moving_notice_24h",), **target)
            case.settle_share(share_id, status, "officer", moment, "lý do quyết định")
    grant = AccessGrant.open("g1", "c1", "22366", "bs", "health_worker", "clinical", "overdose",
                             "cấp cứu quá liều, cần biết phác đồ đang dùng", ("overdose",),
                             datetime(2026, 6, 1, tzinfo=timezone.utc), lambda text: "sealed-reason")
    messages = save_all(settings, "cases", CASES_DOCUMENTS, [
        (EventSourcedRepository("cases", Case, CaseSnapshot, list_fields=case_list_fields), case),
        (EventSourcedRepository("cases", AccessGrant, GrantSnapshot, list_fields=grant_list_fields), grant)])
    plan, task = plan_through_its_life(june)
    messages += save_all(settings, "plans", PLANS_DOCUMENTS, [
        (EventSourcedRepository("plans", Unit, UnitSnapshot, list_fields=unit_list_fields),
         Unit.register("CAX-22366", "Công an phường", "commune_police", "22366", [])),
        (EventSourcedRepository("plans", Plan, PlanSnapshot, list_fields=plan_list_fields), plan),
        (EventSourcedRepository("plans", Task, TaskSnapshot, list_fields=task_list_fields), task),
        (EventSourcedRepository("plans", Hotspot, HotspotSnapshot, list_fields=hotspot_list_fields),
         hotspot_through_its_life(june)),
        (EventSourcedRepository("plans", Report, ReportSnapshot, list_fields=report_list_fields),
         report_through_its_life(june))])
    raised_at = datetime(2026, 6, 1, tzinfo=timezone.utc)
    rule = next(rule for rule in SEED_RULES if rule.id == "transfer_requested")
    facts = {"case_id": "c1", "case_number": "n", "to_commune": "22366",
             "notify_police_by": (raised_at + timedelta(hours=24)).isoformat()}
    alert = Alert.raise_for("a1", "CAX-22366", rule, "cases.case.transfer_requested", facts, "22366",
                            ("Chuyển đến", "Moved in"), raised_at)
    alert.escalate(["PC04"], raised_at + timedelta(hours=25))
    alert.acknowledge("u1", "api", raised_at + timedelta(hours=26))
    alert.resolve("cases.case.transferred", raised_at + timedelta(hours=27))
    messages += save_all(settings, "notifications", NOTIFICATIONS_DOCUMENTS, [
        (EventSourcedRepository("notifications", Alert, AlertSnapshot, list_fields=alert_list_fields), alert)])
    return messages


def plan_through_its_life(june: date) -> tuple[Plan, Task]:
    """A plan and a task that record every published plan and task event."""
    plan = Plan.draft("p1", "Tháng hành động", "action_month", "56", june, date(2026, 6, 30),
                      [IndicatorTarget("people_newly_managed", 5)], summary_report_due_on=date(2026, 7, 2))
    task = Task.draft("t1", plan, "Tuyên truyền", "CAX-22366", ["UBX-22366"], june, date(2026, 6, 30),
                      indicators=[IndicatorTarget("outreach_sessions", 10)])
    task.assign("CAX-22366", "22366", {"outreach_sessions": 4}, june)
    plan.issue("UBND tỉnh Khánh Hòa", "2057/KH-UBND", date(2026, 5, 20), "Phó Chủ tịch", june)
    task.announce()
    task.assign("UBX-22366", "22366", {"outreach_sessions": 6}, june)
    plan.start(june)
    plan.amend("2101/KH-UBND", "điều chỉnh thời hạn báo cáo", date(2026, 6, 10),
               {"summary_report_due_on": date(2026, 7, 3)})
    task.change(plan, {"due_on": date(2026, 6, 28)}, "điều chỉnh theo kế hoạch sửa đổi", "2101/KH-UBND")
    for notice in DEADLINE_NOTICES:
        task.notice(Notice(notice, "CAX-22366", date(2026, 6, 28), "W1" if "report" in notice else None))
    task.waive("UBX-22366", "xã đã sáp nhập vào phường khác", date(2026, 6, 20))
    plan.close(date(2026, 7, 5), [], 1, date(2026, 7, 6))
    return plan, task


def report_through_its_life(june: date) -> Report:
    """A police unit's report submitted, returned, approved and revised: every report event."""
    plan = Plan.draft("p2", "Tháng hành động", "action_month", "56", june, date(2026, 6, 30),
                      [IndicatorTarget("drug_cases", 5)])
    plan.issue("UBND tỉnh Khánh Hòa", "2057/KH-UBND", date(2026, 5, 20), "Phó Chủ tịch", june)
    task = Task.draft("t2", plan, "Đấu tranh tội phạm", "CA-T56", ["CAX-22366"], june, date(2026, 6, 30),
                      indicators=[IndicatorTarget("drug_cases", 5)])
    task.assign("CAX-22366", "22366", {"drug_cases": 5}, june)
    content = report_content({}, "tường thuật riêng", [], {"offences": [{"offence": "possession", "cases": 1,
                                                                          "suspects": 1}]},
                             ["drug_cases"], "commune_police", june)
    week = ReportingPeriod("W1", "weekly", june, date(2026, 6, 7), date(2026, 6, 9))
    report = Report.draft(plan, task, "CAX-22366", week, content)
    moment = datetime(2026, 6, 8, tzinfo=timezone.utc)
    report.submit(plan, task, date(2026, 6, 8))
    report.return_(plan, task, "nhận xét riêng của người duyệt", "pc04", "CA-T56", moment, date(2026, 6, 8))
    report.change(plan, task, content)
    report.submit(plan, task, date(2026, 6, 8))
    report.approve(plan, task, None, "pc04", "CA-T56", moment, date(2026, 6, 8))
    report.revise(plan, task, "lý do sửa số liệu", content, date(2026, 6, 9))
    return report


def test_published_events_validate_against_the_consumers_contracts(stored_messages):
    missing = set(produced_types()) - {m["type"] for m in stored_messages}
    # due_soon has the contract of overdue, term_reduced that of every workflow step (it needs half a term served)
    assert missing <= {"cases.case.due_soon", "cases.case.term_reduced"}, missing
    for message in stored_messages:
        envelope = envelope_from_message(message, combined(*PUBLISHED.values()))
        assert envelope.data == message["data"], message["type"]


def test_private_fields_stay_in_the_log(stored_messages):
    published = str(stored_messages)
    assert "ghi chú riêng" not in published and "1990-01-01" not in published
    assert "sealed-substances" not in published and "positive" not in published
    assert "sealed-" not in published and "other_drug" not in published and "tiếp tục" not in published
    assert {"cases.case.support_recorded", "cases.ost.termination_proposed"} <= {m["type"] for m in stored_messages}
    assert not {m["type"] for m in stored_messages} & {"cases.ost.dose_recorded", "cases.ost.breach_recorded",
                                                       "cases.case.visit_recorded", "cases.ost.phase_changed"}
    assert "cần xác định" not in published and "lý do" not in published
    assert "12/QĐ-UBND" in published
    assert "bí mật" not in published and "109.1967" not in published
    assert "nhận xét riêng" not in published and "tường thuật riêng" not in published
    assert {"plans.report.submitted", "plans.report.returned", "plans.report.approved"} <= {
        m["type"] for m in stored_messages}
    assert {"plans.hotspot.eliminated", "plans.hotspot.re_emerged"} <= {m["type"] for m in stored_messages}
