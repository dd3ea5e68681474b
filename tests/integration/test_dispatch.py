"""The dispatcher on the real FerretDB against a real SMTP server (aiosmtpd): alerts about one subject within a
rule's window go out as one message, a resolved alert's delivery is cancelled, a provider that keeps refusing parks
the delivery after the last attempt, a sent delivery naming a case is a disclosure, and every outcome is counted for
Prometheus by channel."""
from __future__ import annotations

import time
import uuid
from types import SimpleNamespace
from datetime import datetime, timedelta, timezone

import pytest
from prometheus_client import REGISTRY

from shared.auth import Principal
from shared.clock import Clock
from shared.envelope import Actor
from shared.errors import NotFound
from shared.repository import EventSourcedRepository

from services.notifications.adapters.config import NotifySettings
from services.notifications.adapters.deliveries import AttemptDocument, DeliveryDocument, DeliveryStore, \
    DisclosureLog
from services.notifications.adapters.directory import UnitDirectory
from services.notifications.adapters.documents import AlertSnapshot, alert_list_fields
from services.notifications.adapters.rendering import RenderFailed
from services.notifications.bootstrap import bootstrap
from services.notifications.domain.commands import DeliverDue, ResendDelivery
from services.notifications.domain.deliveries import ALERT, VERIFICATION, Delivery, RetryPolicy, delivery_id
from services.notifications.domain.messages import Message, Outcome
from services.notifications.domain.queries import DeadLetters, DeliveryDetail
from services.notifications.domain.model import Alert
from services.notifications.domain.seed import SEED_RULES
from services.notifications.service_layer.dispatch import Dispatcher
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
    case_id = f"c-{uuid.uuid4().hex}"
    facts = {"case_id": case_id, "case_number": "HS-0001", "due_name": "follow_up", "due_on": "2026-11-20"}
    first, second = _alert("case_overdue", facts), _alert("case_overdue", {**facts, "due_name": "assessment"})
    store = DeliveryStore(bus.dependencies["cipher"])
    store.add([_delivery(first, "cb@ubnd.vn", "g-1"), _delivery(second, "cb@ubnd.vn", "g-1")])
    sent_before = _counted("sent")
    assert bus.handle(DeliverDue()) == 2
    [message] = catcher.wait_for(1)
    assert "(2 cảnh báo)" in message["Subject"] and "HS-0001" in message.get_body(("plain",)).get_content()
    assert {d.status for d in store.with_status("sent", 0, 10)[0]} == {"sent"}
    assert _counted("sent") - sent_before == 2
    disclosed, total = DisclosureLog().for_case(case_id, 0, 10)
    assert total == 4 and sorted((d["to"], d["channel"]) for d in disclosed) == [
        ("member:cb@ubnd.vn", "email")] * 2 + [("unit:UBX-22366", "in_app")] * 2, "each alert's e-mail and inbox"
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


class FakeChannel:
    def __init__(self, *answers):
        self.answers, self.sent = list(answers), []

    def send(self, message):
        self.sent.append(message)
        return self.answers.pop(0) if self.answers else Outcome("sent", "250 OK")


class FakeChannels:
    def __init__(self, channel):
        self.channel = channel

    def get(self, name):
        return self.channel


class FakeContent:
    def __init__(self, error: Exception | None = None):
        self.error = error

    def message(self, deliveries):
        if self.error is not None:
            raise self.error
        first = deliveries[0]
        return Message(delivery_id=first.id, channel=first.channel, address=first.address, text="hello")


class Counts:
    def count(self, channel, outcome):
        pass


class NoEndpoints:
    def disable(self, endpoint_id, reason):
        pass


def _dispatcher(bus, channel=None, content=None, disclosures=None, max_attempts=2) -> Dispatcher:
    return Dispatcher(bus.dependencies["delivery_queue"], FakeChannels(channel or FakeChannel()),
                      content or FakeContent(), NoEndpoints(), disclosures or DisclosureLog(), Counts(), Clock(),
                      RetryPolicy(max_attempts=max_attempts, base_seconds=0.001, cap_seconds=0.001), "worker-t")


def _plain(the_id: str, address: str = "cb@ubnd.vn", channel: str = "email", **fields) -> Delivery:
    return Delivery(**{"id": the_id, "channel": channel, "target": f"member:{the_id}", "address": address,
                       "language": "vi", "purpose": ALERT, "not_before": PAST, "created_at": PAST,
                       "alert_ids": ["alert-x"], **fields})


