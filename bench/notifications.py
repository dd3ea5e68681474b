"""Benchmark of the notifications service (issue 9, "Speed and reliability"), each figure next to a baseline
measured in the same run, with real processes: the three services under gunicorn with their workers, a real
local SMTP server (tests/notification_servers.SmtpCatcher) and real HTTP receivers.

(a) events to in-app alerts: `cases.case.opened` events published straight to `cases.events` (as the cases relay
    would) turned into alerts by the notifications worker, events/s from the first publish to the last alert
    snapshot stored; versus a raw kombu consumer (the same broker window: 2 x CONSUMER_BATCH) that acks each message after one pymongo insert,
    on the same broker and FerretDB, fed by the same publisher. The raw consumer runs before and after, each time
    with every queue drained, and the faster of its two runs is the baseline: one commit a message makes it the
    side that a busy disk slows most.
(b) delivery reliability: alerts each sent by e-mail (a unit's duty address, verified through the API with the code
    it received) and by webhook to two agency endpoints: one answering 503 to 30 % of requests (seeded
    pseudo-random), one down (port closed) for the first `--outage` seconds. Counted at the receivers by delivery id
    (Message-ID, webhook-id): lost, doubled, bad signatures (standardwebhooks); attempts and parked from the
    store; versus the same messages sent in one loop with smtplib and requests.
(c) escalation, counted not timed: transfer alerts whose legal deadline (`notify_police_by`) falls over the next
    `--spread` seconds; how many escalated within one timer interval (ESCALATION_POLL_SECONDS) of their deadline,
    with one notifications worker and then with two (each exactly once).

Usage: .venv/bin/python -m bench.notifications [--events 400] [--deliveries 1000] [--escalations 100]
       [--outage 30] [--spread 20] [--max-attempts 20] [--profile 0]
Starts its own FerretDB (port 27517) and RabbitMQ vhost, and stops what it started; writes
var/bench/notifications.json.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import signal
import pstats
import random
import re
import smtplib
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pymongo
from pymongo import monitoring
import requests
from kombu import Connection, Consumer, Exchange, Queue
from standardwebhooks import Webhook

from bench.common import fresh_ferretdb
from shared.auth import mint
from shared.bus import events_exchange
from shared.envelope import Actor, StreamRef, new_envelope
from shared.packed import unpacked
from shared.repository import KEYS_AT_ONCE
from tests.notification_servers import SmtpCatcher, free_port
from tests.support import PRIVATE_KEY, ROOT, System, fresh_vhost, rabbitmqctl, wait_for

PROVINCE = "56"
ROUTED, DELIVERED, ESCALATING = "22366", "22333", "22390"
"""(a)'s commune (its police and committee), (b)'s (its police, with a verified e-mail and two endpoints) and
(c)'s receiving commune (its police; the provincial police above it)."""
ROUTED_RULE = "case_opened"
"""The seeded rule that alerts a commune's police and committee of each case opened there."""
PROVINCIAL_POLICE = "CA-T56-PC04"
PREFETCH = 20
BATCH = 100
"""The worker's CONSUMER_BATCH: its routing consumer lets the broker send 2 * BATCH ahead, and so does (a)'s raw
baseline."""
ALERT_IDS = uuid.UUID("6f1c3a52-52f4-4d47-9a55-6b8e1c0d2a10")
"""services/notifications/service_layer/alerts.py's namespace: the bench derives the ids the service will give."""
UNITS = [(f"CAX-{ROUTED}", "Công an phường Nha Trang", "commune_police", ROUTED),
         (f"UBX-{ROUTED}", "UBND phường Nha Trang", "commune_committee", ROUTED),
         (f"CAX-{DELIVERED}", "Công an phường Bắc Nha Trang", "commune_police", DELIVERED),
         (f"CAX-{ESCALATING}", "Công an phường Tây Nha Trang", "commune_police", ESCALATING),
         (PROVINCIAL_POLICE, "Phòng PC04 Công an tỉnh", "provincial_police", PROVINCE)]


def bearer(**claims) -> dict:
    return {"Authorization": "Bearer " + mint(PRIVATE_KEY, ttl_seconds=3600, **claims)}


COORDINATOR = dict(subject="bench-coordinator", roles=["plan_coordinator"], unit="UBND-T56", areas=[PROVINCE])
ADMIN = dict(subject="bench-admin", roles=["admin"], unit="UBND-T56", areas=[PROVINCE])


def alert_id(event_id: str, rule_id: str, unit: str) -> str:
    return uuid.uuid5(ALERT_IDS, f"{event_id}:{rule_id}:{unit}").hex


def now() -> datetime:
    return datetime.now(timezone.utc)


# Events as the cases relay publishes them

def case_opened(commune: str, index: int) -> dict:
    case_id = uuid.uuid4().hex
    return new_envelope(
        event_type="cases.case.opened", schema_version=1, producer="cases", stream=StreamRef("case", case_id, 1),
        area_code=commune, actor=Actor("bench", "police_liaison", f"CAX-{commune}"),
        data={"case_id": case_id, "case_number": f"HS-{commune}-{index:06d}", "person_code": f"P{index:07d}",
              "commune_code": commune, "regime": "law_73_2021", "stage": "user_management",
              "opened_on": date(2026, 8, 1).isoformat()}).to_message()


