"""deploy/prometheus/alerts.yml is a well-formed Prometheus rule file whose expressions name only metrics the code
exports (promtool is not available here)."""
import jsonschema
from prometheus_client import REGISTRY

from services.notifications.adapters import metrics
from shared import consumer, relay, web, worker_metrics
from tests.alert_rules import RULE_FILE_SCHEMA, load, metric_names

METRIC_MODULES = (metrics, consumer, relay, web, worker_metrics)
"""Importing them registers their metrics in prometheus_client's default registry."""

SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count"),
            "summary": ("_sum", "_count", "")}


def exported() -> set[str]:
    return {family.name + suffix for family in REGISTRY.collect() for suffix in SUFFIXES.get(family.type, ("",))}


def test_the_rule_file_has_prometheus_structure():
    jsonschema.validate(load(), RULE_FILE_SCHEMA)


def test_the_alerts_the_issue_asks_for_are_there():
    alerts = {rule["alert"]: rule for group in load()["groups"] for rule in group["rules"]}
    assert "outbox_oldest_age_seconds" in alerts["OutboxOlderThan60s"]["expr"]
    assert alerts["OutboxOlderThan60s"]["expr"].endswith("> 60")
    assert "dead_letter_messages" in alerts["DeadLetters"]["expr"]
    assert "queue_consumers" in alerts["ConsumerDown"]["expr"]
    assert all(rule["labels"]["severity"] in ("warning", "critical") for rule in alerts.values())


def test_every_metric_the_rules_name_is_exported_by_the_code():
    names = {name for group in load()["groups"] for rule in group["rules"] for name in metric_names(rule["expr"])}
    assert names and names <= exported(), names - exported()


def test_metric_names_skip_functions_labels_ranges_and_grouping():
    expr = 'sum by (timer) (increase(worker_timer_runs_total{outcome="failed"}[15m])) > 2 or on (x) up offset 5m'
    assert metric_names(expr) == {"worker_timer_runs_total", "up"}
