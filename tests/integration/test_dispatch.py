"""The dispatcher on the real FerretDB against a real SMTP server (aiosmtpd): alerts about one subject within a
rule's window go out as one message, a resolved alert's delivery is cancelled, a provider that keeps refusing parks
the delivery after the last attempt, a sent delivery naming a case is a disclosure, and every outcome is counted for
Prometheus by channel."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from prometheus_client import REGISTRY

from shared.envelope import Actor
from shared.repository import EventSourcedRepository

from services.notifications.adapters.config import NotifySettings
from services.notifications.adapters.deliveries import DeliveryStore, DisclosureLog
from services.notifications.adapters.documents import AlertSnapshot, alert_list_fields
from services.notifications.bootstrap import bootstrap
from services.notifications.domain.commands import DeliverDue
from services.notifications.domain.deliveries import ALERT, Delivery, delivery_id
from services.notifications.domain.model import Alert
from services.notifications.domain.seed import SEED_RULES
from tests.notification_servers import SmtpCatcher

RULES = {rule.category: rule for rule in SEED_RULES}
SYSTEM = Actor.system("notifications")
PAST = datetime.now(timezone.utc) - timedelta(minutes=5)


@pytest.fixture
def catcher():
    with SmtpCatcher() as server:
        yield server


@pytest.fixture
def bus(settings, catcher):
    notify = NotifySettings.from_env({"SMTP_PORT": str(catcher.port), "DELIVERY_MAX_ATTEMPTS": "2",
                                      "DELIVERY_BACKOFF_BASE_SECONDS": "0.01", "DELIVERY_BACKOFF_CAP_SECONDS": "0.1"})
    return bootstrap(settings("notifications"), notify)


def _alert(category: str, facts: dict) -> Alert:
    rule = RULES[category]
    alert = Alert.raise_for(uuid.uuid4().hex, "UBX-22366", rule, rule.event_type, facts, "22366",
                            (f"Tiêu đề {category}", f"Title {category}"), raised_at=PAST)
    EventSourcedRepository("notifications", Alert, AlertSnapshot, list_fields=alert_list_fields).save(alert, SYSTEM)
    return alert


def _delivery(alert: Alert, address: str, group_key: str | None = None) -> Delivery:
    return Delivery(id=delivery_id(alert.id, ALERT, "0", "email", f"member:{address}"), channel="email",
                    target=f"member:{address}", address=address, language="vi", purpose=ALERT, not_before=PAST,
                    created_at=PAST, alert_ids=[alert.id], subject_type=alert.raised.subject_type,
                    subject_id=alert.raised.subject_id, group_key=group_key, rule_id=alert.raised.rule_id)


def _counted(outcome: str) -> float:
    return REGISTRY.get_sample_value("notifications_deliveries_total", {"channel": "email", "outcome": outcome}) or 0


def test_alerts_about_one_subject_in_a_window_go_out_as_one_message_and_each_is_a_disclosure(bus, settings,
                                                                                               catcher):
    facts = {"case_id": "c-1", "case_number": "HS-0001", "due_name": "follow_up", "due_on": "2026-11-20"}
    first, second = _alert("case_overdue", facts), _alert("case_overdue", {**facts, "due_name": "assessment"})
    store = DeliveryStore(bus.dependencies["cipher"])
    store.add([_delivery(first, "cb@ubnd.vn", "g-1"), _delivery(second, "cb@ubnd.vn", "g-1")])
    sent_before = _counted("sent")
    assert bus.handle(DeliverDue()) == 2
    [message] = catcher.wait_for(1)
    assert "(2 cảnh báo)" in message["Subject"] and "HS-0001" in message.get_body(("plain",)).get_content()
    assert {d.status for d in store.with_status("sent", 0, 10)[0]} == {"sent"}
    assert _counted("sent") - sent_before == 2
    disclosed, total = DisclosureLog().for_case("c-1", 0, 10)
    assert total == 2 and {(d["to"], d["channel"]) for d in disclosed} == {("member:cb@ubnd.vn", "email")}
    assert bus.handle(DeliverDue()) == 0, "a sent delivery is never made again"


def test_a_resolved_alerts_delivery_is_cancelled_not_sent(bus, catcher):
    alert = _alert("report_overdue", {"task_id": "t-1", "unit_code": "UBX-22366", "period": "2026-11",
                                      "title": "Báo cáo", "due_on": "2026-11-20"})
    alert.resolve("plans.report.submitted", PAST)
    EventSourcedRepository("notifications", Alert, AlertSnapshot, list_fields=alert_list_fields).save(alert, SYSTEM)
    store = DeliveryStore(bus.dependencies["cipher"])
    store.add([_delivery(alert, "cb@ubnd.vn")])
    bus.handle(DeliverDue())
    assert store.get(_delivery(alert, "cb@ubnd.vn").id).status == "cancelled" and catcher.messages == []


def test_a_provider_that_keeps_refusing_parks_the_delivery_after_the_last_attempt(bus, catcher):
    alert = _alert("task_assigned", {"task_id": "t-2", "title": "Tuyên truyền", "due_on": "2026-12-01"})
    store = DeliveryStore(bus.dependencies["cipher"])
    delivery = _delivery(alert, "cb@ubnd.vn")
    store.add([delivery])
    catcher.fail_next(10)
    parked_before = _counted("parked")
    for _ in range(40):
        bus.handle(DeliverDue())
        if store.get(delivery.id).status != "queued":
            break
        time.sleep(0.05)
    stored = store.get(delivery.id)
    assert stored.status == "parked" and stored.attempts == 2 and stored.last_answer.startswith("451")
    assert [a["outcome"] for a in store.attempts(delivery.id)] == ["failed", "failed"]
    assert _counted("parked") - parked_before == 1
    assert [d.id for d in store.with_status("parked", 0, 10)[0]] == [delivery.id]