def transfer_requested(deadline: datetime, index: int) -> dict:
    case_id = uuid.uuid4().hex
    return new_envelope(
        event_type="cases.case.transfer_requested", schema_version=1, producer="cases",
        stream=StreamRef("case", case_id, 7), area_code=ROUTED, actor=Actor("bench", "police_liaison", "CAX-22366"),
        data={"case_id": case_id, "case_number": f"HS-T-{index:05d}", "commune_code": ROUTED,
              "share_id": uuid.uuid4().hex, "kind": "transfer", "to_unit": None, "to_commune": ESCALATING,
              "status": "requested", "reason_code": "moved", "notify_police_by": deadline.isoformat()}).to_message()


class Publisher:
    """Persistent JSON messages on one channel without waiting for each confirm, so that publishing is never what
    limits either side of a throughput comparison; both sides use this same publisher."""

    def __init__(self, amqp_url: str):
        self.connection = Connection(amqp_url)
        self.producer = self.connection.Producer()

    def publish(self, messages: list[dict], exchange: Exchange, routing_key=None) -> float:
        started = time.perf_counter()
        for message in messages:
            self.producer.publish(message, exchange=exchange, routing_key=routing_key or message["type"],
                                  serializer="json", delivery_mode=2, message_id=message["id"],
                                  declare=[exchange])
        return started

    def close(self) -> None:
        self.connection.release()


# Receivers

class WebhookReceiver:
    """A threaded http.server that answers 503 to `fail_ratio` of requests (seeded pseudo-random, so every run
    fails the same draws), verifies each accepted request's Standard Webhooks signature and keeps its webhook-id.
    `start()` may come late: until then its port is closed."""

    def __init__(self, secret: str | None = None, fail_ratio: float = 0.0, seed: int = 9):
        self.port, self.secret, self.fail_ratio = free_port(), secret, fail_ratio
        self.rng, self.lock = random.Random(seed), threading.Lock()
        self.requests = self.refused = self.bad_signatures = 0
        self.accepted: list[tuple[str, float]] = []
        self.server: ThreadingHTTPServer | None = None
        self.started_at: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> "WebhookReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                status = receiver.take(body, {k.lower(): v for k, v in self.headers.items()})
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.started_at = time.perf_counter()
        return self

    def take(self, body: bytes, headers: dict) -> int:
        with self.lock:
            self.requests += 1
            if self.rng.random() < self.fail_ratio:
                self.refused += 1
                return 503
        try:
            if self.secret:
                Webhook(self.secret).verify(body, headers)
        except Exception:  # noqa: BLE001 - any verification failure is counted, the request still accepted
            with self.lock:
                self.bad_signatures += 1
        with self.lock:
            self.accepted.append((headers.get("webhook-id", ""), time.perf_counter()))
        return 204

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


# Setting the system up through its APIs

def register_units(system: System, db) -> None:
    """Through the plans API: each registration reaches notifications' directory as `plans.unit.registered`."""
    for code, name, kind, area in UNITS:
        answer = requests.post(f"{system.urls['plans']}/api/v1/units", headers=bearer(**COORDINATOR), timeout=10,
                               json={"unit_code": code, "name": name, "kind": kind, "area_code": area})
        assert answer.status_code == 201, answer.text
    wait_for(lambda: db["units"].count_documents({}) >= len(UNITS), 30, 0.2, "the directory in notifications")
    time.sleep(6)  # the worker's directory cache (5 s) sees them


def verified_duty_address(system: System, smtp: SmtpCatcher, unit: str, address: str) -> str:
    """A unit's duty e-mail added by an admin, its one-time code taken from the e-mail the worker sent to the SMTP
    server, and verified with it: the API's flow, end to end."""
    api, admin = f"{system.urls['notifications']}/api/v1", bearer(**ADMIN)
    added = requests.post(f"{api}/units/{unit}/contact-points", headers=admin, timeout=10,
                          json={"kind": "email", "address": address})
    assert added.status_code == 201, added.text
    point = added.json()
    mail = wait_for(lambda: next((m for m in smtp.messages if m["To"] == address), None), 30, 0.1,
                    "the verification e-mail")
    code = re.search(r"\b(\d{6})\b", mail.get_body(("plain",)).get_content()).group(1)
    verified = requests.post(f"{api}/units/{unit}/contact-points/{point['id']}/verification", timeout=10,
                             headers={**admin, "If-Match": added.headers["ETag"]}, json={"code": code})
    assert verified.status_code == 200 and verified.json()["verified"], verified.text
    return str(mail["Message-ID"])


def endpoint(system: System, unit: str, name: str, url: str) -> dict:
    answer = requests.post(f"{system.urls['notifications']}/api/v1/endpoints", headers=bearer(**ADMIN), timeout=10,
                           json={"unit_code": unit, "name": name, "url": url})
    assert answer.status_code == 201, answer.text
    return answer.json()


