"""Faults in the notifications pipeline against the real processes and real receivers: the worker killed while
deliveries are in flight, receivers that fail for a while or are gone, escalation timers across a restart, the
same event delivered twice. Only this module's own worker is stopped; the shared broker is left alone."""
import json
import threading
import time
import uuid
from datetime import datetime, timezone

import pytest
from standardwebhooks import Webhook
from werkzeug import Response

from tests.e2e.conftest import COMMUNE
from tests.e2e.notify_support import (NEIGHBOUR, PC04, Receiver, agency_endpoint, alerts_about, due_of,
                                      fast_settings, mails_to, member, one_alert, publish, register_units,
                                      relapse_event, sms_to, transfer_requested, webhook_ids, webhook_rule)
from tests.notification_servers import SmtpCatcher
from tests.support import System, rabbitmqctl, wait_for

CLAIM_LEASE_SECONDS = 15
"""An attempt's claim outlasts the channel's 5 s timeout; at 15 s a dead worker's attempts are made again soon."""

pytestmark = [pytest.mark.e2e, pytest.mark.fault]

CASEWORKER_EMAIL, CASEWORKER_SMS = "cb.faults@ubnd.example.vn", "84987654321"


@pytest.fixture(scope="module")
def catcher():
    with SmtpCatcher() as server:
        yield server


@pytest.fixture(scope="module")
def receiver():
    server = Receiver()
    server.route("/sms")
    server.route("/hook")
    yield server.start()
    server.stop()


@pytest.fixture(scope="module")
def system(ferretdb, broker, catcher, receiver):
    running = System(ferretdb.uri, broker, db_prefix=f"e2f{uuid.uuid4().hex[:6]}",
                     extra_env={**fast_settings(catcher, receiver), "CHANNEL_TIMEOUT_SECONDS": "5",
                                "DELIVERY_CLAIM_LEASE_SECONDS": str(CLAIM_LEASE_SECONDS)})
    running.env["NOTIFY_PUBLIC_URL"] = running.urls["notifications"]
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def units(coordinator, databases):
    register_units(coordinator, databases)


@pytest.fixture(scope="module")
def admin(as_user):
    return as_user(subject="admin-56", roles=["admin"], unit="UBND-T56", areas=["56"])


@pytest.fixture(scope="module")
def caseworker(as_user, catcher, receiver, units):
    return member(as_user, catcher, receiver, "cb-faults", "caseworker", f"UBX-{COMMUNE}", [COMMUNE],
                  email=CASEWORKER_EMAIL, phone="0987 654 321")


@pytest.fixture(scope="module")
def receiving_police(as_user, units):
    return as_user(subject="ca-22333", roles=["police_liaison"], unit=f"CAX-{NEIGHBOUR}", areas=[NEIGHBOUR])


@pytest.fixture(scope="module")
def pc04(as_user, units):
    return as_user(subject="pc04-1", roles=["police_liaison"], unit=PC04, areas=["56"])


def case_numbers(count: int) -> list[str]:
    tag = uuid.uuid4().hex[:4].upper()
    return [f"{COMMUNE}-2026-F{tag}{n}" for n in range(count)]


def relapse_of(number: str):
    return relapse_event(uuid.uuid4().hex, number)


def to_agency(admin, receiver, path: str, numbers: list[str], answer) -> dict:
    """An agency endpoint at `path` answering with `answer`, sent the relapses of `numbers` by a rule of its own;
    returns once the workers' rules cache (0.2 s here) has let the rule in."""
    endpoint = agency_endpoint(admin, receiver.route(path, answer), name=f"Hệ thống {path}")
    webhook_rule(admin, f"relapse_to{path.replace('/', '_')}", endpoint["id"],
                 conditions=[{"field": "case_number", "op": "in", "value": numbers}])
    time.sleep(0.5)
    return endpoint


def delivery(admin, delivery_id: str) -> dict:
    response = admin("GET", "notifications", f"/deliveries/{delivery_id}")
    assert response.status_code == 200, response.text
    return response.json()


def queue_depth(system, queue: str) -> int:
    vhost = system.env["AMQP_URL"].rsplit("/", 1)[1]
    for line in rabbitmqctl("list_queues", "-p", vhost, "name", "messages").splitlines():
        parts = line.split()
        if parts and parts[0] == queue:
            return int(parts[1])
    raise AssertionError(f"no queue {queue}")