def _run_until_settled(dispatcher, store, the_id, rounds=40):
    for _ in range(rounds):
        dispatcher.run()
        if store.get(the_id).status != "queued":
            return store.get(the_id)
        time.sleep(0.02)
    return store.get(the_id)


def test_a_worker_dead_between_claiming_and_counting_an_attempt_does_not_stick_the_delivery(bus):
    store = bus.dependencies["delivery_queue"]
    delivery = _plain(f"dlv-{uuid.uuid4().hex}")
    store.add([delivery])
    AttemptDocument(id=f"{delivery.id}:1", delivery_id=delivery.id, number=1, worker="dead",
                    claimed_at=datetime.now(timezone.utc) - timedelta(hours=1)).save(force_insert=True)
    channel = FakeChannel()
    stored = _run_until_settled(_dispatcher(bus, channel), store, delivery.id)
    assert stored.status == "sent" and stored.attempts == 2 and len(channel.sent) == 1


def test_an_attempt_claimed_within_its_lease_is_not_taken_over(bus):
    store = bus.dependencies["delivery_queue"]
    delivery = _plain(f"dlv-{uuid.uuid4().hex}")
    store.add([delivery])
    AttemptDocument(id=f"{delivery.id}:1", delivery_id=delivery.id, number=1, worker="alive",
                    claimed_at=datetime.now(timezone.utc)).save(force_insert=True)
    channel = FakeChannel()
    dispatcher = _dispatcher(bus, channel)
    dispatcher.run()
    dispatcher.run()
    assert channel.sent == [] and store.get(delivery.id).attempts == 0


def test_a_message_that_cannot_be_built_is_parked_in_the_dead_letter_list(bus):
    store = bus.dependencies["delivery_queue"]
    delivery = _plain(f"dlv-{uuid.uuid4().hex}")
    store.add([delivery])
    content = FakeContent(RenderFailed("template t v1, email in vi, text: 'int' has no attribute 'x'"))
    _dispatcher(bus, content=content).run()
    stored = store.get(delivery.id)
    assert stored.status == "parked" and stored.attempts == 1 and "could not be built" in stored.last_answer
    assert delivery.id in [d.id for d in store.with_status("parked", 0, 50)[0]]


def test_the_disclosure_is_kept_when_the_worker_dies_before_recording_the_outcome(bus):
    store = bus.dependencies["delivery_queue"]
    case_id = f"c-{uuid.uuid4().hex}"
    delivery = _plain(f"dlv-{uuid.uuid4().hex}", subject_type="case", subject_id=case_id)
    store.add([delivery])
    dispatcher = _dispatcher(bus)

    def dies(*args):
        raise RuntimeError("worker killed")
    dispatcher.store = SimpleNamespace(queued=store.queued, claim_attempt=store.claim_attempt, record_outcome=dies)
    dispatcher.run()
    disclosed, total = DisclosureLog().for_case(case_id, 0, 10)
    assert total == 1 and disclosed[0]["delivery_id"] == delivery.id


def test_a_resent_delivery_gets_a_fresh_round_of_attempts(bus):
    store = bus.dependencies["delivery_queue"]
    delivery = _plain(f"dlv-{uuid.uuid4().hex}")
    store.add([delivery])
    failing = FakeChannel(*[Outcome("failed", "451 4.3.0 Try again later")] * 3)
    dispatcher = _dispatcher(bus, failing, max_attempts=2)
    assert _run_until_settled(dispatcher, store, delivery.id).status == "parked"
    admin = Principal("admin-1", ("admin",), "UBND-T56", ("56",))
    assert bus.handle(ResendDelivery(delivery.id), admin).status == "queued"
    dispatcher.run()
    stored = store.get(delivery.id)
    assert stored.attempts == 3 and stored.status == "queued", "one failure of the new round is retried"
    assert _run_until_settled(dispatcher, store, delivery.id).status == "sent"