def route_opened_cases_to(system: System, unit_kinds: list[str], endpoints: list[str]) -> None:
    """The seed rule `case_opened`, changed through the API: by e-mail at once (no grouping window) and by webhook
    to the agency endpoints."""
    api, admin = f"{system.urls['notifications']}/api/v1/rules/case_opened", bearer(**ADMIN)
    current = requests.get(api, headers=admin, timeout=10)
    body = {k: v for k, v in current.json().items() if k not in ("id", "version", "saved_at", "saved_by")}
    body.update(unit_kinds=unit_kinds, channels=["in_app", "email", "webhook"], endpoints=endpoints,
                group_window_minutes=0)
    changed = requests.put(api, headers={**admin, "If-Match": current.headers["ETag"]}, json=body, timeout=10)
    assert changed.status_code == 200, changed.text
    time.sleep(3)  # RULES_CACHE_SECONDS (2 s) in the worker


# (a) events to in-app alerts

def backlog(vhost: str) -> int:
    """Messages waiting or unacknowledged in the vhost's queues, dead letters aside."""
    total = 0
    for line in rabbitmqctl("list_queues", "-p", vhost, "name", "messages").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and not parts[0].endswith(".dead"):
            total += int(parts[1])
    return total


def drained(vhost: str) -> None:
    """Every consumer has caught up: no side of a comparison is measured while another's backlog is still being
    worked off on the same cores and store (the cases and plans workers restarted after (a) alone, for one)."""
    wait_for(lambda: backlog(vhost) == 0, 600, 1.0, "every queue to drain")


def alerts_throughput(publisher: Publisher, db, count: int) -> dict:
    warm = [case_opened(ROUTED, i) for i in range(20)]
    publisher.publish(warm, events_exchange("cases"))
    wait_for(AlertsStored(db, warm), 60, 0.2, "the warm-up alerts")
    messages = [case_opened(ROUTED, 100 + i) for i in range(count)]
    every_alert = AlertsStored(db, messages)
    started = publisher.publish(messages, events_exchange("cases"))
    published = time.perf_counter() - started
    wait_for(every_alert, 60 + count, 0.1, "every alert")
    seconds = time.perf_counter() - started
    return {"events": count, "alerts": 2 * count, "seconds": seconds, "publish_seconds": published,
            "events_per_second": count / seconds, "alerts_per_second": 2 * count / seconds}


class AlertsStored:
    """True once the alert snapshots of these `cases.case.opened` messages are all stored (one per recipient unit,
    by the id the worker gives each), asked by `_id $in` of the next KEYS_AT_ONCE not yet seen: a snapshot is
    decoded once when found. Counting them instead (`count_documents` is an aggregation FerretDB answers by
    decoding every matching snapshot) took 30 % of FerretDB's CPU while the worker ran (pprof, 2026-11-29), a load
    the raw baseline, which counts in memory, never had."""

    def __init__(self, db, messages: list[dict]):
        self.snapshots = db["alert_snapshots"]
        self.missing = [alert_id(message["id"], ROUTED_RULE, unit)
                        for message in messages for unit in (f"CAX-{ROUTED}", f"UBX-{ROUTED}")]

    def __call__(self) -> bool:
        while self.missing:
            window = self.missing[:KEYS_AT_ONCE]
            found = {d["_id"] for d in self.snapshots.find({"_id": {"$in": window}}, {"_id": 1})}
            self.missing = [key for key in window if key not in found] + self.missing[KEYS_AT_ONCE:]
            if len(found) < len(window):
                return False
        return True


def raw_throughput(amqp_url: str, mongodb_uri: str, publisher: Publisher, count: int) -> dict:
    """The floor: a kombu consumer with the worker's broker window acking each message after one pymongo insert."""
    collection = pymongo.MongoClient(mongodb_uri)["bench_notifications_floor"]["effects"]
    exchange = Exchange("bench.notifications.floor", type="topic", durable=True)
    queue = Queue(f"bench.floor.{uuid.uuid4().hex[:6]}", exchange=exchange, routing_key="#", durable=True,
                  queue_arguments={"x-queue-type": "quorum"})
    done: list[float] = []
    ready, stop = threading.Event(), threading.Event()

    def consume():
        with Connection(amqp_url) as connection:
            def on_message(body, message):
                collection.insert_one({"_id": body["id"], "type": body["type"], "case_id": body["data"]["case_id"]})
                message.ack()
                done.append(time.perf_counter())
            with Consumer(connection, queues=[queue], callbacks=[on_message], accept=["json"],
                          prefetch_count=2 * BATCH):
                ready.set()
                while not stop.is_set():
                    try:
                        connection.drain_events(timeout=0.2)
                    except TimeoutError:
                        pass

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    ready.wait(10)
    warm = [case_opened(ROUTED, i) for i in range(20)]
    publisher.publish(warm, exchange, "x")
    wait_for(lambda: len(done) >= len(warm), 30, 0.05, "the floor's warm-up")
    messages = [case_opened(ROUTED, 100 + i) for i in range(count)]
    started = publisher.publish(messages, exchange, "x")
    wait_for(lambda: len(done) >= len(warm) + count, 60 + count, 0.02, "the floor")
    stop.set()
    thread.join(5)
    seconds = done[-1] - started
    return {"events": count, "seconds": seconds, "events_per_second": count / seconds}