def hooks_about(receiver, path: str, number: str) -> list:
    return [r for r in receiver.received(path) if r.json["data"]["subject_ref"] == number]


def test_the_same_event_delivered_twice_raises_its_alerts_and_deliveries_once(system, admin, caseworker, receiver,
                                                                              catcher):
    [number] = case_numbers(1)
    endpoint = to_agency(admin, receiver, "/twice", [number], None)
    event = relapse_of(number)
    for _ in range(2):
        publish(system.env["AMQP_URL"], event)
    wait_for(lambda: mails_to(catcher, CASEWORKER_EMAIL, number) and sms_to(receiver, CASEWORKER_SMS, number)
             and hooks_about(receiver, "/twice", number), 30, 0.1, "the e-mail, SMS and webhook")
    wait_for(lambda: queue_depth(system, "notifications.alerts") == 0, 30, 0.2, "both copies to be handled")
    time.sleep(1.5)
    assert len(alerts_about(caseworker, event.data["case_id"])) == 1
    assert len(mails_to(catcher, CASEWORKER_EMAIL, number)) == 1 and len(sms_to(receiver, CASEWORKER_SMS, number)) == 1
    [hook] = hooks_about(receiver, "/twice", number)
    assert Webhook(endpoint["secret"]).verify(hook.body, hook.headers)["data"]["subject_ref"] == number


def test_a_webhook_failing_with_503_is_retried_until_sent_and_one_answering_410_is_parked_until_resent(
        system, admin, receiver):
    number, gone_number = case_numbers(2)
    gone = threading.Event()
    gone.set()

    def unavailable_twice(received, count):
        if count == 1:
            return Response("", status=503)
        if count == 2:
            return Response("", status=503, headers={"Retry-After": "1"})
        return Response("", status=204)

    def gone_while_set(received, count):
        return Response("", status=410 if gone.is_set() else 200)

    to_agency(admin, receiver, "/flaky", [number], unavailable_twice)
    lost = to_agency(admin, receiver, "/gone", [gone_number], gone_while_set)
    publish(system.env["AMQP_URL"], relapse_of(number))
    publish(system.env["AMQP_URL"], relapse_of(gone_number))

    tries = wait_for(lambda: len(got := receiver.received("/flaky")) >= 3 and got, 30, 0.1, "three tries")
    assert len({r.headers["webhook-id"] for r in tries}) == 1 and tries[2].at - tries[1].at >= 1.0
    sent = wait_for(lambda: (d := delivery(admin, tries[0].headers["webhook-id"]))["status"] == "sent"
                    and all(a["outcome"] for a in d["attempt_log"]) and d, 30, 0.2,
                    "the delivery to be sent and its last attempt's outcome recorded (written after the delivery's)")
    assert sent["attempts"] == 3 and [a["outcome"] for a in sent["attempt_log"]] == ["failed", "failed", "sent"]
    assert sent["attempt_log"][0]["answer"].startswith("HTTP 503")

    [first] = wait_for(lambda: receiver.received("/gone"), 30, 0.1, "the 410")
    parked_id = first.headers["webhook-id"]
    parked = wait_for(lambda: [d for d in admin("GET", "notifications", "/deliveries/dead-letters").json()
                               if d["id"] == parked_id], 30, 0.2, "the delivery in the dead letters")
    assert parked[0]["status"] == "parked" and parked[0]["attempts"] == 1 and "410" in parked[0]["last_answer"]
    shown = admin("GET", "notifications", f"/endpoints/{lost['id']}")
    assert shown.json()["status"] == "disabled" and "410" in shown.json()["disabled_reason"]
    time.sleep(1)
    assert len(receiver.received("/gone")) == 1

    gone.clear()
    enabled = admin("PUT", "notifications", f"/endpoints/{lost['id']}", headers={"If-Match": shown.headers["ETag"]},
                    json={"status": "active"})
    assert enabled.status_code == 200, enabled.text
    resent = admin("POST", "notifications", f"/deliveries/{parked_id}/resend")
    assert resent.status_code == 200 and resent.json()["status"] == "queued", resent.text
    second = wait_for(lambda: len(got := receiver.received("/gone")) == 2 and got[1], 30, 0.1, "the resent webhook")
    assert second.headers["webhook-id"] == parked_id
    assert Webhook(lost["secret"]).verify(second.body, second.headers)["data"]["subject_ref"] == gone_number
    wait_for(lambda: delivery(admin, parked_id)["status"] == "sent", 30, 0.2, "the resent delivery to be sent")
    assert parked_id not in [d["id"] for d in admin("GET", "notifications", "/deliveries/dead-letters").json()]


