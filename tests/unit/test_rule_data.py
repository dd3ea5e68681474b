"""Routing rules as plain data and back (services/notifications/domain/rule_data.py): every seed rule survives the
round trip unchanged, and what a reader would not understand is refused naming its field."""
import pytest

from shared.refusals import DecisionInvalid

from services.notifications.domain.rule_data import rule_from_data, rule_to_data
from services.notifications.domain.rules import Condition, EscalationLevel, EscalationPolicy, Rule
from services.notifications.domain.seed import SEED_RULES

MINIMAL = {"id": "relapse_night", "event_type": "cases.case.relapse_suspected", "category": "relapse_suspected",
           "subject_type": "case", "subject_field": "case_id", "template": "relapse_suspected"}


@pytest.mark.parametrize("rule", SEED_RULES, ids=lambda rule: rule.id)
def test_every_seed_rule_survives_the_round_trip(rule):
    data = rule_to_data(rule)
    assert rule_from_data(data) == rule
    assert rule_to_data(rule_from_data(data)) == data


def test_a_full_rule_round_trips_with_its_conditions_and_policy():
    rule = Rule(**{**MINIMAL, "version": 3}, enabled=False, description="Ban đêm", area_scope=("56", "22366"),
                conditions=(Condition("stage", "in", ("aftercare", "ost")), Condition("tested_on", "present")),
                unit_kinds=("commune_police",), unit_fields=("to_unit",), area_field="to_commune",
                roles=("police_liaison",), channels=("in_app", "sms"), urgent=True, ack_required=True,
                escalation=EscalationPolicy([EscalationLevel(15, "unit_head")], repeat=3),
                resolved_by=("cases.case.closed",), group_window_minutes=5)
    data = rule_to_data(rule)
    assert data["conditions"][0] == {"field": "stage", "op": "in", "value": ["aftercare", "ost"]}
    assert data["escalation"] == {"levels": [{"after_minutes": 15, "to": "unit_head"}], "repeat": 3}
    assert rule_from_data(data) == rule


def test_left_out_keys_take_the_rules_defaults():
    rule = rule_from_data(MINIMAL)
    assert (rule.version, rule.enabled, rule.channels, rule.escalation, rule.conditions) == (
        1, True, ("in_app",), None, ())


@pytest.mark.parametrize("data, field", [
    ({**MINIMAL, "colour": "red"}, "colour"),
    ({**MINIMAL, "conditions": [{"field": "stage", "op": "eq", "value": "x", "weight": 2}]}, "conditions.0.weight"),
    ({**MINIMAL, "escalation": {"levels": [], "every": 5}}, "escalation.every"),
    ({**MINIMAL, "escalation": {"levels": [{"after_minutes": 5, "to": "unit_head", "via": "sms"}]}},
     "escalation.levels.0.via"),
])
def test_an_unknown_key_is_refused_naming_it(data, field):
    with pytest.raises(DecisionInvalid) as refused:
        rule_from_data(data)
    assert refused.value.field == field and "unknown field" in refused.value.message


@pytest.mark.parametrize("changes, field", [
    ({"id": None}, "id"),
    ({"id": "Relapse Night"}, "id"),
    ({"event_type": "relapse"}, "event_type"),
    ({"version": 0}, "version"),
    ({"version": True}, "version"),
    ({"urgent": "yes"}, "urgent"),
    ({"channels": "sms"}, "channels"),
    ({"channels": ["sms", "sms"]}, "channels"),
    ({"unit_kinds": ["commune police"]}, "unit_kinds.0"),
    ({"area_scope": ["5"]}, "area_scope.0"),
    ({"resolved_by": ["closed"]}, "resolved_by.0"),
    ({"conditions": [{"field": "a.b"}]}, "conditions.0.field"),
    ({"conditions": [{"field": "stage", "value": {"$ne": 1}}]}, "conditions.0.value"),
    ({"conditions": [{"field": "stage", "op": "in", "value": [["nested"]]}]}, "conditions.0.value.0"),
    ({"conditions": "stage"}, "conditions"),
    ({"escalation": {"levels": [{"after_minutes": "5", "to": "unit_head"}]}}, "escalation.levels.0.after_minutes"),
    ({"escalation": {"levels": [{"after_minutes": 5}]}}, "escalation.levels.0.to"),
    ({"group_window_minutes": -1}, "group_window_minutes"),
    ({"description": 5}, "description"),
])
def test_a_value_of_the_wrong_kind_is_refused_naming_its_field(changes, field):
    with pytest.raises(DecisionInvalid) as refused:
        rule_from_data({**MINIMAL, **changes})
    assert refused.value.field == field


def test_a_rule_that_is_not_an_object_is_refused():
    with pytest.raises(DecisionInvalid) as refused:
        rule_from_data(["id"])
    assert refused.value.field == "rule"