class CommandTally(monitoring.CommandListener):
    """pymongo command monitoring: how many round trips of which kind on which collection, and their time, while
    `on`."""

    def __init__(self):
        self.on, self.counts, self.seconds = False, Counter(), Counter()
        self.targets: dict[int, str] = {}
        self.lock = threading.Lock()

    def started(self, event):
        if self.on:
            with self.lock:
                name = "collection" if event.command_name == "getMore" else event.command_name
                self.targets[event.request_id] = str(event.command.get(name, ""))

    def succeeded(self, event):
        self._count(event)

    def failed(self, event):
        self._count(event)

    def _count(self, event):
        with self.lock:
            target = self.targets.pop(event.request_id, None)
            if not self.on or target is None:
                return
            key = f"{event.command_name} {target}"
            self.counts[key] += 1
            self.seconds[key] += event.duration_micros / 1e6


PROFILED = [("route_events", "service_layer/alerts.py", "route_events"),
            ("  rules.active_for + resolving (cached)", "adapters/rules.py", ("active_for", "resolving")),
            ("  directory.for_routing (cached 5 s)", "adapters/directory.py", "for_routing"),
            ("  endpoints.named", "adapters/endpoints.py", "named"),
            ("  titles.of: template (cached) + 2 renders", "adapters/content.py", "of"),
            ("  Alert.raise_for", "domain/model.py", "raise_for"),
            ("  alerts.save_many (pending, events, snapshots)", "shared/repository.py", "save_many"),
            ("    snapshot documents built", "shared/repository.py", "_snapshot_document"),
            ("  delivery.deliver_many", "service_layer/delivering.py", "deliver_many"),
            ("    disclosures.record_many (in-app)", "adapters/deliveries.py", "record_many"),
            ("    audience.reach (members, contact points)", "service_layer/members.py", "reach"),
            ("    queue.add", "adapters/deliveries.py", "add")]


def profile_routing(mongodb_uri: str, amqp_url: str, prefix: str, count: int) -> dict:
    """Where a routed event's time goes: the worker's path for `count` events (`RouteEvents` of as many as the
    consumer's batch; not the relay's publishing) run in this process against the same FerretDB, under cProfile
    and pymongo's command monitoring."""
    import os

    from shared.envelope import envelope_from_message
    from shared.settings import Settings
    from services.notifications.bootstrap import bootstrap
    from services.notifications.domain.commands import RouteEvents
    from services.notifications.entrypoints.consumers import ALERTS

    tally = CommandTally()
    monitoring.register(tally)
    os.environ.update(MONGODB_URI=mongodb_uri, AMQP_URL=amqp_url, MONGODB_DB_PREFIX=prefix, LOG_LEVEL="WARNING")
    bus = bootstrap(Settings.from_env("notifications"))
    events = [envelope_from_message(case_opened(ROUTED, 900000 + i), ALERTS.contracts) for i in range(count + 5)]

    def handle(batch):
        """As the worker's consumer does: what arrived together (up to its batch) in one RouteEvents."""
        bus.handle(RouteEvents(batch))

    def batches(items):
        return [items[i:i + BATCH] for i in range(0, len(items), BATCH)]

    handle(events[:5])
    plain = [envelope_from_message(case_opened(ROUTED, 800000 + i), ALERTS.contracts) for i in range(count)]
    started = time.perf_counter()
    for batch in batches(plain):
        handle(batch)
    plain_seconds = time.perf_counter() - started
    profiler = cProfile.Profile()
    tally.on = True
    started = time.perf_counter()
    profiler.enable()
    for batch in batches(events[5:]):
        handle(batch)
    profiler.disable()
    seconds = time.perf_counter() - started
    tally.on = False
    stats = pstats.Stats(profiler, stream=io.StringIO()).stats
    rows = {}
    for label, path, names in PROFILED:
        names = (names,) if isinstance(names, str) else names
        rows[label] = sum(value[3] for (file, _, name), value in stats.items()
                          if file.endswith(path) and name in names) / count * 1000
    return {"events": count, "plain_ms_per_event": 1000 * plain_seconds / count,
            "plain_events_per_second": count / plain_seconds, "ms_per_event": 1000 * seconds / count,
            "ms_per_event_by_step": rows,
            "round_trips_per_event": {k: v / count for k, v in tally.counts.most_common()},
            "round_trip_ms_per_event": {k: 1000 * v / count for k, v in tally.seconds.most_common()}}


# (b) delivery reliability

