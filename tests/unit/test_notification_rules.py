"""Rules as data, alerts that escalate and resolve, and deliveries that retry: the notifications domain without
I/O."""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from shared import areas
from shared.envelope import Actor, StreamRef, new_envelope
from shared.refusals import DecisionInvalid

from services.notifications.adapters.catalog import event_fields, event_types
from services.notifications.domain.deliveries import PARKED, QUEUED, SENT, Delivery, Reach, RetryPolicy, \
    after_attempt, due, without_address
from services.notifications.domain.messages import Outcome
from services.notifications.domain.model import Alert, AlreadyAcknowledged, AlreadyResolved, UnitEntry
from services.notifications.domain.resolutions import Cause, Resolution
from services.notifications.domain.rules import Condition, EscalationLevel, EscalationPolicy, RuleCatalog, \
    check_rule
from services.notifications.domain.seed import SEED_RULES
from services.notifications.service_layer.delivering import AlertDelivery
from services.plans.domain.model import UNIT_KINDS

AT = datetime(2026, 11, 29, 2, 0, tzinfo=timezone.utc)
RULES = {rule.id: rule for rule in SEED_RULES}
CATALOG = RuleCatalog({t: event_fields(t) for t in event_types()}, {r.template for r in SEED_RULES},
                      set(UNIT_KINDS))
DIRECTORY = [UnitEntry("CAX-22366", "commune_police", ("22366",)),
             UnitEntry("UBX-22366", "commune_committee", ("22366",)),
             UnitEntry("PC04", "provincial_police", ("56",)),
             UnitEntry("BCD-56", "provincial_committee", ("56",))]


def test_every_seed_rule_names_only_what_its_event_and_the_catalog_have():
    for rule in SEED_RULES:
        check_rule(rule, CATALOG)


@pytest.mark.parametrize("change, field", [
    ({"event_type": "cases.case.teleported"}, "event_type"),
    ({"conditions": (Condition("stage_secret", "eq", "x"),)}, "conditions.0.field"),
    ({"conditions": (Condition("stage", "like", "x"),)}, "conditions.0.op"),
    ({"conditions": (Condition("stage", "in", "x"),)}, "conditions.0.value"),
    ({"unit_kinds": ("space_agency",)}, "unit_kinds"),
    ({"channels": ("in_app", "pigeon")}, "channels"),
    ({"template": "nope"}, "template"),
    ({"resolved_by": ("plans.task.assigned",)}, "resolved_by.0"),
    ({"escalation": EscalationPolicy([EscalationLevel(10, "unit_kind:moon")])}, "escalation.levels.0.to"),
    ({"escalation": EscalationPolicy([EscalationLevel(-1, "unit_head")])}, "escalation.levels.0.after_minutes"),
    ({"escalation": EscalationPolicy([])}, "escalation.levels"),
    ({"ack_required": False}, "ack_required"),
    ({"unit_kinds": (), "unit_fields": ()}, "unit_kinds"),
    ({"group_window_minutes": -5}, "group_window_minutes"),
])
def test_a_rule_naming_what_does_not_exist_is_refused_naming_its_field(change, field):
    with pytest.raises(DecisionInvalid) as refused:
        check_rule(replace(RULES["relapse_suspected"], **change), CATALOG)
    assert refused.value.field == field


def test_conditions_and_area_scope_decide_whether_a_rule_applies():
    rule = replace(RULES["case_opened"], conditions=(Condition("regime", "in", ["law_120_2025"]),),
                   area_scope=("22366",))
    assert rule.applies_to({"regime": "law_120_2025"}, "22366", areas.covers)
    assert not rule.applies_to({"regime": "law_73_2021"}, "22366", areas.covers)
    assert not rule.applies_to({"regime": "law_120_2025"}, "22333", areas.covers)
    assert not replace(rule, enabled=False).applies_to({"regime": "law_120_2025"}, "22366", areas.covers)


def _transfer(due_in: timedelta = timedelta(hours=24)) -> Alert:
    facts = {"case_id": "c1", "case_number": "KH-1", "to_commune": "22366",
             "notify_police_by": (AT + due_in).isoformat()}
    return Alert.raise_for("a1", "CAX-22366", RULES["transfer_requested"], "cases.case.transfer_requested", facts,
                           "22366", ("t", "t"), AT)


