"""The local system under supervisord (as ./deploy/run.sh starts it): each API and each worker killed with SIGKILL
once while cases are opened and read. supervisord restarts each; the APIs keep answering (a killed API's requests
fail only until it is back, and writes are retried with their Idempotency-Key); every case that was opened reaches
the plans' indicator and the notifications' alerts exactly once. Then the workers' metrics, after that real work."""
from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
import uuid
from datetime import date, timedelta

import pytest
import requests
from shared.packed import unpacked
from tests import alert_rules
from tests.e2e.conftest import COMMUNE, inbox_for, newly_managed, open_case
from tests.e2e.supervised import APIS, WORKERS, SupervisedSystem
from tests.support import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.fault]


@pytest.fixture(scope="module")
def system(ferretdb, broker):
    running = SupervisedSystem(ferretdb.uri, broker, db_prefix=f"sup{uuid.uuid4().hex[:6]}",
                               extra_env={"TIMER_INTERVAL_SECONDS": "2"})
    try:
        yield running.start()
    finally:
        running.stop()


class Traffic:
    """Cases opened one after another (each POST retried under its own Idempotency-Key until it is answered),
    and reads of each API; every failed request is noted with its service and time."""

    def __init__(self, police, coordinator, plan_id: str, reference_case: str):
        self.police, self.coordinator, self.plan_id, self.case = police, coordinator, plan_id, reference_case
        self.stop = threading.Event()
        self.failures: list[tuple[str, float, str]] = []
        self.opened: dict[str, str] = {}
        self.unanswered: list[str] = []
        self.attempts = 0
        self.births = (date(1940, 1, 1) + timedelta(days=i) for i in range(10_000))
        self.threads = [threading.Thread(target=self._open_cases)] + [
            threading.Thread(target=self._read, args=(service, call)) for service, call in (
                ("plans", lambda: self.coordinator("GET", "plans", f"/plans/{self.plan_id}")),
                ("cases", lambda: self.police("GET", "cases", f"/cases/{self.case}")),
                ("notifications", lambda: self.police("GET", "notifications", "/inbox")))]

    def __enter__(self):
        [t.start() for t in self.threads]
        return self

    def __exit__(self, *exc):
        self.stop.set()
        [t.join(60) for t in self.threads]

    def _failed(self, service: str, what: str) -> None:
        self.failures.append((service, time.monotonic(), what))

    def _read(self, service, call) -> None:
        while not self.stop.wait(0.1):
            try:
                status = call().status_code
                if status != 200:
                    self._failed(service, str(status))
            except requests.RequestException as error:
                self._failed(service, type(error).__name__)

    def _open_cases(self) -> None:
        while not self.stop.wait(0.4):
            key, self.attempts = uuid.uuid4().hex, self.attempts + 1
            body = {"person": {"full_name": "Phạm Văn Giám", "birth_date": next(self.births).isoformat(),
                               "sex": "male"}, "commune_code": COMMUNE, "opened_on": "2026-08-03"}
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    response = self.police("POST", "cases", "/cases", json=body, headers={"Idempotency-Key": key})
                except requests.RequestException as error:
                    self._failed("cases", type(error).__name__)
                    time.sleep(0.2)
                    continue
                if response.status_code == 201:
                    self.opened[key] = response.json()["id"]
                    break
                assert response.status_code in (409, 502, 503, 504), response.text
                self._failed("cases", str(response.status_code))
                time.sleep(0.3)
            else:
                self.unanswered.append(key)


def alerts_of(databases, case_id: str) -> int:
    return databases["notifications"]["alert_snapshots"].count_documents({"subject_id": case_id})


def counted_cases(databases) -> int:
    """The cases the case counts projection holds, over every commune's row."""
    return sum(sum(json.loads(row["stages"]).values()) for row in databases["cases"]["case_counts"].find())


def opened_in_log(databases) -> list[str]:
    return [unpacked(e["data"])["case_id"] for e in databases["cases"]["events"].find({"type": "cases.case.opened"},
                                                                                        {"data": 1})]