def delivery_reliability(system: System, publisher: Publisher, db, smtp: SmtpCatcher, count: int,
                         outage: float, timeout: float) -> dict:
    from services.notifications.adapters.channels.smtp import message_id
    from services.notifications.domain.deliveries import ALERT, delivery_id

    unit, address = f"CAX-{DELIVERED}", f"truc.ban.{DELIVERED}@congan.example.vn"
    flaky, down = WebhookReceiver(fail_ratio=0.3, seed=9).start(), WebhookReceiver()
    verification_id = verified_duty_address(system, smtp, unit, address)
    flaky_endpoint = endpoint(system, unit, "Hệ thống nghiệp vụ (30 % 503)", flaky.url)
    down_endpoint = endpoint(system, unit, "Hệ thống dự phòng (tắt 30 s)", down.url)
    flaky.secret, down.secret = flaky_endpoint["secret"], down_endpoint["secret"]
    route_opened_cases_to(system, ["commune_police"], [flaky_endpoint["id"], down_endpoint["id"]])

    messages = [case_opened(DELIVERED, i) for i in range(count)]
    alerts = [alert_id(m["id"], "case_opened", unit) for m in messages]
    expected = {
        "email": {message_id(delivery_id(a, ALERT, "0", "email", f"unit:{unit}")) for a in alerts},
        "flaky": {delivery_id(a, ALERT, "0", "webhook", f"endpoint:{flaky_endpoint['id']}") for a in alerts},
        "down": {delivery_id(a, ALERT, "0", "webhook", f"endpoint:{down_endpoint['id']}") for a in alerts}}
    mails_before = len(smtp.messages)
    started = publisher.publish(messages, events_exchange("cases"))
    comes_up = threading.Timer(max(0.0, outage - (time.perf_counter() - started)), down.start)
    comes_up.start()

    def received() -> dict[str, list[tuple[str, float]]]:
        return {"email": [(str(m["Message-ID"]), 0.0) for m in smtp.messages[mails_before:]],
                "flaky": list(flaky.accepted), "down": list(down.accepted)}

    mail_times: dict[str, float] = {}
    routed: list[float] = []

    def complete() -> bool:
        if not routed and db["alert_snapshots"].count_documents({"recipient_unit": unit}) >= count:
            routed.append(time.perf_counter() - started)
        for m in smtp.messages[mails_before:]:
            mail_times.setdefault(str(m["Message-ID"]), time.perf_counter())
        got = received()
        return all(expected[k] <= {i for i, _ in got[k]} for k in expected)

    def activity() -> int:
        return len(smtp.messages) + flaky.requests + down.requests

    finished = until(complete, activity, stall_seconds=max(60.0, outage + 30), cap_seconds=timeout)
    seconds = time.perf_counter() - started
    time.sleep(3)  # late copies would arrive now
    got = received()
    comes_up.cancel()
    report = {"alerts": count, "expected_per_receiver": count, "finished": finished, "seconds": seconds,
              "alerts_raised_after_seconds": routed[0] if routed else None,
              "settings": {}, "receivers": {}}
    for name, ids in got.items():
        all_ids = [i for i, _ in ids]
        distinct = set(all_ids)
        times = [mail_times.get(i, 0.0) for i in distinct & expected[name]] if name == "email" else \
            [t for i, t in ids if i in expected[name]]
        report["receivers"][name] = {
            "expected": len(expected[name]), "received": len(all_ids), "distinct": len(distinct & expected[name]),
            "lost": len(expected[name] - distinct), "doubled": len(all_ids) - len(distinct),
            "unexpected": len(distinct - expected[name] - {verification_id}),
            "done_after_seconds": (max(times) - started) if times else None}
    for name, receiver in (("flaky", flaky), ("down", down)):
        report["receivers"][name].update(requests=receiver.requests, answered_503=receiver.refused,
                                         bad_signatures=receiver.bad_signatures)
    report["store"] = delivery_store_counts(db, expected, unit, flaky_endpoint["id"], down_endpoint["id"])
    flaky.stop()
    down.stop()
    return report


def until(done, activity, stall_seconds: float, cap_seconds: float) -> bool:
    """Wait for `done()` while `activity()` keeps changing (within `stall_seconds`), at most `cap_seconds`."""
    started = last_change = time.perf_counter()
    last = activity()
    while not done():
        moment = time.perf_counter()
        if moment - last_change > stall_seconds or moment - started > cap_seconds:
            return False
        if (current := activity()) != last:
            last, last_change = current, moment
        time.sleep(0.2)
    return True


def delivery_store_counts(db, expected: dict, unit: str, flaky_id: str, down_id: str) -> dict:
    targets = {f"unit:{unit}": "email", f"endpoint:{flaky_id}": "flaky", f"endpoint:{down_id}": "down"}
    statuses: dict[str, Counter] = {name: Counter() for name in expected}
    attempts: Counter = Counter()
    most: Counter = Counter()
    for row in db["deliveries"].find({"purpose": "alert"}, {"target": 1, "status": 1, "attempts": 1}):
        name = targets.get(row["target"])
        if name is None:
            continue
        statuses[name][row["status"]] += 1
        attempts[name] += row.get("attempts") or 0
        most[name] = max(most[name], row.get("attempts") or 0)
    return {name: {"statuses": dict(statuses[name]), "attempts": attempts[name], "most_attempts": most[name]}
            for name in expected}