def test_a_transfer_alert_is_due_by_the_legal_deadline_and_escalates_to_provincial_police_once_it_passes():
    alert = _transfer()
    assert alert.raised.ack_due_at == AT + timedelta(hours=24) and alert.awaiting_escalation
    assert not alert.escalation_due(AT + timedelta(hours=23))
    assert alert.next_level().to == "unit_kind:provincial_police"
    alert.escalate(["PC04"], AT + timedelta(hours=24, minutes=1))
    escalated = alert.pending[-1]
    assert (escalated.level, escalated.round, escalated.deadline_missed, escalated.to_units) == (1, 1, True, ["PC04"])
    assert not alert.awaiting_escalation


def test_an_urgent_alert_runs_through_its_levels_repeat_times_then_stops():
    alert = Alert.raise_for("a2", "CAX-22366", RULES["relapse_suspected"], "cases.case.relapse_suspected",
                            {"case_id": "c1"}, "22366", ("t", "t"), AT)
    fired = []
    while alert.awaiting_escalation:
        level = alert.next_level()
        fired.append((level.to, alert.next_escalation_at - AT))
        alert.escalate([], alert.next_escalation_at)
    minutes = [int(at.total_seconds() // 60) for _, at in fired]
    assert [to for to, _ in fired] == ["unit_head", "unit_kind:provincial_committee"] * 2
    assert minutes == [30, 90, 120, 180]
    assert not alert.pending[-1].deadline_missed


def test_acknowledging_stops_escalation_and_late_acknowledgement_is_marked():
    alert = _transfer(timedelta(hours=1))
    alert.acknowledge("u1", "link", AT + timedelta(hours=2))
    assert alert.pending[-1].late and not alert.awaiting_escalation
    with pytest.raises(AlreadyAcknowledged):
        alert.acknowledge("u2", "api", AT)


def test_a_resolved_alert_neither_escalates_nor_is_acknowledged():
    alert = _transfer()
    alert.resolve("cases.case.transferred", AT + timedelta(hours=1))
    assert not alert.awaiting_escalation and not alert.open
    with pytest.raises(AlreadyResolved):
        alert.acknowledge("u1", "api", AT)
    rule = RULES["report_overdue"]
    facts = {"task_id": "t1", "unit_code": "CAX-22366", "period": "2026-06"}
    assert rule.resolved_by_event("plans.report.submitted", {**facts, "report_id": "r"}, facts)
    assert not rule.resolved_by_event("plans.report.submitted", {**facts, "unit_code": "UBX-22366"}, facts)
    assert not rule.resolved_by_event("plans.report.approved", facts, facts)


def test_an_overdue_task_is_ended_by_any_report_its_lead_unit_submits_on_it():
    rule = RULES["task_overdue"]
    noticed = {"task_id": "t1", "unit_code": "CAX-22366", "due_on": "2026-06-30", "period": None}
    submitted = {"task_id": "t1", "unit_code": "CAX-22366", "period": "2026-Q2", "report_id": "r"}
    assert rule.resolved_by_event("plans.report.submitted", submitted, noticed)
    assert not rule.resolved_by_event("plans.report.submitted", {**submitted, "unit_code": "UBX-22366"}, noticed)
    assert not rule.resolved_by_event("plans.report.submitted", {**submitted, "task_id": "t2"}, noticed)


def test_a_snapshot_keeps_the_escalation_policy():
    alert = _transfer()
    copy = Alert.from_snapshot(alert.id, alert.snapshot(), alert.version)
    assert copy.raised.escalation == alert.raised.escalation and copy.next_escalation_at == alert.next_escalation_at


def test_a_resolving_event_ends_only_alerts_raised_before_it_by_stream_version_or_else_by_time():
    rule, facts = RULES["report_overdue"], {"task_id": "t1", "unit_code": "UBX-22366", "period": "2026-06"}
    in_stream = Cause("e2", "report-r1", 2, AT)
    ending = Resolution("report_overdue", "t1", "plans.report.submitted", dict(facts), in_stream)
    assert ending.ends(rule, Cause("e1", "report-r1", 1, AT + timedelta(hours=1)), facts), "the stream's order wins"
    assert not ending.ends(rule, Cause("e3", "report-r1", 3, AT - timedelta(hours=1)), facts)
    assert not ending.ends(rule, Cause("e3", "report-r1", 2, AT - timedelta(hours=1)), facts), "not itself"
    assert ending.ends(rule, Cause("e4", "task-t1", 7, AT - timedelta(days=3)), facts)
    assert ending.ends(rule, Cause("e5", "task-t1", 7, AT + timedelta(seconds=59)), facts), \
        "stamped just after the submission by a timer that read the reports before it"
    assert not ending.ends(rule, Cause("e6", "task-t1", 8, AT + timedelta(seconds=61)), facts)
    assert ending.ends(rule, None, facts), "an alert stored before causes were kept"
    assert not ending.ends(rule, None, {**facts, "period": "2026-07"}), "another period's alert"
    assert not ending.ends(RULES["report_due_soon"], None, facts), "another rule's alert"


def test_a_resolution_is_kept_only_of_an_event_that_resolves_the_rule_and_names_its_subject():
    rule = RULES["transfer_requested"]

    def event(event_type, data):
        return new_envelope(event_type=event_type, schema_version=1, producer="cases",
                            stream=StreamRef("case", "case-c1", 5), area_code="22366",
                            actor=Actor("cb", "caseworker", "UBX-22366"), data=data)

    kept = Resolution.of(rule, event("cases.case.transferred", {"case_id": "c1", "to_commune": "22333"}))
    assert (kept.subject_id, kept.compared_fields, kept.cause.stream_version) == ("c1", {"case_id": "c1"}, 5)
    assert Resolution.of(rule, event("cases.case.transferred", {"to_commune": "22333"})) is None
    assert Resolution.of(rule, event("cases.case.opened", {"case_id": "c1"})) is None


def test_an_alerts_cause_is_kept_in_its_snapshot():
    cause = Cause("e1", "case-c1", 3, AT)
    parent = Alert.raise_for("a1", "CAX-22366", RULES["transfer_requested"], "cases.case.transfer_requested",
                             {"case_id": "c1", "to_commune": "22366"}, "22366", ("t", "t"), AT, cause=cause)
    copy = Alert.from_snapshot(parent.id, parent.snapshot(), parent.version)
    assert copy.raised.cause == cause


def _delivery(**fields) -> Delivery:
    return Delivery(**{"id": "d1", "channel": "email", "target": "member:u1", "address": "a@b.vn",
                       "language": "vi", "purpose": "alert", "not_before": AT, "created_at": AT, **fields})


def test_a_failed_attempt_waits_with_jitter_and_never_less_than_retry_after():
    policy, rng = RetryPolicy(max_attempts=3, base_seconds=2, cap_seconds=60), random.Random(7)
    delivery = _delivery(attempts=1)
    after_attempt(delivery, Outcome("failed", "HTTP 503"), AT, policy, rng)
    assert delivery.status == QUEUED and AT + timedelta(seconds=1) <= delivery.next_attempt_at <= AT + timedelta(
        seconds=2)
    delivery.attempts = 2
    after_attempt(delivery, Outcome("failed", "HTTP 429", retry_after_seconds=30), AT, policy, rng)
    assert delivery.next_attempt_at == AT + timedelta(seconds=30)
    assert not due(delivery, AT) and due(delivery, AT + timedelta(seconds=30))


def test_attempts_end_sent_or_parked():
    policy = RetryPolicy(max_attempts=3)
    assert after_attempt(_delivery(attempts=1), Outcome("sent", "250 OK"), AT, policy).status == SENT
    assert after_attempt(_delivery(attempts=3), Outcome("failed", "HTTP 503"), AT, policy).status == PARKED
    assert after_attempt(_delivery(attempts=1), Outcome("gone", "HTTP 410"), AT, policy).status == PARKED
    assert after_attempt(_delivery(attempts=1), Outcome("failed", "550", permanent=True), AT,
                         policy).status == PARKED


class FakeAudience:
    def __init__(self, reaches):
        self.reaches, self.asked = reaches, []

    def reach(self, unit, roles, heads_only, category, channel, urgent, now):
        self.asked.append((unit, heads_only, channel, urgent))
        return [r for r in self.reaches.get(channel, []) if not heads_only or r.target.startswith("member:head")]


class FakeQueue:
    def __init__(self):
        self.added, self.digested = [], []

    def add(self, deliveries):
        self.added += deliveries

    def add_to_digest(self, target, alert_id, language, address, at):
        self.digested.append((target, alert_id))

    def cancel_for(self, alert_id):
        return 0


class FixedClock:
    @staticmethod
    def now():
        return AT


def test_an_alert_is_planned_once_per_addressee_and_channel():
    audience = FakeAudience({"email": [Reach("member:u1", "u1@x.vn"), Reach("member:u2", "u2@x.vn", digest=True)],
                             "sms": [Reach("member:head", "+84912345678", send_at=AT + timedelta(hours=6))]})
    queue = FakeQueue()
    alert = _transfer()
    AlertDelivery(audience, queue, FixedClock()).deliver(alert, RULES["transfer_requested"], [])
    assert sorted((d.channel, d.target) for d in queue.added) == [("email", "member:u1"), ("email", "member:u2"),
                                                                   ("sms", "member:head")]
    assert queue.digested == [], "an urgent alert is never held for a digest"
    again = FakeQueue()
    AlertDelivery(audience, again, FixedClock()).deliver(alert, RULES["transfer_requested"], [])
    assert [d.id for d in again.added] == [d.id for d in queue.added], "the same alert plans the same deliveries"


def test_non_urgent_alerts_go_to_digests_and_are_grouped_by_subject_within_the_window():
    audience = FakeAudience({"email": [Reach("member:u1", "u1@x.vn"), Reach("member:u2", "u2@x.vn", digest=True)]})
    queue = FakeQueue()
    rule = RULES["case_overdue"]
    rule = replace(rule, group_window_minutes=10)
    first = Alert.raise_for("o1", "UBX-22366", rule, rule.event_type, {"case_id": "c1"}, "22366", ("t", "t"),
                            AT + timedelta(minutes=1))
    second = Alert.raise_for("o2", "UBX-22366", rule, rule.event_type, {"case_id": "c1"}, "22366", ("t", "t"),
                             AT + timedelta(minutes=4))
    delivery = AlertDelivery(audience, queue, FixedClock())
    delivery.deliver(first, rule, [])
    delivery.deliver(second, rule, [])
    assert queue.digested == [("member:u2", "o1"), ("member:u2", "o2")]
    assert len({d.group_key for d in queue.added}) == 1 and len(queue.added) == 2
    assert all(d.not_before == AT + timedelta(minutes=10) for d in queue.added)


def test_escalation_to_unit_heads_reaches_only_heads_by_email_and_sms_now():
    audience = FakeAudience({"email": [Reach("member:u1", "u1@x.vn"), Reach("member:head", "h@x.vn")],
                             "sms": [Reach("member:head", "+84912345678")]})
    queue = FakeQueue()
    AlertDelivery(audience, queue, FixedClock()).to_heads(_transfer(), 1)
    assert sorted((d.channel, d.target, d.purpose) for d in queue.added) == [
        ("email", "member:head", "escalation"), ("sms", "member:head", "escalation")]
    assert all(asked[1] and asked[3] for asked in audience.asked)


def test_a_resent_delivery_counts_its_attempts_from_the_resend():
    policy = RetryPolicy(max_attempts=3)
    resent = _delivery(attempts=4, round_start=3)
    assert after_attempt(resent, Outcome("failed", "HTTP 503"), AT, policy).status == QUEUED
    assert after_attempt(_delivery(attempts=6, round_start=3), Outcome("failed", "HTTP 503"), AT,
                         policy).status == PARKED


def test_a_providers_answer_is_kept_without_the_address():
    assert without_address("550 <An.B@example.vn> unknown", "email", "an.b@example.vn") == \
        "550 <a***@example.vn> unknown"
    assert "912345678" not in without_address("refused 84912345678 / 0912345678 / +84912345678", "sms",
                                              "+84912345678")
    hook = without_address("404 for /h/k?token=abc (token=abc)", "webhook", "https://x.example/h/k?token=abc")
    assert "abc" not in hook and "/h/k" not in hook
    assert without_address("250 OK", "email", "a@b.vn") == "250 OK"
