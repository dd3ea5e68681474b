"""Reading deploy/prometheus/alerts.yml: its structure (Prometheus' rule file format, without promtool) and the
metric names its expressions use."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ALERTS = Path(__file__).resolve().parent.parent / "deploy" / "prometheus" / "alerts.yml"

RULE_FILE_SCHEMA = {
    "type": "object", "required": ["groups"], "additionalProperties": False,
    "properties": {"groups": {"type": "array", "minItems": 1, "items": {
        "type": "object", "required": ["name", "rules"], "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "interval": {"$ref": "#/$defs/duration"},
            "limit": {"type": "integer", "minimum": 0},
            "rules": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["expr"], "additionalProperties": False,
                "oneOf": [{"required": ["alert"]}, {"required": ["record"]}],
                "properties": {
                    "alert": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                    "record": {"type": "string", "pattern": "^[a-zA-Z_:][a-zA-Z0-9_:]*$"},
                    "expr": {"type": "string", "minLength": 1},
                    "for": {"$ref": "#/$defs/duration"},
                    "keep_firing_for": {"$ref": "#/$defs/duration"},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "annotations": {"type": "object", "additionalProperties": {"type": "string"}}}}}}}}},
    "$defs": {"duration": {"type": "string", "pattern": r"^([0-9]+(ms|s|m|h|d|w|y))+$"}},
}

KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right",
            "inf", "nan"}


def load() -> dict:
    return yaml.safe_load(ALERTS.read_text())


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects: identifiers left once strings, label matchers, ranges, grouping
    clauses, function calls and keywords are taken out."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"(?<![a-zA-Z_:])[0-9][0-9.e+]*[a-z]*", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        following = text[match.end():].lstrip()
        if following.startswith("(") or match.group() in KEYWORDS:
            continue
        names.add(match.group())
    return names