def direct_sends(smtp: SmtpCatcher, count: int) -> dict:
    """The same messages sent in one loop: an e-mail with smtplib (a connection each, as the channel does) and two
    signed webhooks with requests to a receiver that always accepts."""
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    receiver = WebhookReceiver(secret=secret).start()
    signer = Webhook(secret)
    body = {"alert_id": "", "category": "case_opened", "summary": "Hồ sơ quản lý mới HS-22333-000001 tại Phường Bắc "
            "Nha Trang", "cap": "<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'/>" * 20}
    started = time.perf_counter()
    for index in range(count):
        mail = EmailMessage()
        mail["From"], mail["To"] = "canhbao@donghanh.local", "truc.ban@congan.example.vn"
        mail["Subject"], mail["Message-ID"] = "Hồ sơ quản lý mới", f"<baseline-{index}@donghanh.local>"
        mail.set_content("Một hồ sơ quản lý mới được mở.\n" * 10)
        mail.add_alternative("<p>Một hồ sơ quản lý mới được mở.</p>" * 10, subtype="html")
        with smtplib.SMTP(smtp.controller.hostname, smtp.port, timeout=10) as client:
            client.send_message(mail)
        for copy in range(2):
            msg_id, at = f"baseline-{index}-{copy}", now()
            payload = json.dumps({**body, "alert_id": msg_id}, ensure_ascii=False)
            answer = requests.post(receiver.url, data=payload.encode(), timeout=10, headers={
                "content-type": "application/json", "webhook-id": msg_id,
                "webhook-timestamp": str(int(at.timestamp())), "webhook-signature": signer.sign(msg_id, at, payload)})
            assert answer.status_code == 204
    seconds = time.perf_counter() - started
    receiver.stop()
    return {"messages": 3 * count, "seconds": seconds, "bad_signatures": receiver.bad_signatures}


# (c) escalation

def escalation_trials(system: System, publisher: Publisher, db, count: int, spread: float, interval: float,
                      lead: float = 8.0) -> dict:
    base = now() + timedelta(seconds=lead)
    deadlines = [base + timedelta(seconds=spread * i / max(1, count - 1)) for i in range(count)]
    messages = [transfer_requested(deadline, i) for i, deadline in enumerate(deadlines)]
    unit = f"CAX-{ESCALATING}"
    alerts = {alert_id(m["id"], "transfer_requested", unit): d for m, d in zip(messages, deadlines)}
    children = {uuid.uuid5(ALERT_IDS, f"{a}:1:{PROVINCIAL_POLICE}").hex: a for a in alerts}
    publisher.publish(messages, events_exchange("cases"))
    events = db["events"]

    def steps() -> list[dict]:
        found = events.find({"stream_id": {"$in": [f"alert-{a}" for a in (*alerts, *children)]}},
                            {"stream_id": 1, "type": 1, "data": 1, "recorded_at": 1})
        return [{**e, "stream_id": e["stream_id"].removeprefix("alert-"), "data": unpacked(e["data"])}
                for e in found]

    def escalated_all() -> bool:
        found = steps()
        return sum(1 for e in found if e["type"] == "notifications.alert.escalated") >= count and \
            sum(1 for e in found if e["stream_id"] in children) >= count

    finished = True
    try:
        wait_for(escalated_all, lead + spread + 60, 0.5, "every escalation")
    except AssertionError:
        finished = False
    time.sleep(2 * interval + 1)  # a second escalation by another worker would show now
    found = steps()
    raised = {e["stream_id"]: e for e in found
              if e["type"] == "notifications.alert.raised" and e["stream_id"] in alerts}
    escalations: dict[str, list[dict]] = {}
    for e in found:
        if e["type"] == "notifications.alert.escalated":
            escalations.setdefault(e["stream_id"], []).append(e["data"])
    child_counts = Counter(children[e["stream_id"]] for e in found
                           if e["stream_id"] in children and e["type"] == "notifications.alert.raised")
    lateness = []
    for alert, deadline in alerts.items():
        if escalations.get(alert):
            lateness.append((datetime.fromisoformat(escalations[alert][0]["escalated_at"]) - deadline)
                            .total_seconds())
    raised_late = sum(1 for a, d in alerts.items() if a in raised and
                      datetime.fromisoformat(raised[a]["data"]["raised_at"]) > d)
    within = sum(1 for late in lateness if 0 <= late <= interval)
    runs = timer_runs(found, children)
    return {"alerts": count, "finished": finished, "raised": len(raised), "raised_after_deadline": raised_late,
            "escalated": len(escalations), "escalated_exactly_once": sum(1 for v in escalations.values()
                                                                          if len(v) == 1),
            "escalated_more_than_once": sum(1 for v in escalations.values() if len(v) > 1),
            "next_level_alerts_exactly_once": sum(1 for a in alerts if child_counts[a] == 1),
            "within_one_interval": within, "early": sum(1 for late in lateness if late < 0),
            "lateness_seconds": {"min": min(lateness, default=None), "max": max(lateness, default=None),
                                 "mean": sum(lateness) / len(lateness) if lateness else None},
            "timer_interval_seconds": interval, "timer_runs": runs}


