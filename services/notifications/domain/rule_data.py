"""A routing rule as plain data (what the API receives and the store keeps) and back, strictly: an unknown key, a
value of the wrong kind or a missing name is refused naming its field (`conditions.1.value`), so nothing a reader
of the rule would not understand is ever stored."""
from __future__ import annotations

import re
from dataclasses import replace

from shared.refusals import DecisionInvalid

from services.notifications.domain.rules import Condition, EscalationLevel, EscalationPolicy, Rule

RULE_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
"""A field, role or endpoint name: what an event's data may carry as a key (no `.` or `$`, which the store refuses)."""
ENDPOINT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){2}$")
AREA = re.compile(r"^\d{2}(\d{3})?$")
TEXT_LIMIT = 2000
LIST_LIMIT = 100
SCALARS = (str, int, float, bool)

REQUIRED = ("id", "event_type", "category", "subject_type", "subject_field", "template")
NAME_LISTS = ("unit_kinds", "unit_fields", "roles", "channels", "resolve_fields")
OPTIONAL_NAMES = ("area_field", "ack_due_field")
FLAGS = ("enabled", "urgent", "ack_required")
RULE_KEYS = (*REQUIRED, "version", "description", "area_scope", "conditions", *NAME_LISTS, "endpoints", *OPTIONAL_NAMES,
             "resolved_by", *FLAGS, "escalation", "group_window_minutes")
CONDITION_KEYS = ("field", "op", "value")
ESCALATION_KEYS = ("levels", "repeat")
LEVEL_KEYS = ("after_minutes", "to")


def rule_from_data(data: dict) -> Rule:
    """The rule `data` describes; keys left out take the rule's defaults (version 1, enabled, in-app only)."""
    _no_unknown_keys(data, RULE_KEYS, "")
    names = {key: _identifier(data, key, RULE_ID if key == "id" else _pattern_of(key)) for key in REQUIRED}
    rule = Rule(**names, version=_whole(data, "version", 1, minimum=1))
    changes: dict = {}
    if "description" in data:
        changes["description"] = _text(data["description"], "description")
    for key in NAME_LISTS:
        if key in data:
            changes[key] = _names(data[key], key, NAME)
    if "endpoints" in data:
        changes["endpoints"] = _names(data["endpoints"], "endpoints", ENDPOINT_ID)
    if "area_scope" in data:
        changes["area_scope"] = _names(data["area_scope"], "area_scope", AREA)
    if "resolved_by" in data:
        changes["resolved_by"] = _names(data["resolved_by"], "resolved_by", EVENT_TYPE)
    for key in OPTIONAL_NAMES:
        if data.get(key) is not None:
            changes[key] = _identifier(data, key, NAME)
    for key in FLAGS:
        if key in data:
            changes[key] = _flag(data[key], key)
    if "conditions" in data:
        changes["conditions"] = tuple(_condition(item, f"conditions.{index}")
                                      for index, item in enumerate(_list(data["conditions"], "conditions")))
    if data.get("escalation") is not None:
        changes["escalation"] = _escalation(data["escalation"])
    if "group_window_minutes" in data:
        changes["group_window_minutes"] = _whole(data, "group_window_minutes", 0, minimum=0)
    return replace(rule, **changes)


def rule_to_data(rule: Rule) -> dict:
    """Every key of the rule, lists for tuples, `None` where a name or the policy is absent."""
    return {"id": rule.id, "version": rule.version, "event_type": rule.event_type, "category": rule.category,
            "subject_type": rule.subject_type, "subject_field": rule.subject_field, "template": rule.template,
            "enabled": rule.enabled, "description": rule.description, "area_scope": list(rule.area_scope),
            "conditions": [_condition_data(c) for c in rule.conditions], "unit_kinds": list(rule.unit_kinds),
            "unit_fields": list(rule.unit_fields), "area_field": rule.area_field, "roles": list(rule.roles),
            "endpoints": list(rule.endpoints), "channels": list(rule.channels), "urgent": rule.urgent,
            "ack_required": rule.ack_required, "ack_due_field": rule.ack_due_field,
            "escalation": None if rule.escalation is None else {
                "levels": [{"after_minutes": level.after_minutes, "to": level.to}
                           for level in rule.escalation.levels], "repeat": rule.escalation.repeat},
            "resolved_by": list(rule.resolved_by), "resolve_fields": list(rule.resolve_fields),
            "group_window_minutes": rule.group_window_minutes}


