"""Case events through a 3-node RabbitMQ cluster while a broker node and one instance of each worker are killed.

Starts the cluster of deploy/cluster.sh (nodes dh-c1..3@localhost on 127.0.0.1:5791-5793; the shared broker is not
touched), declares the topology (quorum queues, a replica on each node), runs two instances of each API (gunicorn)
and each worker on a FerretDB of its own, and opens `--events` cases through the cases API from a thread pool, each
POST under its own Idempotency-Key and retried (on the other API instance) until answered. When `--kill-at` of them
are answered it SIGKILLs node dh-c1 (the leader of every queue, and the first broker of the surviving instances'
URL lists) and the second worker of each service; at `--restart-at` it starts them again. Once the outboxes are
empty and the queues drained it counts the effects of every case opened: the plan's indicator "people newly
managed" (one ledger row per event) and the notifications' alerts (as many per case as its commune's reference case
got before the run). Prints a summary; exits 1 on any lost or doubled effect.

Usage: .venv/bin/python -m bench.cluster [--events 10000] [--communes 10] [--concurrency 8] [--kill-at 0.3]
       [--restart-at 0.6] [--settle 3600]
Writes var/bench/cluster.json; stops and removes the nodes, processes and data it started, however it ends.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pymongo
import requests

from bench.common import fresh_ferretdb
from shared.auth import mint
from shared.packed import unpacked
from tests.support import PRIVATE_KEY, ROOT, SERVICES, VAR, wait_for

CLUSTER_SH = str(ROOT / "deploy" / "cluster.sh")
PROVINCE = "56"
KILLED_NODE = 1
KILLED_INSTANCE = 2
BASE_PORT = 19700
PREFIX = "cluster"
NAMES = ("Nguyễn Văn An", "Trần Văn Bình", "Lê Văn Cường", "Phạm Văn Dũng", "Hoàng Văn Em")


def cluster(*args: str, first: int | None = None) -> str:
    env = {**os.environ, **({"FIRST": str(first)} if first else {})}
    return subprocess.run([CLUSTER_SH, *args], check=True, capture_output=True, text=True, env=env,
                          timeout=600).stdout.strip()


def bearer(**claims) -> dict:
    return {"Authorization": "Bearer " + mint(PRIVATE_KEY, ttl_seconds=6 * 3600, **claims)}


COORDINATOR = dict(subject="cluster-coordinator", roles=["plan_coordinator"], unit=f"UBND-T{PROVINCE}",
                   areas=[PROVINCE])


def communes(count: int) -> list[str]:
    """The province's first `count` communes: each case's plan contributions are re-read per commune when the
    roll-up folds an event, so a real province's spread, not one commune, is what the consumers see."""
    from shared.areas import _directory
    return sorted(code for code, (_, province) in _directory()[1].items() if province == PROVINCE)[:count]


def police(commune: str) -> dict:
    return bearer(subject=f"cluster-police-{commune}", roles=["police_liaison"], unit=f"CAX-{commune}",
                  areas=[commune])