def timer_runs(found: list[dict], children: dict[str, str]) -> dict:
    """The escalation timer's runs, told apart by their `escalated_at` (one clock reading per run): how many
    alerts each escalated and how long it took to store the last of its steps (the next level's alert)."""
    decided = {e["stream_id"]: e["data"]["escalated_at"] for e in found if e["type"] == "notifications.alert.escalated"}
    ends: dict[str, datetime] = {}
    sizes: Counter = Counter(decided.values())
    for e in found:
        parent = children.get(e["stream_id"])
        if parent in decided and e["type"] == "notifications.alert.raised":
            stored = e["recorded_at"].replace(tzinfo=timezone.utc)
            ends[decided[parent]] = max(ends.get(decided[parent], stored), stored)
    durations = {at: (end - datetime.fromisoformat(at)).total_seconds() for at, end in ends.items()}
    per_alert = [durations[at] / sizes[at] for at in durations]
    return {"runs": len(sizes), "most_alerts_in_a_run": max(sizes.values(), default=0),
            "longest_run_seconds": max(durations.values(), default=None),
            "mean_seconds_per_escalation": sum(per_alert) / len(per_alert) if per_alert else None}


# The run

def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=400, help="(a) events published")
    parser.add_argument("--deliveries", type=int, default=1000, help="(b) alerts, each by e-mail and 2 webhooks")
    parser.add_argument("--escalations", type=int, default=100, help="(c) alerts per trial")
    parser.add_argument("--outage", type=float, default=30.0, help="(b) seconds the second receiver is down")
    parser.add_argument("--spread", type=float, default=20.0, help="(c) seconds the deadlines are spread over")
    parser.add_argument("--poll", type=float, default=0.2, help="DELIVERY_POLL_SECONDS")
    parser.add_argument("--backoff-base", type=float, default=0.2, help="DELIVERY_BACKOFF_BASE_SECONDS")
    parser.add_argument("--backoff-cap", type=float, default=5.0, help="DELIVERY_BACKOFF_CAP_SECONDS")
    parser.add_argument("--max-attempts", type=int, default=20, help="DELIVERY_MAX_ATTEMPTS")
    parser.add_argument("--escalation-poll", type=float, default=1.0, help="ESCALATION_POLL_SECONDS")
    parser.add_argument("--profile", type=int, default=0, help="also cProfile routing this many events in-process")
    parser.add_argument("--parts", default="abc", help="which parts to run")
    args = parser.parse_args()
    settings = {"DELIVERY_POLL_SECONDS": str(args.poll), "DELIVERY_BACKOFF_BASE_SECONDS": str(args.backoff_base),
                "DELIVERY_BACKOFF_CAP_SECONDS": str(args.backoff_cap),
                "DELIVERY_MAX_ATTEMPTS": str(args.max_attempts), "ESCALATION_POLL_SECONDS": str(args.escalation_poll)}
    ferretdb = fresh_ferretdb(27517, 28588, "notifications-ferretdb")
    amqp_url = fresh_vhost("donghanh_bench_notifications")
    smtp = SmtpCatcher().start()
    prefix = "benchn"
    system = System(ferretdb.uri, amqp_url, prefix, base_port=19400, extra_env={
        "LOG_LEVEL": "WARNING", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port),
        "NOTIFY_WEBHOOK_ALLOW": "127.0.0.1", "CONSUMER_PREFETCH": str(PREFETCH),
        "CONSUMER_BATCH": str(BATCH), **settings})
    second_worker = None
    publisher = None
    report: dict = {"date": now().isoformat(timespec="seconds"), "settings": settings,
                    "machine": machine()}
    run_started = time.perf_counter()
    try:
        subprocess.run([sys.executable, "-m", "services.topology", "declare", "--amqp-url", amqp_url], check=True)
        system.start()
        db = pymongo.MongoClient(ferretdb.uri)[f"{prefix}_notifications"]
        publisher = Publisher(amqp_url)
        register_units(system, db)
        if "a" in args.parts:
            vhost = amqp_url.rsplit("/", 1)[1]
            drained(vhost)
            floor_before = raw_throughput(amqp_url, ferretdb.uri, publisher, args.events)
            ours = alerts_throughput(publisher, db, args.events)
            drained(vhost)
            for service in ("cases", "plans"):
                system.kill_worker(service, signal.SIGTERM)
            alone = alerts_throughput(publisher, db, args.events)
            for service in ("cases", "plans"):
                system.start_worker(service)
            drained(vhost)
            floor_after = raw_throughput(amqp_url, ferretdb.uri, publisher, args.events)
            floor = max(floor_before, floor_after, key=lambda run: run["events_per_second"])
            report["a"] = {"ours": ours, "alone": alone, "raw": floor, "raw_runs": [floor_before, floor_after],
                           "ratio": ours["events_per_second"] / floor["events_per_second"],
                           "ratio_alone": alone["events_per_second"] / floor["events_per_second"]}
            if args.profile:
                report["a"]["profile"] = profile_routing(ferretdb.uri, amqp_url, prefix, args.profile)
        if "b" in args.parts:
            ours = delivery_reliability(system, publisher, db, smtp, args.deliveries, args.outage,
                                        timeout=900)
            direct = direct_sends(smtp, args.deliveries)
            report["b"] = {"ours": ours, "direct": direct, "time_ratio": ours["seconds"] / direct["seconds"]}
        if "c" in args.parts:
            one = escalation_trials(system, publisher, db, args.escalations, args.spread, args.escalation_poll)
            second_worker = system._spawn("notifications-worker-2", ["-m", "services.notifications.entrypoints.worker"],
                                          system.env)
            time.sleep(8)  # its bootstrap, consumers and timers
            two = escalation_trials(system, publisher, db, args.escalations, args.spread, args.escalation_poll)
            report["c"] = {"one_worker": one, "two_workers": two}
    finally:
        if publisher:
            publisher.close()
        if second_worker is not None and second_worker.poll() is None:
            second_worker.terminate()
            second_worker.wait(15)
        system.stop()
        smtp.stop()
        ferretdb.stop()
    report["run_seconds"] = time.perf_counter() - run_started
    report["machine"]["load_average_at_end"] = os.getloadavg()
    print_table(report)
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "notifications.json").write_text(json.dumps(report, indent=2, default=str))