def test_each_process_killed_is_restarted_and_every_write_reaches_its_consumers_once(
        system, police, coordinator, yearly_plan, databases):
    reference = open_case(police)
    wait_for(lambda: inbox_for(police, reference["id"]), 30, 0.2, "the reference case's alert")
    time.sleep(1.0)
    alerts_per_case = alerts_of(databases, reference["id"])
    wait_for(lambda: newly_managed(coordinator, yearly_plan) == 1, 30, 0.2, "the reference case counted")

    outages: dict[str, tuple[float, float]] = {}
    with Traffic(police, coordinator, yearly_plan, reference["id"]) as traffic:
        time.sleep(1.5)
        for program in APIS + WORKERS:
            old_pid = system.info(program)["pid"]
            killed_at = time.monotonic()
            os.kill(old_pid, signal.SIGKILL)
            wait_for(lambda: system.restarted(program, old_pid), 30, 0.1, f"supervisord to restart {program}")
            service = program.split("-")[0]
            if program in APIS:
                wait_for(lambda: system.ready(service), 30, 0.1, f"{program} to answer again")
                outages[service] = (killed_at, time.monotonic())
            time.sleep(1.0)

    for service, at, what in traffic.failures:
        start, end = outages[service]
        assert start - 0.5 <= at <= end + 1.0, (service, what, at - start, end - start)
    assert len(traffic.opened) >= 15 and len(traffic.opened) + len(traffic.unanswered) == traffic.attempts

    in_log = opened_in_log(databases)
    traffic_cases = set(in_log) - {reference["id"]}
    assert len(in_log) == len(set(in_log)) and set(traffic.opened.values()) <= traffic_cases
    assert len(traffic_cases) <= traffic.attempts, "a retried POST opened a second case"
    wait_for(lambda: newly_managed(coordinator, yearly_plan) == len(in_log), 60, 0.5, "every case counted")
    wait_for(lambda: counted_cases(databases) == len(in_log), 60, 0.5, "every case in the case counts")
    wait_for(lambda: all(alerts_of(databases, c) >= alerts_per_case for c in traffic_cases), 60, 0.5,
             "every case's alerts")
    time.sleep(2.0)
    assert newly_managed(coordinator, yearly_plan) == len(in_log) == counted_cases(databases)
    assert {c: alerts_of(databases, c) for c in traffic_cases} == {c: alerts_per_case for c in traffic_cases}
    assert all(system.info(p)["statename"] == "RUNNING" for p in APIS + WORKERS)


def scrape(system, service: str) -> str:
    response = requests.get(f"{system.urls[service]}/metrics", timeout=10)
    assert response.status_code == 200
    return response.text


def sample(text: str, name: str, **labels) -> float | None:
    for line in text.splitlines():
        match = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(3))
    return None


def test_the_workers_metrics_appear_after_real_work(system, police, yearly_plan):
    case = open_case(police)
    wait_for(lambda: inbox_for(police, case["id"]), 30, 0.2, "the case's alert")

    def metrics_of_real_work():
        cases, notifications = scrape(system, "cases"), scrape(system, "notifications")
        return (sample(cases, "relay_published_total", service="cases") or 0) >= 1 \
            and (sample(cases, "worker_timer_runs_total", timer="due-dates", outcome="ok") or 0) >= 1 \
            and (sample(notifications, "consumer_handled_total", queue="notifications.alerts",
                        type="cases.case.opened") or 0) >= 1 \
            and sample(notifications, "queue_consumers", queue="notifications.alerts") == 2 \
            and sample(notifications, "dead_letter_messages", queue="notifications.alerts") == 0 \
            and time.time() - (sample(cases, "worker_heartbeat_timestamp_seconds", service="cases") or 0) < 15 \
            and sample(cases, "outbox_pending", service="cases") is not None \
            and sample(cases, "outbox_oldest_age_seconds", service="cases") is not None
    wait_for(metrics_of_real_work, 20, 0.5, "the workers' metrics")

    exported = "".join(scrape(system, s) for s in ("plans", "cases", "notifications"))
    sampled = ("OutboxOlderThan60s", "DeadLetters", "ConsumerDown", "WorkerDown")
    """The other rules count failures, whose series appear with the first failure."""
    for rule in (r for group in alert_rules.load()["groups"] for r in group["rules"] if r["alert"] in sampled):
        for name in alert_rules.metric_names(rule["expr"]):
            assert re.search(rf"^{name}\{{", exported, re.M), (rule["alert"], name)
