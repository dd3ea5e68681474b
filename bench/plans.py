"""Benchmark of the plans service at province size, each figure next to a raw pymongo baseline in the same run.

A plan of 50 tasks, each assigned to 100 communes' units with shares of 10 indicators, 4 reporting periods
(April, May, June and the final report of a quarter's plan), 19,500 progress reports and 100,000 case-event
contributions in the indicator ledger.

(a) the roll-up read (GET /api/v1/plans/{id}/rollup, by unit and by area: the dashboard's one request) p50/p95,
    against recomputing the same figures per request from the raw documents (pymongo finds of the plan, its tasks,
    reports and ledger, folded in Python); target: at least 10x faster;
(b) report submission (POST .../reports/final/submit over HTTP, and SubmitReport through the service layer)
    throughput, against a raw single `insert_one` of a report-sized document; target: at least 0.25x;
(c) batch submission (POST /api/v1/units/{unit}/reports/submissions: a unit's 50 final reports, one per task, in
    one request) in reports per second, against the same baseline.

Usage: .venv/bin/python -m bench.plans [--communes 100] [--tasks 50] [--contributions 100000] [--requests 30]
       [--submissions 200] [--clients 8] [--batch-units 12]
Seeds straight into a FerretDB of its own (port 27417) through the domain and bulk inserts of what the repositories
store, folds the roll-up once (the rebuild CLI's path), then measures through a real gunicorn.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone

import pymongo
import requests

from bench.common import answers, fresh_ferretdb, percentile, timed
from shared import areas
from shared.areas import communes_of
from shared.auth import Principal, mint
from shared.envelope import Actor, StreamRef, new_envelope
from shared.eventstore import StoredEvent
from shared.packed import packed, unpacked
from shared.repository import from_snapshot
from shared.settings import Settings
from shared.working_days import VietnameseWorkingDays
from services.plans.adapters.documents import ReportSnapshot, report_list_fields
from services.plans.domain.commands import RefreshRollup, SaveReport, SubmitReport
from services.plans.domain.model import Unit
from services.plans.domain.periods import FINAL, reporting_periods
from services.plans.domain.plan import IndicatorTarget, Plan
from services.plans.domain.reports import Report, report_content
from services.plans.domain.rollup import Context, fold, indicator_codes
from services.plans.domain.task import Task
from services.plans.service_layer.ports import ComputedFigure, ReportRow
from tests.support import PRIVATE_KEY, ROOT, wait_for

PROVINCE = "38"
"""Thanh Hóa: 166 communes since 2025, enough for 100 commune units."""
REPORTED = ["outreach_sessions", "participants", "drug_cases", "suspects", "drugs_seized_g"]
COMPUTED = ["people_newly_managed", "compulsory_dossiers", "methadone_patients", "people_in_aftercare",
            "counselling_sessions"]
STARTS, ENDS, TODAY = date(2026, 4, 1), date(2026, 6, 30), date(2026, 7, 10)
ACTOR = Actor("bench", "plan_coordinator", "UBND-T38")
FERRETDB_PORT, FERRETDB_DEBUG_PORT, API_PORT = 27417, 28488, 19301


def ms(seconds: float) -> float:
    return round(1000 * seconds, 1)



def _events(aggregate, producer: str = "plans") -> list[dict]:
    """The aggregate's pending events as the repository stores them (StoredEvent documents)."""
    stream = f"{aggregate.stream_type}-{aggregate.id}"
    first = aggregate.version - len(aggregate.pending) + 1
    documents = [StoredEvent.from_envelope(new_envelope(
        event_type=event.type, schema_version=event.schema_version, producer=producer,
        stream=StreamRef(aggregate.stream_type, stream, first + index), area_code=aggregate.area_code, actor=ACTOR,
        data=event.data())).to_mongo().to_dict() for index, event in enumerate(aggregate.pending)]
    aggregate.pending.clear()
    return documents


def _snapshot(aggregate, **fields) -> dict:
    return {"_id": aggregate.id, "version": aggregate.version, "state": packed(aggregate.snapshot()), **fields}


def state_unpacked(snapshot: dict) -> dict:
    return {**snapshot, "state": unpacked(snapshot["state"])}