def test_provider_answers_are_kept_with_the_address_masked(bus):
    store = bus.dependencies["delivery_queue"]
    mail, sms, hook = (_plain(f"dlv-{uuid.uuid4().hex}", "Nguyen.Van.An@example.vn"),
                       _plain(f"dlv-{uuid.uuid4().hex}", "+84912345678", "sms"),
                       _plain(f"dlv-{uuid.uuid4().hex}", "https://agency.example/hook/abc?token=s3cret", "webhook"))
    answers = {mail.id: "550 5.1.1 <nguyen.van.an@example.vn>: Recipient address rejected",
               sms.id: "HTTP 400 number 84912345678 (0912345678) refused",
               hook.id: "HTTP 404 https://agency.example/hook/abc?token=s3cret not found; token=s3cret"}

    class Refusing:
        def send(self, message):
            return Outcome("failed", answers[message.delivery_id], permanent=True)
    for delivery in (mail, sms, hook):
        store.add([delivery])
        _dispatcher(bus, Refusing()).run()
    raw = " ".join(str(d.to_mongo()) for d in DeliveryDocument.objects(id__in=list(answers)))
    raw += " ".join(str(a.to_mongo()) for a in AttemptDocument.objects(delivery_id__in=list(answers)))
    for secret in ("nguyen.van.an", "912345678", "s3cret", "/hook/abc"):
        assert secret not in raw.lower()
    assert store.get(mail.id).last_answer.startswith("550 5.1.1 <N***@example.vn>")
    assert "+84 91* *** 678" in store.get(sms.id).last_answer


def test_a_verification_code_is_not_kept_once_sent(bus):
    store = bus.dependencies["delivery_queue"]
    delivery = _plain(f"dlv-{uuid.uuid4().hex}", purpose=VERIFICATION, alert_ids=[],
                      content={"subject": "Mã xác minh", "text": "Mã của bạn: 482913"})
    store.add([delivery])
    _dispatcher(bus, content=AlertContentOfStored()).run()
    raw = DeliveryDocument._get_collection().find_one({"_id": delivery.id})
    assert raw["status"] == "sent" and "482913" not in str(raw)


class AlertContentOfStored:
    def message(self, deliveries):
        first = deliveries[0]
        return Message(delivery_id=first.id, channel=first.channel, address=first.address,
                       subject=first.content["subject"], text=first.content["text"])


def test_dead_letters_and_a_delivery_are_read_by_admins_of_the_units_areas_only(bus):
    UnitDirectory().keep("TYT-22366", "health_center", ["22366"], 1)
    UnitDirectory().keep("CAX-00004", "commune_police", ["00004"], 1)
    store = bus.dependencies["delivery_queue"]
    here, far = _plain(f"dlv-{uuid.uuid4().hex}", unit="TYT-22366"), _plain(f"dlv-{uuid.uuid4().hex}",
                                                                              unit="CAX-00004")
    store.add([here, far])
    _dispatcher(bus, FakeChannel(*[Outcome("failed", "550 refused", permanent=True)] * 2)).run()
    province, commune, hanoi = (Principal("a-56", ("admin",), "UBND-T56", ("56",)),
                                Principal("a-22366", ("admin",), "UBX-22366", ("22366",)),
                                Principal("a-01", ("admin",), "UBND-T01", ("01",)))
    for admin, seen in ((province, {here.id}), (commune, {here.id}), (hanoi, {far.id})):
        items, total = bus.handle(DeadLetters(0, 50), admin)
        assert {d.id for d in items} & {here.id, far.id} == seen
    assert bus.handle(DeliveryDetail(here.id), province)[0].id == here.id
    with pytest.raises(NotFound):
        bus.handle(DeliveryDetail(here.id), hanoi)
    with pytest.raises(NotFound):
        bus.handle(ResendDelivery(far.id), province)


def test_only_due_deliveries_are_read_and_digests_marked_by_target(bus):
    store = bus.dependencies["delivery_queue"]
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    held, ready = _plain(f"dlv-{uuid.uuid4().hex}", not_before=later), _plain(f"dlv-{uuid.uuid4().hex}")
    store.add([held, ready])
    due_ids = {d.id for d in store.queued(datetime.now(timezone.utc))}
    assert ready.id in due_ids and held.id not in due_ids
    target = f"member:{uuid.uuid4().hex}"
    store.add_to_digest(target, "alert-1", "vi", "cb@ubnd.vn", PAST)
    store.add_to_digest(target, "alert-2", "vi", "cb@ubnd.vn", PAST)
    store.mark_digested([f"{target}:alert-1"])
    assert [e["alert_id"] for e in store.digest_entries(target)] == ["alert-2"]
