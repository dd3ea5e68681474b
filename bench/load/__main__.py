"""Load: a commune's working day under locust, with the broker stopped for 30 seconds a third of the way in.

Usage: .venv/bin/python -m bench.load [--users 20] [--minutes 3] [--cases 300] [--outage 30]

Starts its own system as bench/skeleton.py does (FerretDB on port 27617 under var/bench/load-ferretdb, the three
services under gunicorn on 19601-19603 and their workers, development tokens) on a RabbitMQ node of its own
(bench/load/broker.py: the outage stops that node's application, never the shared broker), seeds the commune's
units, the province's yearly plan and `--cases` cases, runs locust headless (bench/load/locustfile.py) and prints
per request type the count, p50, p95, failures and 5xx; the writes that answered 2xx while the broker was down;
and, once the outbox is drained, how many 2xx writes did not reach their consumers. Exits 1 on any 5xx (or request
without an answer) or lost write. Figures in var/bench/load.json; locust's own output in var/bench/load/locust.log.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from bench.common import fresh_ferretdb
from bench.load import report, seed, verify
from bench.load.broker import OwnBroker
from shared.clock import PROVINCE_TIME
from tests.support import ROOT, System

OUT = ROOT / "var" / "bench" / "load"
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"


def arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.load")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--outage", type=float, default=30, help="seconds the broker is down")
    return parser.parse_args(argv)


def run_locust(args, config: Path, host: str, broker: OwnBroker) -> tuple[float, float]:
    """Run locust for the whole time and take the broker down a third of the way in; answers the outage's
    (start, end) as wall-clock seconds, the clock locust's request records use."""
    seconds = int(args.minutes * 60)
    log = open(OUT / "locust.log", "w")
    started = time.time()
    locust = subprocess.Popen([sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
                               "--users", str(args.users), "--spawn-rate", str(max(1, args.users // 5)),
                               "--run-time", f"{seconds}s", "--stop-timeout", "10", "--only-summary",
                               "--host", host, "--loglevel", "WARNING"],
                              cwd=ROOT, env={**os.environ, "LOAD_CONFIG": str(config)}, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        time.sleep(max(0.0, started + seconds / 3 - time.time()))
        outage_start = time.time()
        broker.stop_app()
        print(f"broker stopped at {time.time() - started:.0f}s", flush=True)
        time.sleep(max(0.0, outage_start + args.outage - time.time()))
        broker.start_app()
        outage_end = time.time()
        print(f"broker back at {outage_end - started:.0f}s", flush=True)
        locust.wait(seconds + 120)
    finally:
        if locust.poll() is None:
            locust.terminate()
            locust.wait(30)
    return outage_start, outage_end


def main(argv=None) -> int:
    args = arguments(argv)
    load_before = os.getloadavg()[0]
    OUT.mkdir(parents=True, exist_ok=True)
    requests_log = OUT / "requests.jsonl"
    requests_log.unlink(missing_ok=True)
    broker = OwnBroker()
    ferretdb = fresh_ferretdb(27617, 28688, "load-ferretdb")
    system = None
    prefix = "load"
    try:
        amqp_url = broker.start()
        subprocess.run([sys.executable, "-m", "services.topology", "declare", "--amqp-url", amqp_url], check=True,
                       cwd=ROOT)
        verify.watch(amqp_url)
        system = System(ferretdb.uri, amqp_url, prefix, base_port=19600, extra_env={"LOG_LEVEL": "WARNING"})
        system.start()
        tokens = seed.tokens(ttl_seconds=int(args.minutes * 60) + 3600)
        seed.directory(system.urls, tokens["coordinator"], ferretdb.uri, prefix)
        today = datetime.now(PROVINCE_TIME).date()
        plan_id = seed.yearly_plan(system.urls, tokens["coordinator"], today.year)
        began = time.perf_counter()
        case_ids = seed.cases(system.urls, tokens["caseworker"], args.cases, today)
        print(f"seeded {len(case_ids)} cases in {time.perf_counter() - began:.0f}s", flush=True)
        config = OUT / "config.json"
        config.write_text(json.dumps({
            "log": str(requests_log), "users": args.users, "case_ids": case_ids, "next_person": args.cases,
            "today": today.isoformat(), "tokens": {k: tokens[k] for k in ("caseworker", "police")},
            "notifications": system.urls["notifications"]}))
        window = run_locust(args, config, system.urls["cases"], broker)
        if not requests_log.exists():
            raise RuntimeError(f"locust recorded no request: see {OUT / 'locust.log'}")
        entries = report.records(requests_log)
        drain_seconds = verify.drained(ferretdb.uri, prefix, broker)
        writes = [e for e in entries if e["name"] in report.WRITES and report.ok(e)]
        opened = [w["case"] for w in writes if w["name"] == "open case"]
        missing = verify.lost(writes, verify.published(amqp_url), verify.alerted_cases(ferretdb.uri, prefix),
                              verify.visits_on(system.urls, tokens["caseworker"],
                                               {w["case"] for w in writes if w["name"] == "visit"}),
                              seed.indicators(system.urls, tokens["coordinator"], plan_id), len(case_ids))
        dead = verify.dead_letters(broker)
    finally:
        if system:
            system.stop()
        ferretdb.stop()
        broker.shutdown()
    load_after = os.getloadavg()[0]
    types = report.by_type(entries)
    outage = report.during(entries, window)
    lost_total = sum(missing.values()) + dead
    errors = sum(row["5xx"] for row in types.values())
    print(f"{args.users} users for {args.minutes:g} min on {len(case_ids)} seeded cases; machine load average "
          f"{load_before:.1f} before, {load_after:.1f} after")
    print(report.table(types))
    print(f"broker down {window[1] - window[0]:.0f}s: {outage['writes_2xx']} of {outage['writes']} writes "
          f"answered 2xx meanwhile (p95 {outage['writes_p95_ms']:.0f} ms), {outage['5xx']} 5xx")
    print(f"after the run: outbox and queues drained in {drain_seconds:.0f}s; {len(writes)} writes answered 2xx "
          f"({len(opened)} cases opened); lost {lost_total} {json.dumps({k: v for k, v in missing.items() if v})}"
          f", dead-lettered {dead}")
    (OUT.parent / "load.json").write_text(json.dumps({
        "users": args.users, "minutes": args.minutes, "seeded_cases": len(case_ids), "requests": types,
        "outage": {"seconds": window[1] - window[0], **outage}, "writes_2xx": len(writes),
        "drain_seconds": drain_seconds, "lost": missing, "dead_lettered": dead,
        "load_average": {"before": load_before, "after": load_after}}, indent=2))
    return 1 if errors or lost_total else 0


if __name__ == "__main__":
    sys.exit(main())