def seed(db, communes: list[str], tasks_count: int, contributions: int, spare: int, rng: random.Random,
         batch_units: int = 0):
    """Units, the plan, its tasks and assignments, reports and the ledger; `spare` final reports are left
    unwritten for the submission benchmark, and every final report of the last `batch_units` communes' units for
    the batch one. Returns the plan id, the tasks, the (task, unit) pairs left and the batch units."""
    units = [Unit.register("UBND-T38", "Ban chỉ đạo tỉnh Thanh Hóa", "provincial_committee", PROVINCE, [])]
    units += [Unit.register(f"UBX-{c}", f"UBND xã {c}", "commune_committee", c, []) for c in communes]
    db.events.insert_many([e for unit in units for e in _events(unit)], ordered=False)
    db.unit_snapshots.insert_many([_snapshot(u, kind=u.kind, area_code=u.area_code) for u in units])
    plan = Plan.draft(uuid.uuid4().hex, "Kế hoạch phòng, chống ma túy quý II năm 2026", "yearly", PROVINCE,
                      STARTS, ENDS, [IndicatorTarget(code, 1000 * tasks_count) for code in (*REPORTED, *COMPUTED)],
                      summary_report_due_on=date(2026, 7, 15))
    plan.issue("UBND tỉnh Thanh Hóa", "88/KH-UBND", date(2026, 3, 25), "Phó Chủ tịch", date(2026, 3, 25))
    plan.start(STARTS)
    db.events.insert_many(_events(plan))
    db.plan_snapshots.insert_one(_snapshot(plan, area_code=PROVINCE, starts_on=STARTS.isoformat(),
                                           ends_on=ENDS.isoformat(), status=plan.status))
    tasks = []
    for number in range(tasks_count):
        task = Task.draft(f"task-{number:03d}", plan, f"Nhiệm vụ {number + 1}", "UBND-T38", [], STARTS, ENDS,
                          indicators=[IndicatorTarget(code, 1000) for code in (*REPORTED, *COMPUTED)])
        for commune in communes:
            task.assign(f"UBX-{commune}", commune, {code: 10 for code in (*REPORTED, *COMPUTED)}, STARTS)
        db.events.insert_many(_events(task), ordered=False)
        db.task_snapshots.insert_one(_snapshot(task, plan_id=plan.id, lead_unit=task.lead_unit,
                                               units=[task.lead_unit, *task.supporting_units]))
        tasks.append(task)
    print(f"  plan, {len(units)} units, {len(tasks)} tasks x {len(communes)} assignments", file=sys.stderr)
    periods = reporting_periods(plan.kind, STARTS, ENDS, plan.summary_report_due_on, VietnameseWorkingDays())
    pairs = [(task, commune) for task in tasks for commune in communes]
    batched = set(communes[len(communes) - batch_units:]) if batch_units else set()
    left = set(rng.sample([i for i, (_, commune) in enumerate(pairs) if commune not in batched], spare))
    left |= {i for i, (_, commune) in enumerate(pairs) if commune in batched}
    snapshots, events, written = [], [], 0
    for index, (task, commune) in enumerate(pairs):
        for period in periods:
            if period.code == FINAL and index in left:
                continue
            values = {code: float(rng.randint(0, 6)) for code in REPORTED}
            report = Report.draft(plan, task, f"UBX-{commune}", period, report_content(
                values, None, [], None, [t.code for t in task.indicators], "commune_committee", TODAY))
            report.submit(plan, task, period.due_on - timedelta(days=rng.randint(-3, 2)))
            if rng.random() < 0.85:
                report.approve(plan, task, None, "bench", "UBND-T38", datetime.now(timezone.utc),
                               period.due_on + timedelta(days=3))
            events += _events(report)
            snapshots.append(ReportSnapshot(id=report.id, version=report.version, state=report.snapshot(),
                                            **report_list_fields(report)).to_mongo().to_dict())
            written += 1
        if len(snapshots) >= 4000 or index == len(pairs) - 1:
            db.report_snapshots.insert_many(snapshots, ordered=False)
            db.events.insert_many(events, ordered=False)
            snapshots, events = [], []
            print(f"  {written} reports", file=sys.stderr)
    computed_indicators = [code for code in COMPUTED]
    batch = []
    for number in range(contributions):
        day = STARTS + timedelta(days=rng.randint(0, (ENDS - STARTS).days))
        code = computed_indicators[number % len(computed_indicators)]
        batch.append({"_id": f"{plan.id}:{code}:e{number}", "plan_id": plan.id, "indicator_code": code,
                      "source_event_id": f"e{number}", "amount": 1, "area_code": rng.choice(communes),
                      "counted_on": day.isoformat(), "counted_at": datetime.now(timezone.utc)})
        if len(batch) == 5000 or number == contributions - 1:
            db.indicator_contributions.insert_many(batch, ordered=False)
            batch = []
    print(f"  {contributions} ledger contributions", file=sys.stderr)
    single = [(pairs[i][0].id, f"UBX-{pairs[i][1]}") for i in sorted(left) if pairs[i][1] not in batched]
    return plan.id, tasks, single, [f"UBX-{commune}" for commune in communes if commune in batched]


