"""Benchmark of the walking skeleton, each figure next to a baseline measured in the same run.

(a) alert latency: POST a case -> the alert is in the unit's inbox, versus the raw floor on the same servers
    (kombu publish with confirm -> a consumer receives it -> one pymongo insert).
(b) read throughput: GET /api/v1/cases/<id> versus a bare Flask + pymongo endpoint reading the same document, and
    versus a bare endpoint making the same round trips a case read makes (bench/bare_app.py), all under
    deploy/gunicorn.conf.py: the second baseline shows how much of the gap the round trips explain.

Usage: .venv/bin/python -m bench.skeleton [--cases 60] [--seconds 8] [--concurrency 8]
Starts its own FerretDB (port 27217) and RabbitMQ vhost, and stops what it started.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, timedelta

import pymongo
import requests
from kombu import Connection, Consumer, Exchange, Queue

from bench.common import answers, fresh_ferretdb, percentile
from shared.auth import mint
from tests.support import PRIVATE_KEY, ROOT, System, fresh_vhost, wait_for

COMMUNE = "22366"


def bearer(**claims):
    return {"Authorization": "Bearer " + mint(PRIVATE_KEY, ttl_seconds=3600, **claims)}


def skeleton_latency(system: System, count: int) -> list[float]:
    coordinator = bearer(subject="bench", roles=["plan_coordinator"], unit="UBND-T56", areas=["56"])
    police = bearer(subject="bench-police", roles=["police_liaison"], unit=f"CAX-{COMMUNE}", areas=[COMMUNE])
    requests.post(f"{system.urls['plans']}/api/v1/units", headers=coordinator, timeout=10, json={
        "unit_code": f"CAX-{COMMUNE}", "name": "Công an phường", "kind": "commune_police", "area_code": COMMUNE})
    session = requests.Session()
    session.headers.update(police)
    time.sleep(2)
    latencies = []
    for index in range(count + 5):
        started = time.perf_counter()
        response = session.post(f"{system.urls['cases']}/api/v1/cases", timeout=10, json={
            "person": {"full_name": "Nguyễn Văn Bình", "sex": "male",
                       "birth_date": (date(1970, 1, 1) + timedelta(days=index)).isoformat()},
            "commune_code": COMMUNE, "opened_on": "2026-08-01"})
        case_id = response.json()["id"]
        wait_for(lambda: any(a["subject_id"] == case_id for a in session.get(
            f"{system.urls['notifications']}/api/v1/inbox", params={"page_size": 5}, timeout=10).json()),
            30, 0.002, "the alert")
        if index >= 5:
            latencies.append(time.perf_counter() - started)
    return latencies


def raw_floor_latency(amqp_url: str, mongodb_uri: str, count: int) -> list[float]:
    collection = pymongo.MongoClient(mongodb_uri)["bench_floor"]["effects"]
    exchange = Exchange("bench.floor", type="topic", durable=True)
    queue = Queue(f"bench.floor.{uuid.uuid4().hex[:6]}", exchange=exchange, routing_key="#", durable=True,
                  queue_arguments={"x-queue-type": "quorum"})
    done: dict[str, float] = {}
    ready = threading.Event()
    stop = threading.Event()

    def consume():
        with Connection(amqp_url) as connection:
            def on_message(body, message):
                collection.insert_one({"_id": body["id"]})
                message.ack()
                done[body["id"]] = time.perf_counter()
            with Consumer(connection, queues=[queue], callbacks=[on_message], accept=["json"], prefetch_count=20):
                ready.set()
                while not stop.is_set():
                    try:
                        connection.drain_events(timeout=0.2)
                    except TimeoutError:
                        pass

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    ready.wait(10)
    latencies = []
    with Connection(amqp_url, transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        for index in range(count + 5):
            message_id = uuid.uuid4().hex
            started = time.perf_counter()
            producer.publish({"id": message_id}, exchange=exchange, routing_key="x", serializer="json",
                             delivery_mode=2, declare=[queue], confirm_timeout=5)
            wait_for(lambda: message_id in done, 10, 0.0005, "the floor message")
            if index >= 5:
                latencies.append(done[message_id] - started)
    stop.set()
    thread.join(5)
    return latencies


def throughput(url: str, headers: dict, seconds: float, concurrency: int) -> float:
    counts = [0] * concurrency
    deadline = time.perf_counter() + seconds

    def hammer(slot):
        session = requests.Session()
        session.headers.update(headers)
        while time.perf_counter() < deadline:
            response = session.get(url, timeout=10)
            assert response.status_code == 200, response.text
            counts[slot] += 1

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(concurrency)]
    started = time.perf_counter()
    [t.start() for t in threads]
    [t.join() for t in threads]
    return sum(counts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    ferretdb = fresh_ferretdb(27217, 28288, "ferretdb")
    amqp_url = fresh_vhost("donghanh_bench")
    prefix = "bench"
    system = System(ferretdb.uri, amqp_url, prefix, base_port=19100, extra_env={"LOG_LEVEL": "WARNING"})
    bare = None
    try:
        subprocess.run([sys.executable, "-m", "services.topology", "declare", "--amqp-url", amqp_url], check=True)
        system.start()
        skeleton = skeleton_latency(system, args.cases)
        floor = raw_floor_latency(amqp_url, ferretdb.uri, args.cases)
        police = bearer(subject="bench-police", roles=["police_liaison"], unit=f"CAX-{COMMUNE}", areas=[COMMUNE])
        case_id = requests.get(f"{system.urls['cases']}/api/v1/cases", headers=police, timeout=10).json()[0]["id"]
        bare = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
                                 "bench.bare_app:create_app()"], cwd=ROOT, stderr=subprocess.DEVNULL,
                                env={**os.environ, "MONGODB_URI": ferretdb.uri, "BARE_DB": f"{prefix}_cases",
                                     "SERVICE_PORT": "19110"})
        wait_for(lambda: answers(f"http://127.0.0.1:19110/bare/{case_id}"), 30, 0.2, "the bare app")
        ours = throughput(f"{system.urls['cases']}/api/v1/cases/{case_id}", police, args.seconds, args.concurrency)
        base = throughput(f"http://127.0.0.1:19110/bare/{case_id}", {}, args.seconds, args.concurrency)
        same_trips = throughput(f"http://127.0.0.1:19110/bare/{case_id}/round-trips", {}, args.seconds,
                                args.concurrency)
    finally:
        if bare:
            bare.terminate()
            bare.wait(10)
        system.stop()
        ferretdb.stop()
    report = {
        "alert_latency_ms": {"p50": 1000 * statistics.median(skeleton), "p95": 1000 * percentile(skeleton, 95)},
        "raw_floor_latency_ms": {"p50": 1000 * statistics.median(floor), "p95": 1000 * percentile(floor, 95)},
        "read_rps": {"ours": ours, "bare_flask_pymongo": base, "bare_same_round_trips": same_trips},
    }
    report["ratios"] = {
        "alert_p50_vs_floor": report["alert_latency_ms"]["p50"] / report["raw_floor_latency_ms"]["p50"],
        "alert_p95_vs_floor": report["alert_latency_ms"]["p95"] / report["raw_floor_latency_ms"]["p95"],
        "read_throughput_vs_bare": ours / base,
        "read_throughput_vs_same_round_trips": ours / same_trips,
    }
    print(f"alert end-to-end   p50 {report['alert_latency_ms']['p50']:7.1f} ms   p95 "
          f"{report['alert_latency_ms']['p95']:7.1f} ms   ({args.cases} cases)")
    print(f"raw floor          p50 {report['raw_floor_latency_ms']['p50']:7.1f} ms   p95 "
          f"{report['raw_floor_latency_ms']['p95']:7.1f} ms   (publish+confirm, consume, insert)")
    print(f"ratio alert/floor  p50 {report['ratios']['alert_p50_vs_floor']:7.1f} x    p95 "
          f"{report['ratios']['alert_p95_vs_floor']:7.1f} x")
    print(f"GET case           {ours:7.0f} req/s   bare Flask+pymongo {base:7.0f} req/s   ratio "
          f"{report['ratios']['read_throughput_vs_bare']:.2f}  (concurrency {args.concurrency}, {args.seconds}s)")
    print(f"                   bare with a case read's 5 round trips {same_trips:7.0f} req/s   ratio "
          f"{report['ratios']['read_throughput_vs_same_round_trips']:.2f}  (the share the round trips explain: "
          f"{same_trips / base:.2f} of bare)")
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "skeleton.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
