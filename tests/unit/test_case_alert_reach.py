"""Who an alert about a case reaches by e-mail and SMS: only members whose roles work cases (as the inbox shows it
only to them), within the rule's roles when it names some, and the unit's own duty contact points; its escalation
to the unit's heads likewise. The routing pipeline against the member directory's service layer, with fakes of
its stores."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from services.notifications.domain.members import Addressee, ContactPoint, member_target, unit_target
from services.notifications.domain.model import Alert
from services.notifications.domain.seed import SEED_RULES
from services.notifications.service_layer.delivering import AlertDelivery
from services.notifications.service_layer.members import MemberAudience

AT = datetime(2026, 11, 29, 2, 0, tzinfo=timezone.utc)
UNIT = "UBX-22366"
RULES = {rule.id: rule for rule in SEED_RULES}


class Members:
    def __init__(self, *records):
        self.stored = {r.id: r for r in records}

    def get(self, target):
        return self.stored.get(target)

    def of_unit(self, unit):
        return [r for r in self.stored.values() if r.unit == unit]


class Points:
    def __init__(self, owners):
        self.points = [ContactPoint(id=f"{owner}:{kind}", owner=owner, kind=kind, address=address, created_at=AT,
                                    verified_at=AT)
                       for owner in owners for kind, address in (("email", f"{owner}@x.vn"),
                                                                 ("sms", "+84912345678"))]

    def of_owners(self, owners):
        return [p for p in self.points if p.owner in owners]


class Queue:
    def __init__(self):
        self.added, self.digested = [], []

    def add(self, deliveries):
        self.added += deliveries

    def add_to_digest(self, target, alert_id, language, address, at):
        self.digested.append(target)

    def cancel_for(self, alert_id):
        return 0


class Clock:
    @staticmethod
    def now():
        return AT


def _committee():
    people = [Addressee(member_target("worker"), unit=UNIT, roles=["caseworker"]),
              Addressee(member_target("planner"), unit=UNIT, roles=["plan_coordinator"]),
              Addressee(member_target("planning-head"), unit=UNIT, roles=["plan_coordinator"], head=True),
              Addressee(member_target("police-head"), unit=UNIT, roles=["police_liaison"], head=True),
              Addressee(unit_target(UNIT), kind="unit", unit=UNIT)]
    return MemberAudience(Members(*people), Points([p.id for p in people]))


def _raised(rule, subject_field="case_id", subject="c-1") -> Alert:
    return Alert.raise_for("a-1", UNIT, rule, rule.event_type, {subject_field: subject, "case_number": "KH-1"},
                           "22366", ("t", "t"), AT)


def _reached(rule, alert=None) -> set[tuple[str, str]]:
    queue = Queue()
    AlertDelivery(_committee(), queue, Clock()).deliver(alert or _raised(rule), rule, [])
    return {(d.channel, d.target) for d in queue.added}


def test_a_case_alert_reaches_by_email_and_sms_only_members_who_work_cases_and_the_units_own_points():
    reached = _reached(RULES["relapse_suspected"])
    assert {target for _, target in reached} == {member_target("worker"), member_target("police-head"),
                                                 unit_target(UNIT)}
    assert {channel for channel, _ in reached} == {"email", "sms"}


def test_a_rules_roles_narrow_a_case_alert_within_those_who_work_cases_never_beyond():
    rule = RULES["relapse_suspected"]
    assert {t for _, t in _reached(replace(rule, roles=("caseworker", "plan_coordinator")))} == {
        member_target("worker"), unit_target(UNIT)}
    assert {t for _, t in _reached(replace(rule, roles=("plan_coordinator",)))} == {unit_target(UNIT)}


def test_an_alert_about_anything_else_still_reaches_every_member_the_rule_names():
    rule = replace(RULES["relapse_suspected"], subject_type="task", subject_field="task_id")
    alert = _raised(rule, "task_id", "t-1")
    assert member_target("planner") in {t for _, t in _reached(rule, alert)}


def test_an_escalation_of_a_case_alert_reaches_only_the_heads_who_work_cases():
    queue = Queue()
    AlertDelivery(_committee(), queue, Clock()).to_heads(_raised(RULES["relapse_suspected"]), 1)
    assert {(d.channel, d.target) for d in queue.added} == {("email", member_target("police-head")),
                                                            ("sms", member_target("police-head"))}