def test_an_escalation_timer_survives_a_worker_restart_and_fires_once(system, receiving_police, pc04):
    case = {"id": uuid.uuid4().hex, "case_number": case_numbers(1)[0], "commune_code": COMMUNE}
    event = transfer_requested(case, due_in_seconds=4)
    publish(system.env["AMQP_URL"], event)
    original = one_alert(receiving_police, case["id"], "transfer_requested")
    system.kill_worker("notifications")
    try:
        time.sleep(max(0.0, (due_of(event) - datetime.now(timezone.utc)).total_seconds()) + 1.5)
        assert alerts_about(pc04, case["id"]) == []
    finally:
        system.start_worker("notifications")
    escalated = one_alert(pc04, case["id"], "transfer_requested")
    assert escalated["escalated_from"] == original["id"]
    time.sleep(2)
    assert len(alerts_about(pc04, case["id"])) == 1
    assert one_alert(receiving_police, case["id"], "transfer_requested")["escalations"] == 1


def settled(read, quiet_seconds: float = 1.0, timeout: float = 10.0):
    """What `read` answers once it has not changed for `quiet_seconds`: after a kill, requests the dead worker had
    already sent may still be reaching the receiver, and they were in flight at the kill too."""
    value, since, deadline = read(), time.monotonic(), time.monotonic() + timeout
    while time.monotonic() - since < quiet_seconds and time.monotonic() < deadline:
        time.sleep(0.1)
        if (now := read()) != value:
            value, since = now, time.monotonic()
    return value


def test_a_worker_killed_while_webhooks_are_in_flight_delivers_each_after_its_restart(system, admin, receiver,
                                                                                    units):
    """Two receipts answered at once, the rest held 2 s; the worker is killed while they are held. An attempt
    claimed by the dead worker is made again once its claim's lease (DELIVERY_CLAIM_LEASE_SECONDS) has passed, with
    the same webhook-id, so the receiver recognises the copy: only attempts in flight at the kill reach it twice. An
    attempt the dead worker claimed but had not sent yet is made again the same way and reaches it once."""
    numbers = case_numbers(6)
    slow = threading.Event()
    slow.set()

    def quick_twice_then_slow(received, count):
        if count > 2 and slow.is_set():
            time.sleep(2)
        return Response(json.dumps({"ok": True}), status=200, content_type="application/json")

    to_agency(admin, receiver, "/slow", numbers, quick_twice_then_slow)
    for number in numbers:
        publish(system.env["AMQP_URL"], relapse_of(number))
    first_two = wait_for(lambda: len(got := receiver.received("/slow")) >= 3 and got[:2], 30, 0.05,
                         "two quick receipts and one held")
    done_before = {r.headers["webhook-id"] for r in first_two}
    wait_for(lambda: all(delivery(admin, i)["status"] == "sent" for i in done_before), 10, 0.1,
             "the quick ones to be recorded sent")
    system.kill_worker("notifications")
    slow.clear()
    in_flight = settled(lambda: {r.headers["webhook-id"] for r in receiver.received("/slow")}) - done_before
    assert in_flight
    system.start_worker("notifications")

    arrived = wait_for(lambda: len(set(ids := webhook_ids(receiver, "/slow"))) == len(numbers) and ids,
                       CLAIM_LEASE_SECONDS + 60, 0.5, "every delivery after the restart")
    for delivery_id in set(arrived):
        wait_for(lambda: delivery(admin, delivery_id)["status"] == "sent", CLAIM_LEASE_SECONDS + 60, 0.5,
                 f"delivery {delivery_id} to be sent")
    time.sleep(1)
    arrived = webhook_ids(receiver, "/slow")
    twice = {i for i in arrived if arrived.count(i) > 1}
    assert twice and twice <= in_flight and all(arrived.count(i) <= 2 for i in arrived), (arrived, in_flight)
    for delivery_id in set(arrived):
        outcomes = [a["outcome"] for a in delivery(admin, delivery_id)["attempt_log"]]
        if delivery_id in twice:
            assert outcomes == [None, "sent"], (delivery_id, outcomes)
        elif delivery_id in done_before:
            assert outcomes == ["sent"], (delivery_id, outcomes)
        else:
            assert outcomes in (["sent"], [None, "sent"]), (delivery_id, outcomes)