class Instances:
    """Two of each API and each worker; instance n's broker URL list starts at node n, so the surviving instances
    (1) lose their broker when node 1 dies and must fail over."""

    def __init__(self, mongodb_uri: str):
        self.processes: dict[str, subprocess.Popen] = {}
        self.log_dir = VAR / "log" / "cluster"
        shutil.rmtree(self.log_dir, ignore_errors=True)
        self.log_dir.mkdir(parents=True)
        self.env = {**os.environ, "MONGODB_URI": mongodb_uri, "MONGODB_DB_PREFIX": PREFIX, "DH_VAR_DIR": str(VAR),
                    "RELAY_POLL_SECONDS": "0.02", "LOG_LEVEL": "WARNING", "GUNICORN_WORKERS": "2",
                    "MONGODB_TIMEOUT_MS": "2000", "VAR_DIR": str(VAR / "bench" / "cluster-var")}
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.env.pop("AMQP_URL", None)
        self.urls = {s: [f"http://127.0.0.1:{self.port(s, n)}" for n in (1, 2)] for s in SERVICES}

    @staticmethod
    def port(service: str, instance: int) -> int:
        return BASE_PORT + 2 * SERVICES.index(service) + instance

    def amqp_url(self, service: str, instance: int) -> str:
        return cluster("url", f"donghanh_{service}", first=instance)

    def _spawn(self, name: str, args: list[str], env: dict) -> None:
        log = open(self.log_dir / f"{name}.log", "ab")
        self.processes[name] = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=log,
                                                stderr=log, start_new_session=True)

    def start_api(self, service: str, instance: int) -> None:
        env = {**self.env, "AMQP_URL": self.amqp_url(service, instance),
               "SERVICE_PORT": str(self.port(service, instance))}
        self._spawn(f"{service}-api-{instance}", ["-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
                                                  f"services.{service}.entrypoints.app:create_app()"], env)

    def start_worker(self, service: str, instance: int) -> None:
        env = {**self.env, "AMQP_URL": self.amqp_url(service, instance)}
        self._spawn(f"{service}-worker-{instance}", ["-m", f"services.{service}.entrypoints.worker"], env)

    def start(self) -> None:
        for service in SERVICES:
            for instance in (1, 2):
                self.start_api(service, instance)
                self.start_worker(service, instance)
        for service in SERVICES:
            for url in self.urls[service]:
                wait_for(lambda: ready(url), 90, 0.3, f"{url} to be ready")

    def kill(self, name: str) -> int:
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(15)
        return process.pid

    def stop(self) -> None:
        running = [p for p in self.processes.values() if p.poll() is None]
        for process in running:
            os.killpg(process.pid, signal.SIGTERM)
        for process in running:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