def raw_rollup(db, plan_id: str):
    """The same figures recomputed per request from the raw documents: pymongo finds, folded in Python."""
    plan = from_snapshot(Plan, db.plan_snapshots.find_one({"_id": plan_id}))
    tasks = [from_snapshot(Task, s) for s in db.task_snapshots.find({"plan_id": plan_id})]
    reports = [ReportRow(id=s["_id"], version=s["version"], plan_id=s["plan_id"], task_id=s["task_id"],
                         unit_code=s["unit_code"], area_code=s["area_code"], period=s["period"], status=s["status"],
                         revision=s["state"]["revision"], late=s["state"]["late"],
                         due_on=date.fromisoformat(s["state"]["due_on"]),
                         submitted_on=date.fromisoformat(s["state"]["submitted_on"])
                         if s["state"].get("submitted_on") else None, values=s["state"]["values"],
                         approved_values=s["state"].get("approved_values"), crackdown=None,
                         lead_unit=s.get("lead_unit"))
               for s in map(state_unpacked, db.report_snapshots.find({"plan_id": plan_id}))]
    figures = [ComputedFigure(r["indicator_code"], r.get("area_code"), date.fromisoformat(r["counted_on"]), r["amount"])
               for r in db.indicator_contributions.find({"plan_id": plan_id})]
    periods = reporting_periods(plan.kind, plan.starts_on, plan.ends_on, plan.summary_report_due_on,
                                VietnameseWorkingDays())
    context = Context(plan, periods, TODAY, areas.current_code, areas.covers, {}, tuple(indicator_codes(plan, tasks)))
    return fold(context, tasks, reports, figures)


def submissions_over_http(url: str, pairs: list, tokens: dict, clients: int) -> float:
    """Reports submitted per second by `clients` concurrent clients, each with its own session."""
    local = threading.local()

    def submit(pair):
        task_id, unit = pair
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        response = session.post(f"{url}/api/v1/tasks/{task_id}/assignments/{unit}/reports/final/submit",
                                headers={"Authorization": f"Bearer {tokens[unit]}"}, timeout=60)
        assert response.status_code == 200, response.text[:300]

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(submit, pairs))
    return len(pairs) / (time.perf_counter() - started)


def batch_submissions_over_http(url: str, units: list[str], task_ids: list[str], tokens: dict,
                                clients: int) -> float:
    """Reports submitted per second when each unit submits all its final reports (one per task) in one request."""
    local = threading.local()

    def submit(unit):
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        response = session.post(f"{url}/api/v1/units/{unit}/reports/submissions",
                                headers={"Authorization": f"Bearer {tokens[unit]}"}, timeout=120,
                                json={"reports": [{"task_id": task_id, "period": FINAL, "version": 1}
                                                  for task_id in task_ids]})
        assert response.status_code == 200 and response.json()["submitted"] == len(task_ids), response.text[:300]

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(submit, units))
    return len(units) * len(task_ids) / (time.perf_counter() - started)


def warm_up(url: str, task_ids: list[str], unit: str, commune: str) -> None:
    """Read a report of every task a few times, so each gunicorn worker has read each task once, as a service
    that has been up a while has: the first read of a task with a hundred assignments decodes its snapshot."""
    headers = {"Authorization": "Bearer " + mint(PRIVATE_KEY, subject="warm", roles=["unit_reporter"], unit=unit,
                                                 areas=[commune])}
    with requests.Session() as session:
        for task_id in task_ids:
            for _ in range(6):
                response = session.get(f"{url}/api/v1/tasks/{task_id}/assignments/{unit}/reports/2026-04",
                                       headers=headers, timeout=60)
                assert response.status_code == 200, response.text[:300]