def machine() -> dict:
    import platform
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform(),
            "load_average": os.getloadavg()}


def _s(value) -> str:
    return "-" if value is None else f"{value:.2f}"


def print_table(report: dict) -> None:
    if "a" in report:
        a = report["a"]
        print(f"(a) events -> in-app alerts  {a['ours']['events_per_second']:8.1f} events/s "
              f"({a['ours']['alerts_per_second']:.1f} alerts/s, {a['ours']['events']} events in "
              f"{a['ours']['seconds']:.1f} s)   raw consume+insert {a['raw']['events_per_second']:8.1f} /s   "
              f"ratio {a['ratio']:.3f}  (target >= 0.5)")
        print("    raw, before and after (the faster is the baseline): "
              + " and ".join(f"{run['events_per_second']:.1f} /s" for run in a["raw_runs"]))
        if a.get("alone"):
            print(f"    the notifications worker alone (the cases and plans workers stopped, as the raw baseline "
                  f"runs alone): {a['alone']['events_per_second']:.1f} events/s, ratio {a['ratio_alone']:.3f}")
        if a.get("profile"):
            p = a["profile"]
            print(f"    routing in-process (no relay, no other process): {p['plain_events_per_second']:.1f} events/s "
                  f"({p['plain_ms_per_event']:.1f} ms an event); under cProfile {p['ms_per_event']:.1f} ms, by step:")
            for label, ms in p["ms_per_event_by_step"].items():
                print(f"      {label:55s} {ms:7.2f}")
            trips = ", ".join(f"{k} {v:.2f} ({p['round_trip_ms_per_event'][k]:.1f} ms)"
                              for k, v in p["round_trips_per_event"].items())
            print(f"    round trips an event: {sum(p['round_trips_per_event'].values()):.1f}: {trips}")
    if "b" in report:
        b, ours = report["b"], report["b"]["ours"]
        print(f"(b) {ours['alerts']} alerts x (e-mail + 2 webhooks) in {ours['seconds']:.1f} s   direct loop "
              f"{b['direct']['seconds']:.1f} s   time ratio {b['time_ratio']:.1f}x   finished: {ours['finished']}   "
              f"(the last alert raised after {_s(ours['alerts_raised_after_seconds'])} s)")
        for name, row in ours["receivers"].items():
            store = ours["store"][name]
            print(f"    {name:6s} expected {row['expected']:5d}  distinct {row['distinct']:5d}  lost {row['lost']:3d}  "
                  f"doubled {row['doubled']:3d}  bad signatures {row.get('bad_signatures', '-')}  "
                  f"503s {row.get('answered_503', '-')}  attempts {store['attempts']:5d} (max {store['most_attempts']})"
                  f"  statuses {store['statuses']}  done after {row['done_after_seconds'] or 0:.1f} s")
    if "c" in report:
        for name, c in report["c"].items():
            late = c["lateness_seconds"]
            print(f"(c) {name:11s} escalated within one interval ({c['timer_interval_seconds']} s): "
                  f"{c['within_one_interval']}/{c['alerts']}   exactly once {c['escalated_exactly_once']}/{c['alerts']}"
                  f"   more than once {c['escalated_more_than_once']}   next level alerts once "
                  f"{c['next_level_alerts_exactly_once']}   lateness min/mean/max {_s(late['min'])}/{_s(late['mean'])}/"
                  f"{_s(late['max'])} s   raised after deadline {c['raised_after_deadline']}")
            runs = c["timer_runs"]
            print(f"    {runs['runs']} timer runs escalated them, up to {runs['most_alerts_in_a_run']} alerts in one, "
                  f"longest {_s(runs['longest_run_seconds'])} s, {_s(runs['mean_seconds_per_escalation'])} s an escalation")
    print(f"whole run {report['run_seconds']:.0f} s")


if __name__ == "__main__":
    main()