def _condition_data(condition: Condition) -> dict:
    value = list(condition.value) if isinstance(condition.value, (list, tuple)) else condition.value
    return {"field": condition.field, "op": condition.op, "value": value}


def _pattern_of(key: str) -> re.Pattern:
    return EVENT_TYPE if key == "event_type" else RULE_ID if key in ("category", "template") else NAME


def _identifier(data: dict, key: str, pattern: re.Pattern) -> str:
    value = data.get(key)
    if value is None:
        raise DecisionInvalid(key, "required")
    if not isinstance(value, str) or not pattern.match(value):
        raise DecisionInvalid(key, f"must match {pattern.pattern}")
    return value


def _names(value, field: str, pattern: re.Pattern) -> tuple[str, ...]:
    items = _list(value, field)
    for index, item in enumerate(items):
        if not isinstance(item, str) or not pattern.match(item):
            raise DecisionInvalid(f"{field}.{index}", f"must match {pattern.pattern}")
    if len(set(items)) != len(items):
        raise DecisionInvalid(field, "each name once")
    return tuple(items)


def _list(value, field: str) -> list:
    if not isinstance(value, (list, tuple)):
        raise DecisionInvalid(field, "a list")
    if len(value) > LIST_LIMIT:
        raise DecisionInvalid(field, f"at most {LIST_LIMIT} items")
    return list(value)


def _text(value, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > TEXT_LIMIT:
        raise DecisionInvalid(field, f"text of at most {TEXT_LIMIT} characters")
    return value


def _flag(value, field: str) -> bool:
    if not isinstance(value, bool):
        raise DecisionInvalid(field, "true or false")
    return value


def _whole(data: dict, key: str, default: int, minimum: int) -> int:
    value = data.get(key, default)
    if value is None:
        value = default
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise DecisionInvalid(key, f"a whole number from {minimum}")
    return value


def _condition(item, field: str) -> Condition:
    _no_unknown_keys(item, CONDITION_KEYS, f"{field}.")
    name = item.get("field")
    if not isinstance(name, str) or not NAME.match(name):
        raise DecisionInvalid(f"{field}.field", f"must match {NAME.pattern}")
    op = item.get("op", "eq")
    if not isinstance(op, str):
        raise DecisionInvalid(f"{field}.op", "text")
    value = item.get("value")
    if isinstance(value, (list, tuple)):
        values = _list(value, f"{field}.value")
        for index, element in enumerate(values):
            if not isinstance(element, SCALARS):
                raise DecisionInvalid(f"{field}.value.{index}", "text, a number or true/false")
        value = tuple(values)
    elif value is not None and not isinstance(value, SCALARS):
        raise DecisionInvalid(f"{field}.value", "text, a number, true/false or a list of them")
    return Condition(field=name, op=op, value=value)


def _escalation(item) -> EscalationPolicy:
    _no_unknown_keys(item, ESCALATION_KEYS, "escalation.")
    levels = []
    for index, level in enumerate(_list(item.get("levels"), "escalation.levels")):
        prefix = f"escalation.levels.{index}"
        _no_unknown_keys(level, LEVEL_KEYS, f"{prefix}.")
        minutes, to = level.get("after_minutes"), level.get("to")
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise DecisionInvalid(f"{prefix}.after_minutes", "a whole number of minutes")
        if not isinstance(to, str) or not to:
            raise DecisionInvalid(f"{prefix}.to", "unit_head or unit_kind:<a unit kind>")
        levels.append(EscalationLevel(minutes, to))
    repeat = item.get("repeat", 1)
    if isinstance(repeat, bool) or not isinstance(repeat, int):
        raise DecisionInvalid("escalation.repeat", "a whole number")
    return EscalationPolicy(levels=levels, repeat=repeat)


def _no_unknown_keys(data, known: tuple[str, ...], prefix: str) -> None:
    if not isinstance(data, dict):
        raise DecisionInvalid(prefix.rstrip(".") or "rule", "an object")
    for key in data:
        if key not in known:
            raise DecisionInvalid(f"{prefix}{key}", f"unknown field; known: {', '.join(known)}")
