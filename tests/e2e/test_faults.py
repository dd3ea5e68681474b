"""Faults against the real components: broker stopped, worker killed mid-message, duplicates, poison, database
stopped, concurrent writes."""
import json
import threading
import uuid

import pytest
import requests
from kombu import Connection

from shared.bus import events_exchange
from shared.envelope import Actor, StreamRef, new_envelope
from tests.e2e.conftest import COMMUNE, inbox_for, newly_managed, open_case
from tests.integration.busutil import collect, purge
from tests.support import broker_start, broker_stop, rabbitmqctl, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.fault]


def queue_depth(vhost: str, queue: str) -> int:
    for line in rabbitmqctl("list_queues", "-p", vhost, "name", "messages").splitlines():
        parts = line.split()
        if parts and parts[0] == queue:
            return int(parts[1])
    raise AssertionError(f"no queue {queue}")


def vhost_of(system) -> str:
    return system.env["AMQP_URL"].rsplit("/", 1)[1]


def publish_raw(amqp_url: str, routing_key: str, body, **kwargs):
    with Connection(amqp_url) as connection:
        connection.Producer().publish(body, exchange=events_exchange(routing_key.split(".")[0]),
                                      routing_key=routing_key, delivery_mode=2, **kwargs)


@pytest.mark.broker_outage
def test_writes_succeed_while_the_broker_is_stopped_and_are_delivered_after(system, police, coordinator,
                                                                           yearly_plan):
    before = newly_managed(coordinator, yearly_plan)
    broker_stop()
    try:
        cases = [open_case(police) for _ in range(3)]
        assert requests.get(f"{system.urls['cases']}/readyz", timeout=10).status_code == 503
    finally:
        broker_start()
    for case in cases:
        wait_for(lambda: inbox_for(police, case["id"]), 60, 0.3, "alerts after the broker is back")
    wait_for(lambda: newly_managed(coordinator, yearly_plan) == before + 3, 60, 0.3, "every case counted")
    assert all(len(inbox_for(police, case["id"])) == 1 for case in cases)
    wait_for(lambda: system.ready("cases"), 30, message="readiness to recover")


def test_a_worker_killed_mid_message_leaves_the_effect_exactly_once(system, police, coordinator, yearly_plan,
                                                                    databases):
    """The worker waits a minute between the effect and the acknowledgement, so the kill always falls in between,
    however slowly the machine notices the effect."""
    def depth():
        return queue_depth(vhost_of(system), "notifications.alerts")

    wait_for(lambda: depth() == 0, 60, 0.2, "the events of the fixtures to be handled")
    try:
        system.kill_worker("notifications", sig=15)
        system.start_worker("notifications", {"FAULT_DELAY_AFTER_EFFECT_MS": "60000"})
        before = databases["notifications"]["alert_snapshots"].count_documents({})
        case = open_case(police)
        wait_for(lambda: databases["notifications"]["alert_snapshots"].count_documents({}) >= before + 2, 30, 0.05,
                 "the effect (two alerts) to be stored")
        system.kill_worker("notifications")
        wait_for(lambda: depth() == 1, 30, 0.2, "the unacknowledged message to return to the queue")
    finally:
        if "notifications" in system.workers:
            system.kill_worker("notifications")
        system.start_worker("notifications")
    wait_for(lambda: depth() == 0, 30, 0.2, "redelivery")
    assert len(inbox_for(police, case["id"])) == 1
    assert databases["notifications"]["alert_snapshots"].count_documents({"subject_id": case["id"]}) \
        == 2


def test_the_same_event_delivered_twice_has_one_effect(system, police, coordinator, yearly_plan):
    before = newly_managed(coordinator, yearly_plan)
    case_id = uuid.uuid4().hex
    event = new_envelope(event_type="cases.case.opened", schema_version=1, producer="cases",
                         stream=StreamRef("case", f"case-{case_id}", 1), area_code=COMMUNE,
                         actor=Actor("police-22366", "police_liaison", "CAX-22366"),
                         data={"case_id": case_id, "case_number": f"{COMMUNE}-2026-DUP", "person_code": "PDUP",
                               "commune_code": COMMUNE, "regime": "law-120-2025", "stage": "user_management",
                               "opened_on": "2026-08-02"}).to_message()
    for _ in range(2):
        publish_raw(system.env["AMQP_URL"], "cases.case.opened", event, serializer="json")
    wait_for(lambda: inbox_for(police, case_id), 30, message="the alert")
    wait_for(lambda: newly_managed(coordinator, yearly_plan) == before + 1, 30, message="the count")
    wait_for(lambda: queue_depth(vhost_of(system), "notifications.alerts") == 0, 30, message="both deliveries")
    wait_for(lambda: queue_depth(vhost_of(system), "plans.indicators") == 0, 30, message="both deliveries")
    assert len(inbox_for(police, case_id)) == 1 and newly_managed(coordinator, yearly_plan) == before + 1


def test_invalid_messages_are_dead_lettered_and_the_rest_still_flows(system, police):
    url = system.env["AMQP_URL"]
    purge(url, "notifications.alerts.dead", "plans.indicators.dead")
    publish_raw(url, "cases.case.opened", b"{oops", content_type="application/json", content_encoding="utf-8")
    publish_raw(url, "cases.case.opened", {"type": "cases.case.opened", "data": {}}, serializer="json")
    case = open_case(police)
    wait_for(lambda: inbox_for(police, case["id"]), 30, message="a valid event after the invalid ones")
    for queue in ("notifications.alerts.dead", "plans.indicators.dead"):
        dead = collect(url, queue, 2, timeout=30)
        assert b"{oops" in dead and any(b.startswith(b"{") and json.loads(b).get("data") == {} for b in dead
                                        if b != b"{oops"), queue


def test_concurrent_writes_at_the_same_version_let_exactly_one_win(police):
    case = open_case(police)
    barrier, statuses = threading.Barrier(4), []

    def assign(worker_id):
        barrier.wait()
        statuses.append(police("PUT", "cases", f"/cases/{case['id']}/assigned-worker", json={"worker_id": worker_id},
                               headers={"If-Match": '"1"'}).status_code)

    threads = [threading.Thread(target=assign, args=(f"w{i}",)) for i in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert statuses.count(200) == 1 and all(s in (409, 412) for s in statuses if s != 200), statuses
    final = police("GET", "cases", f"/cases/{case['id']}").json()
    assert final["version"] == 2


def test_with_the_database_stopped_the_api_answers_503_and_recovers_by_itself(system, police, ferretdb):
    case = open_case(police)
    ferretdb.stop()
    try:
        response = police("GET", "cases", f"/cases/{case['id']}")
        assert response.status_code == 503, response.text
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert police("POST", "cases", "/cases", json={}).status_code in (422, 503)
        assert requests.get(f"{system.urls['cases']}/readyz", timeout=10).status_code == 503
    finally:
        ferretdb.start()
    wait_for(lambda: police("GET", "cases", f"/cases/{case['id']}").status_code == 200, 60, 0.5,
             "the API to recover")
    assert system.ready("cases")
    later = open_case(police)
    wait_for(lambda: inbox_for(police, later["id"]), 60, 0.5, "the pipeline to recover")