def raw_inserts(collection, documents: list[dict], clients: int) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(collection.insert_one, documents))
    return len(documents) / (time.perf_counter() - started)


def report_sized(db, count: int, prefix: str) -> list[dict]:
    """Copies of a submitted report's snapshot document under new ids: what a bare store of the report writes."""
    model = db.report_snapshots.find_one({"status": "submitted"})
    return [{**model, "_id": f"{prefix}-{i}"} for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--communes", type=int, default=100)
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--contributions", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--raw-runs", type=int, default=5)
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch-units", type=int, default=12)
    args = parser.parse_args()
    rng = random.Random(38)
    communes = [code for code, _ in communes_of(PROVINCE)][:args.communes]
    ferretdb = fresh_ferretdb(FERRETDB_PORT, FERRETDB_DEBUG_PORT, "plans-ferretdb")
    env = {**os.environ, "MONGODB_URI": ferretdb.uri, "MONGODB_DB_PREFIX": "benchplans",
           "DH_VAR_DIR": str(ROOT / "var"),
           "AMQP_URL": "amqp://bench:bench@127.0.0.1:5672/none", "SERVICE_PORT": str(API_PORT), "LOG_LEVEL": "WARNING",
           "MONGODB_TIMEOUT_MS": "30000", "GUNICORN_TIMEOUT": "600", "DH_PROVINCE_CODE": PROVINCE}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    settings = Settings.from_env("plans", env)
    client = pymongo.MongoClient(ferretdb.uri)
    db = client["benchplans_plans"]
    api = None
    try:
        from services.plans.bootstrap import bootstrap
        bus = bootstrap(settings)
        bus.dependencies["clock"].today = lambda: TODAY
        started = time.perf_counter()
        plan_id, tasks, spare, batch_units = seed(db, communes, args.tasks, args.contributions,
                                                  args.submissions * 2, rng, args.batch_units)
        load_seconds = time.perf_counter() - started
        started = time.perf_counter()
        rows = bus.handle(RefreshRollup(plan_id))
        rebuild_seconds = time.perf_counter() - started
        print(f"  roll-up folded: {rows} rows in {rebuild_seconds:.1f} s", file=sys.stderr)
        refresher = bus.dependencies["rollup"]
        refresh_unit = timed(lambda: refresher.refresh_unit(plan_id, f"UBX-{communes[1]}"), 3)
        refresh_area = timed(lambda: refresher.refresh_area(plan_id, communes[2]), 3)

        for task_id, unit in [*spare, *((task.id, unit) for unit in batch_units for task in tasks)]:
            reporter = Principal(f"r-{unit}", ("unit_reporter",), unit, (unit.split("-", 1)[1],))
            bus.handle(SaveReport(task_id, unit, FINAL, values={"outreach_sessions": 3.0}), reporter)
        over_bus, over_http = spare[:args.submissions], spare[args.submissions:]

        api = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
                                "services.plans.entrypoints.app:create_app()"], cwd=ROOT, env=env,
                               stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{API_PORT}"
        wait_for(lambda: answers(f"{url}/healthz"), 120, 0.5, "the plans API")
        session = requests.Session()
        session.headers["Authorization"] = "Bearer " + mint(PRIVATE_KEY, subject="bench", roles=["plan_coordinator"],
                                                            unit="UBND-T38", areas=[PROVINCE], ttl_seconds=7200)

        def read(by):
            response = session.get(f"{url}/api/v1/plans/{plan_id}/rollup", params={"by": by}, timeout=120)
            assert response.status_code == 200 and len(response.json()["rows"]) >= len(communes), response.text[:300]

        read("unit")
        by_unit = timed(lambda: read("unit"), args.requests)
        by_area = timed(lambda: read("area"), args.requests)
        raw = timed(lambda: raw_rollup(db, plan_id), args.raw_runs)

        tokens = {unit: mint(PRIVATE_KEY, subject=f"r-{unit}", roles=["unit_reporter"], unit=unit,
                             areas=[unit.split("-", 1)[1]], ttl_seconds=7200)
                  for unit in {*(unit for _, unit in spare), *batch_units}}
        warm_up(url, [task.id for task in tasks], f"UBX-{communes[0]}", communes[0])
        http_sequential = submissions_over_http(url, over_http[:len(over_http) // 2], tokens, 1)
        http_concurrent = submissions_over_http(url, over_http[len(over_http) // 2:], tokens, args.clients)
        task_ids = [task.id for task in tasks]
        half = len(batch_units) // 2
        batch_sequential = batch_submissions_over_http(url, batch_units[:half], task_ids, tokens, 1)
        batch_concurrent = batch_submissions_over_http(url, batch_units[half:], task_ids, tokens, args.clients)
        started = time.perf_counter()
        for task_id, unit in over_bus:
            reporter = Principal(f"r-{unit}", ("unit_reporter",), unit, (unit.split("-", 1)[1],))
            bus.handle(SubmitReport(task_id, unit, FINAL), reporter)
        bus_sequential = len(over_bus) / (time.perf_counter() - started)
        plain = client["benchplans_raw"]["reports"]
        plain.create_index("plan_id")
        raw_sequential = raw_inserts(plain, report_sized(db, len(over_http) // 2, "s"), 1)
        raw_concurrent = raw_inserts(plain, report_sized(db, len(over_http) // 2, "c"), args.clients)
        alike = client["benchplans_raw"]["report_snapshots"]
        for spec in db.report_snapshots.index_information().values():
            if spec["key"] != [("_id", 1)]:
                alike.create_index(spec["key"])
        alike_sequential = raw_inserts(alike, report_sized(db, len(over_http) // 2, "s"), 1)
    finally:
        if api:
            api.terminate()
            api.wait(10)
        ferretdb.stop()
    p50, p95 = (lambda s: percentile(s, 50)), (lambda s: percentile(s, 95))
    report = {
        "plan": {"tasks": args.tasks, "communes": len(communes), "indicators": len(REPORTED) + len(COMPUTED),
                 "periods": 4, "reports": args.tasks * len(communes) * 4 - 2 * args.submissions
                 - args.tasks * args.batch_units,
                 "contributions": args.contributions},
        "load_seconds": round(load_seconds, 1), "rollup_rebuild_seconds": round(rebuild_seconds, 1),
        "rollup_refresh_ms": {"one_unit_median": ms(percentile(refresh_unit, 50)),
                              "one_area_median": ms(percentile(refresh_area, 50))},
        "rollup_read_ms": {"by_unit_p50": ms(p50(by_unit)), "by_unit_p95": ms(p95(by_unit)),
                           "by_area_p50": ms(p50(by_area)), "by_area_p95": ms(p95(by_area)),
                           "raw_recompute_p50": ms(p50(raw)), "raw_recompute_p95": ms(p95(raw))},
        "submissions_per_s": {"http_1_client": round(http_sequential, 1),
                              f"http_{args.clients}_clients": round(http_concurrent, 1),
                              f"http_batches_of_{args.tasks}_1_client": round(batch_sequential, 1),
                              f"http_batches_of_{args.tasks}_{args.clients}_clients": round(batch_concurrent, 1),
                              "service_layer_1_caller": round(bus_sequential, 1),
                              "raw_insert_one_1_client": round(raw_sequential, 1),
                              f"raw_insert_one_{args.clients}_clients": round(raw_concurrent, 1),
                              "raw_insert_one_indexed_like_reports_1_client": round(alike_sequential, 1)},
    }
    report["ratios"] = {
        "rollup_read_by_unit_p95_speedup_vs_raw": round(p95(raw) / p95(by_unit), 1),
        "rollup_read_by_area_p95_speedup_vs_raw": round(p95(raw) / p95(by_area), 1),
        "submission_http_vs_raw_insert_1_client": round(http_sequential / raw_sequential, 3),
        f"submission_http_vs_raw_insert_{args.clients}_clients": round(http_concurrent / raw_concurrent, 3),
        "submission_service_layer_vs_raw_insert_1_client": round(bus_sequential / raw_sequential, 3),
        "batch_submission_http_vs_raw_insert_1_client": round(batch_sequential / raw_sequential, 3),
        f"batch_submission_http_vs_raw_insert_{args.clients}_clients": round(batch_concurrent / raw_concurrent, 3),
        "submission_http_vs_raw_insert_indexed_like_reports_1_client": round(http_sequential / alike_sequential, 3),
    }
    print(json.dumps(report, indent=2))
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    (ROOT / "var" / "bench" / "plans.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