class Traffic:
    """Opens cases, each POST retried under its Idempotency-Key (alternating API instances) until answered."""

    def __init__(self, urls: list[str], headers: dict[str, dict], patience: float = 120.0):
        """`headers`: each commune's police liaison's, the cases spread over the communes in turn."""
        self.urls, self.headers, self.patience = urls, headers, patience
        self.communes = sorted(headers)
        self.opened: dict[str, str] = {}
        self.unanswered: list[str] = []
        self.unexpected: Counter = Counter()
        self.retries: Counter = Counter()
        self.answered = 0
        self.lock = threading.Lock()
        self.local = threading.local()

    def session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def open_case(self, index: int) -> None:
        key, commune = uuid.uuid4().hex, self.communes[index % len(self.communes)]
        body = {"person": {"full_name": NAMES[index % len(NAMES)], "sex": "male",
                           "birth_date": (date(1940, 1, 1) + timedelta(days=index // len(NAMES))).isoformat()},
                "commune_code": commune, "opened_on": "2026-08-03"}
        deadline = time.monotonic() + self.patience
        for attempt in itertools.count():
            if time.monotonic() > deadline:
                with self.lock:
                    self.unanswered.append(key)
                return
            url = self.urls[(index + attempt) % len(self.urls)]
            try:
                response = self.session().post(f"{url}/api/v1/cases", json=body, timeout=30,
                                               headers={**self.headers[commune], "Idempotency-Key": key})
            except requests.RequestException as error:
                with self.lock:
                    self.retries[type(error).__name__] += 1
                time.sleep(0.2)
                continue
            if response.status_code == 201:
                with self.lock:
                    self.opened[key] = response.json()["id"]
                    self.answered += 1
                return
            if response.status_code in (409, 502, 503, 504):
                with self.lock:
                    self.retries[str(response.status_code)] += 1
                time.sleep(0.3)
                continue
            with self.lock:
                self.unexpected[f"{response.status_code} {response.text[:200]}"] += 1
            return


class Faults:
    """Kills node dh-c1 and worker instance 2 of each service once `kill_at` of the events are answered, starts
    them again at `restart_at`; notes when."""

    def __init__(self, instances: Instances, traffic: Traffic, total: int, kill_at: float, restart_at: float,
                 started: float):
        self.instances, self.traffic, self.total = instances, traffic, total
        self.kill_at, self.restart_at, self.started = kill_at, restart_at, started
        self.timeline: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def note(self, what: str) -> None:
        line = f"t={time.monotonic() - self.started:7.1f}s  answered {self.traffic.answered:6d}  {what}"
        self.timeline.append(line)
        print(line, flush=True)

    def wait_for_share(self, share: float) -> bool:
        while not self.stop.wait(0.2):
            if self.traffic.answered >= share * self.total:
                return True
        return False

    def run(self) -> None:
        if not self.wait_for_share(self.kill_at):
            return
        self.note(f"queue leaders {leaders()}")
        cluster("kill", str(KILLED_NODE))
        self.note(f"SIGKILL RabbitMQ node dh-c{KILLED_NODE}@localhost")
        for service in SERVICES:
            pid = self.instances.kill(f"{service}-worker-{KILLED_INSTANCE}")
            self.note(f"SIGKILL {service}-worker-{KILLED_INSTANCE} (pid {pid})")
        if not self.wait_for_share(self.restart_at):
            return
        for service in SERVICES:
            self.instances.start_worker(service, KILLED_INSTANCE)
            self.note(f"started {service}-worker-{KILLED_INSTANCE} again")
        self.note(f"queue leaders {leaders()}")
        cluster("restart", str(KILLED_NODE))
        self.note(f"RabbitMQ node dh-c{KILLED_NODE}@localhost running again")


def queues() -> list[dict]:
    """Each queue of the cluster's vhost: name, type, members, messages."""
    rows = []
    for line in cluster("members").splitlines()[1:]:
        name, kind, leader, members, online, messages = line.split("\t")
        rows.append({"name": name, "type": kind, "leader": leader, "members": members.strip("[]").split(", "),
                     "online": online.strip("[]").split(", "), "messages": int(messages)})
    return rows


def leaders() -> dict[str, int]:
    """How many queues each node leads."""
    return dict(Counter(q["leader"].split("@")[0] for q in queues()))


def reconnections(log_dir) -> dict[str, int]:
    """What the surviving workers logged of the lost node: consumers reconnecting, relay passes retried."""
    text = "".join((log_dir / f"{s}-worker-{3 - KILLED_INSTANCE}.log").read_text() for s in SERVICES)
    return {"consumer_connections_lost": text.count("Connection to broker lost"),
            "relay_passes_failed": text.count("relay pass failed")}


def opened_events(db) -> list[tuple[str, str, str]]:
    """(event id, case id, commune) of every case opened, from the cases service's log."""
    opened = [(e["event_id"], unpacked(e["data"])) for e in db["events"].find({"type": "cases.case.opened"},
                                                                              {"event_id": 1, "data": 1})]
    return [(event_id, data["case_id"], data["commune_code"]) for event_id, data in opened]


def ledger_rows(db, plan_id: str) -> Counter:
    return Counter(row["source_event_id"] for row in db["indicator_contributions"].find(
        {"plan_id": plan_id}, {"source_event_id": 1}))


def alerts_by_case(db) -> Counter:
    return Counter(doc.get("subject_id") for doc in db["alert_snapshots"].find({}, {"subject_id": 1}))


def pending(databases) -> dict[str, int]:
    return {s: databases[s]["pending"].count_documents({}) for s in SERVICES}


def setup_directory_and_plan(instances: Instances, databases, coordinator: dict, codes: list[str]) -> str:
    plans = instances.urls["plans"][0]
    for commune in codes:
        response = requests.post(f"{plans}/api/v1/units", headers=coordinator, timeout=30, json={
            "unit_code": f"CAX-{commune}", "name": f"Công an xã {commune}", "kind": "commune_police",
            "area_code": commune})
        assert response.status_code == 201, response.text
    for service in ("notifications", "cases"):
        wait_for(lambda: databases[service]["units"].count_documents({}) == len(codes), 60, 0.3,
                 f"the unit directory to reach {service}")
    response = requests.post(f"{plans}/api/v1/plans", headers=coordinator, timeout=30, json={
        "title": "Kế hoạch phòng, chống ma túy năm 2026", "kind": "yearly", "area_code": PROVINCE,
        "starts_on": "2026-01-01", "ends_on": "2026-12-31",
        "indicators": [{"code": "people_newly_managed", "target": 100}]})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def newly_managed(instances: Instances, coordinator: dict, plan_id: str) -> int:
    response = requests.get(f"{instances.urls['plans'][0]}/api/v1/plans/{plan_id}", headers=coordinator,
                            timeout=30)
    assert response.status_code == 200, response.text
    return next(i["actual"] for i in response.json()["indicators"] if i["code"] == "people_newly_managed")


def count_effects(databases, plan_id: str, alerts_per_case: dict[str, int]) -> dict:
    """`alerts_per_case`: by commune, as many as its reference case got."""
    events = opened_events(databases["cases"])
    event_ids, case_ids = [e for e, _, _ in events], [c for _, c, _ in events]
    expected = {case: alerts_per_case[commune] for _, case, commune in events}
    ledger, alerts = ledger_rows(databases["plans"], plan_id), alerts_by_case(databases["notifications"])
    return {
        "opened_in_log": len(events),
        "opened_twice_in_log": len(case_ids) - len(set(case_ids)),
        "indicator_lost": sum(1 for e in event_ids if ledger[e] == 0),
        "indicator_doubled": sum(1 for e in event_ids if ledger[e] > 1),
        "alerts_expected": sum(expected.values()),
        "alerts_found": sum(alerts[c] for c in expected),
        "alerts_lost": sum(1 for c, n in expected.items() if alerts[c] < n),
        "alerts_doubled": sum(1 for c, n in expected.items() if alerts[c] > n),
        "case_ids": set(case_ids),
    }


def within(deadline: float, check, faults: "Faults", what: str) -> bool:
    """Waits until `check()` holds or the deadline passes; notes which."""
    while time.monotonic() < deadline:
        if check():
            faults.note(f"{what}: done")
            return True
        time.sleep(2.0)
    faults.note(f"{what}: NOT within the settle time")
    return False


def settled(effects: dict) -> bool:
    return not effects["indicator_lost"] and not effects["alerts_lost"]


def run(args, started_at: float, cleanup: list) -> dict:
    cleanup.append(lambda: cluster("stop"))
    cluster("start")
    ferretdb = fresh_ferretdb(27717, 28788, "cluster-ferretdb")
    cleanup.append(ferretdb.wipe)
    cleanup.append(ferretdb.stop)
    subprocess.run([sys.executable, "-m", "services.topology", "declare", "--amqp-url", cluster("url", "donghanh")],
                   check=True, cwd=ROOT)
    declared = queues()
    assert all(q["type"] == "quorum" and len(q["members"]) == 3 for q in declared), declared
    print(f"{len(declared)} quorum queues, each with members on the three nodes", flush=True)
    instances = Instances(ferretdb.uri)
    cleanup.append(lambda: shutil.rmtree(instances.env["VAR_DIR"], ignore_errors=True))
    cleanup.append(instances.stop)
    instances.start()
    client = pymongo.MongoClient(ferretdb.uri, serverSelectionTimeoutMS=5000)
    databases = {s: client[f"{PREFIX}_{s}"] for s in SERVICES}
    codes = communes(args.communes)
    coordinator, polices = bearer(**COORDINATOR), {commune: police(commune) for commune in codes}
    plan_id = setup_directory_and_plan(instances, databases, coordinator, codes)

    references = {}
    for offset, commune in enumerate(codes, start=1):
        reference = Traffic(instances.urls["cases"], {commune: polices[commune]})
        reference.open_case(-offset * len(NAMES))
        references[commune] = next(iter(reference.opened.values()))
    wait_for(lambda: all(alerts_by_case(databases["notifications"])[c] for c in references.values()), 60, 0.3,
             "the reference alerts")
    wait_for(lambda: newly_managed(instances, coordinator, plan_id) == len(codes), 60, 0.3,
             "the reference cases counted")
    time.sleep(2.0)
    alerts = alerts_by_case(databases["notifications"])
    alerts_per_case = {commune: alerts[case] for commune, case in references.items()}

    traffic = Traffic(instances.urls["cases"], polices)
    began = time.monotonic()
    faults = Faults(instances, traffic, args.events, args.kill_at, args.restart_at, began)
    faults.thread.start()
    pool = ThreadPoolExecutor(args.concurrency)
    try:
        for _ in pool.map(traffic.open_case, range(args.events)):
            pass
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    pushed = time.monotonic() - began
    faults.stop.set()
    faults.thread.join()
    faults.note(f"all {args.events} POSTs done")

    deadline = time.monotonic() + args.settle
    timed_out = [what for what, check in (
        ("the outboxes to drain", lambda: not any(pending(databases).values())),
        ("every effect", lambda: settled(count_effects(databases, plan_id, alerts_per_case))),
        ("the queues to drain", lambda: not any(q["messages"] for q in queues() if not q["name"].endswith(".dead"))),
    ) if not within(deadline, check, faults, what)]
    time.sleep(5.0)
    effects = count_effects(databases, plan_id, alerts_per_case)
    drained = time.monotonic() - began
    faults.note("effects counted")
    case_ids = effects.pop("case_ids") - set(references.values())
    answered_ids = set(traffic.opened.values())
    final_queues = queues()
    return {
        "events_requested": args.events, "concurrency": args.concurrency, "communes": len(codes),
        "answered_2xx": len(traffic.opened), "unanswered": len(traffic.unanswered),
        "unexpected_answers": dict(traffic.unexpected), "retried": dict(traffic.retries),
        "answered_but_not_in_log": len(answered_ids - case_ids),
        "opened_beyond_requests": max(0, len(case_ids) - args.events),
        "alerts_per_case": alerts_per_case,
        "indicator_actual": newly_managed(instances, coordinator, plan_id),
        "indicator_expected": effects["opened_in_log"],
        **effects,
        "dead_lettered": sum(q["messages"] for q in final_queues if q["name"].endswith(".dead")),
        "queues_not_on_three_nodes": [q["name"] for q in final_queues if len(q["members"]) != 3],
        "surviving_workers_logged": reconnections(instances.log_dir),
        "seconds_pushing": round(pushed, 1), "events_per_second": round(len(traffic.opened) / pushed, 1),
        "seconds_until_settled": round(drained, 1), "timeline": faults.timeline,
        "seconds_total": round(time.monotonic() - started_at, 1), "settle_timed_out": timed_out,
    }


def failures(report: dict) -> list[str]:
    checks = {"not settled within --settle": ", ".join(report["settle_timed_out"]),
              "POSTs never answered 2xx": report["unanswered"],
              "unexpected answers": sum(report["unexpected_answers"].values()),
              "answered but not in the log": report["answered_but_not_in_log"],
              "a case opened twice in the log": report["opened_twice_in_log"],
              "more cases than requests": report["opened_beyond_requests"],
              "indicator contributions lost": report["indicator_lost"],
              "indicator contributions doubled": report["indicator_doubled"],
              "indicator actual != cases opened": report["indicator_actual"] != report["indicator_expected"],
              "cases with alerts lost": report["alerts_lost"],
              "cases with alerts doubled": report["alerts_doubled"],
              "messages dead-lettered": report["dead_lettered"]}
    return [f"{what}: {value}" for what, value in checks.items() if value]


def print_report(report: dict) -> None:
    print()
    print(f"events pushed      {report['events_requested']} case openings in {report['communes']} communes, "
          f"{report['concurrency']} clients, "
          f"2 instances of each API and worker, 3 RabbitMQ nodes")
    print(f"answered 2xx       {report['answered_2xx']}   unanswered {report['unanswered']}   unexpected "
          f"{report['unexpected_answers'] or 0}   retried {report['retried'] or 0}")
    print(f"cases in the log   {report['opened_in_log']} (with a reference case a commune)   twice "
          f"{report['opened_twice_in_log']}   answered but missing {report['answered_but_not_in_log']}")
    print(f"indicator          expected {report['indicator_expected']}   actual {report['indicator_actual']}   "
          f"lost {report['indicator_lost']}   doubled {report['indicator_doubled']}")
    print(f"alerts             expected {report['alerts_expected']}   found {report['alerts_found']}   "
          f"cases lost {report['alerts_lost']}   doubled {report['alerts_doubled']}")
    print(f"dead letters       {report['dead_lettered']}   surviving workers logged "
          f"{report['surviving_workers_logged']}")
    print(f"duration           pushing {report['seconds_pushing']} s ({report['events_per_second']} cases/s), "
          f"settled after {report['seconds_until_settled']} s, whole run {report['seconds_total']} s")
    print("timeline")
    for line in report["timeline"]:
        print("  " + line)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--communes", type=int, default=10, help="the cases spread over this many communes")
    parser.add_argument("--kill-at", type=float, default=0.3)
    parser.add_argument("--restart-at", type=float, default=0.6)
    parser.add_argument("--settle", type=float, default=3600.0, help="seconds allowed to drain after the pushes")
    args = parser.parse_args()
    started_at = time.monotonic()
    cleanup: list = []
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: sys.exit(143))
    try:
        report = run(args, started_at, cleanup)
    finally:
        for step in reversed(cleanup):
            try:
                step()
            except Exception as error:  # noqa: BLE001 - the rest of the cleanup still runs
                print(f"cleanup: {error}", file=sys.stderr)
    out = VAR / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "cluster.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print_report(report)
    problems = failures(report)
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
