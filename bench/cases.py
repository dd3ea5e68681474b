"""Benchmark of the cases service at scale, each figure next to a raw pymongo baseline on the same data.

(a) p95 of the filtered case list (GET /api/v1/cases?commune_code=..&stage=..) vs the same find + count in pymongo;
(b) p95 of a case read (GET /api/v1/cases/<id>) vs pymongo find_one by _id;
(c) import throughput (the register import, rows/s) vs the issue's baseline, raw pymongo doing the same writes one
    by one (every document the import inserted or upserted, recorded by command monitoring and inserted again into
    a database of its own), and vs raw insert_many of one bare document per row;
(d) the province-wide list with no filter (a provincial officer's first page, read back by opening day with its
    total from the case counts, rebuilt from the loaded snapshots first), its next page by `after` and the counts
    by commune and stage, against the commune-filtered list of (a); and the same first page as pymongo answers it;
(e) the due-date timer's query of the last 400 days' `next_notice_on` vs its first run's sweep of every due date.

Usage: .venv/bin/python -m bench.cases [--people 100000] [--requests 30] [--import-rows 300]
Loads the people and cases straight into a FerretDB of its own (port 27317) as the adapters store them
(encrypted identity fields, snapshots, opening events), then measures through a real gunicorn.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone

import pymongo
from pymongo import monitoring
import requests

from bench.common import answers, fresh_ferretdb, percentile, timed
from shared.auth import mint
from shared.crypto import FieldCipher
from shared.settings import Settings
from shared.areas import communes_of
from services.cases.adapters.documents import CaseSnapshot, Person, case_list_fields
from services.cases.domain.model import Case
from services.cases.domain.rules import add_months
from services.cases.domain.person import normalise_name
from services.cases.domain.commands import NoticeDueDates, RebuildCaseCounts
from services.cases.entrypoints.registers import checked_rows
from services.cases.service_layer.imports import CaseloadImport
from tests.support import PRIVATE_KEY, ROOT, wait_for

STAGES = ["user_management", "community_rehab", "aftercare", "ost", "in_facility", "closed"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ"]
GIVEN = ["Văn An", "Văn Bình", "Thị Cúc", "Văn Dũng", "Thị Hoa", "Văn Hùng", "Văn Long", "Thị Mai", "Văn Nam"]


def p95(samples):
    return percentile(samples, 95)



def seed(db, cipher, people: int, communes: list[str]) -> list[str]:
    rng = random.Random(56)
    now = datetime.now(timezone.utc)
    case_ids = []
    batch_people, batch_cases, batch_events = [], [], []
    for index in range(people):
        code = f"P{index:012d}"
        name = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)} {index}"
        birth = date(1960, 1, 1) + timedelta(days=rng.randint(0, 15000))
        commune = communes[index % len(communes)]
        batch_people.append(Person(
            person_code=code, full_name=name, search_name=normalise_name(name),
            name_dob_key=f"{normalise_name(name)}|{birth}", birth_date=birth.isoformat(), sex="male",
            residence_code=commune, national_id_enc=cipher.encrypt(f"056{index:09d}", f"person:{code}:national_id"),
            national_id_hash=cipher.lookup_hash(f"056{index:09d}", "national_id"), created_at=now).to_mongo())
        case_id = uuid.uuid4().hex
        case_ids.append(case_id)
        opened = date(2025, 1, 1) + timedelta(days=rng.randint(0, 600))
        stage = rng.choice(STAGES)
        due = {"aftercare_ends_on": add_months(opened, 24).isoformat()} if stage == "aftercare" else {}
        state = {"case_number": f"{commune}-{opened.year}-{case_id[:6]}", "person_code": code,
                 "commune_code": commune, "regime": "law-73-2021", "stage": stage,
                 "opened_on": opened.isoformat(), "person_birth_date": birth.isoformat(), "assigned_worker": None,
                 "due": due, "last_effective_on": opened.isoformat(), "absconded_on": None, "notices": [],
                 "drug_tests": [], "shares": {}}
        batch_cases.append(CaseSnapshot(id=case_id, version=1, state=state,
                                        **case_list_fields(Case.from_snapshot(case_id, state, 1))).to_mongo())
        batch_events.append({"_id": f"case-{case_id}:{1:010d}", "event_id": str(uuid.uuid4()),
                             "type": "cases.case.opened", "schema_version": 1, "occurred_at": now,
                             "producer": "cases", "stream_type": "case", "stream_id": f"case-{case_id}",
                             "version": 1, "area_code": commune, "actor": {"id": "bench", "role": "caseworker"},
                             "data": {**state, "case_id": case_id}, "recorded_at": now})
        if len(batch_people) == 5000 or index == people - 1:
            db.people.insert_many(batch_people, ordered=False)
            db.case_snapshots.insert_many(batch_cases, ordered=False)
            db.events.insert_many(batch_events, ordered=False)
            batch_people, batch_cases, batch_events = [], [], []
            print(f"  loaded {index + 1} people and cases", file=sys.stderr)
    return case_ids


class WriteRecorder(monitoring.CommandListener):
    """The documents the import wrote (inserts, and the upserts' replacements), to replay with pymongo one by one:
    the issue's baseline, "raw pymongo doing the same writes one by one"."""

    def __init__(self):
        self.writes, self.on = [], False

    def started(self, event):
        if not self.on or event.database_name != "benchcases_cases":
            return
        collection = event.command.get(event.command_name)
        if event.command_name == "insert":
            self.writes += [(collection, dict(d)) for d in event.command["documents"]]
        elif event.command_name == "update":
            self.writes += [(collection, dict(u["u"])) for u in event.command["updates"]]

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass

    def stop(self):
        self.on = False

    def replay(self, db) -> None:
        for number, (collection, document) in enumerate(self.writes):
            fields = {}
            for key, value in document.items():
                fields.update(value if key.startswith("$") and isinstance(value, dict) else {key: value})
            db[collection].insert_one({**{k.replace(".", "_"): v for k, v in fields.items()}, "_id": f"raw-{number}"})


def import_rows(count: int, commune: str) -> list[dict]:
    return [{"register_ref": f"BENCH-{i}", "full_name": f"Trương Văn Khoa {i}", "sex": "male",
             "birth_date": (date(1970, 1, 1) + timedelta(days=i)).isoformat(), "commune_code": commune,
             "opened_on": "2026-02-01"} for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--import-rows", type=int, default=300)
    args = parser.parse_args()
    writes = WriteRecorder()
    monitoring.register(writes)
    ferretdb = fresh_ferretdb(27317, 28388, "cases-ferretdb")
    env = {**os.environ, "MONGODB_URI": ferretdb.uri, "MONGODB_DB_PREFIX": "benchcases", "DH_VAR_DIR": str(ROOT / "var"),
           "AMQP_URL": "amqp://bench:bench@127.0.0.1:5672/none", "SERVICE_PORT": "19201", "LOG_LEVEL": "WARNING",
           "MONGODB_TIMEOUT_MS": "30000", "GUNICORN_TIMEOUT": "600"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    settings = Settings.from_env("cases", env)
    client = pymongo.MongoClient(ferretdb.uri)
    db = client["benchcases_cases"]
    communes = [code for code, _ in communes_of("56")]
    api = None
    try:
        started = time.perf_counter()
        case_ids = seed(db, FieldCipher(settings.data_key), args.people, communes)
        load_seconds = time.perf_counter() - started
        from services.cases.bootstrap import bootstrap
        from shared.auth import Principal
        bus = bootstrap(settings)
        started = time.perf_counter()
        bus.handle(RebuildCaseCounts())
        count_seconds = time.perf_counter() - started
        api = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
                                "services.cases.entrypoints.app:create_app()"], cwd=ROOT, env=env,
                               stderr=subprocess.DEVNULL)
        url = "http://127.0.0.1:19201"
        wait_for(lambda: answers(f"{url}/healthz"), 120, 0.5, "the cases API")
        headers = {"Authorization": "Bearer " + mint(PRIVATE_KEY, subject="bench", roles=["police_liaison"],
                                                     areas=["56"], ttl_seconds=7200)}
        session = requests.Session()
        session.headers.update(headers)
        commune, stage = communes[0], "aftercare"
        list_api = timed(lambda: _ok(session.get(f"{url}/api/v1/cases", params={
            "commune_code": commune, "stage": stage, "page_size": 20}, timeout=120)), args.requests)
        list_raw = timed(lambda: (list(db.case_snapshots.find({"commune_code": commune, "stage": stage}).sort(
            [("opened_on", -1), ("_id", 1)]).limit(20)), db.case_snapshots.count_documents(
            {"commune_code": commune, "stage": stage})), args.requests)
        wide_api = timed(lambda: _ok(session.get(f"{url}/api/v1/cases", params={"page_size": 20}, timeout=300)),
                         args.requests)
        first_page = session.get(f"{url}/api/v1/cases", params={"page_size": 20}, timeout=300)
        next_api = timed(lambda: _ok(session.get(f"{url}/api/v1/cases", params={
            "page_size": 20, "after": first_page.headers["X-Next-After"]}, timeout=300)), args.requests)
        counts_api = timed(lambda: _ok(session.get(f"{url}/api/v1/cases/counts", timeout=300)), args.requests)
        wide_raw = timed(lambda: (list(db.case_snapshots.find({"commune_code": {"$in": communes}}).sort(
            [("opened_on", -1), ("_id", 1)]).limit(20)), db.case_snapshots.count_documents(
            {"commune_code": {"$in": communes}})), 1)
        sample = random.Random(1).sample(case_ids, args.requests)
        reads = iter(sample)
        read_api = timed(lambda: _ok(session.get(f"{url}/api/v1/cases/{next(reads)}", timeout=60)), args.requests)
        reads = iter(sample)
        read_raw = timed(lambda: db.case_snapshots.find_one({"_id": next(reads)}), args.requests)
        officer = Principal("bench", ("caseworker",), "UBX", (communes[1],))
        rows = import_rows(args.import_rows, communes[1])
        writes.on = True
        started = time.perf_counter()
        report = CaseloadImport(bus).run(checked_rows(rows), officer)
        import_rate = report.created / (time.perf_counter() - started)
        writes.stop()
        raw_docs = [{"_id": f"raw-{i}", **row} for i, row in enumerate(rows)]
        started = time.perf_counter()
        client["benchcases_raw"].people.insert_many(raw_docs)
        client["benchcases_raw"].cases.insert_many([{**d, "_id": f"c-{d['_id']}"} for d in raw_docs])
        raw_rate = len(rows) / (time.perf_counter() - started)
        started = time.perf_counter()
        writes.replay(client["benchcases_rawimport"])
        one_by_one_rate = len(rows) / (time.perf_counter() - started)
        started = time.perf_counter()
        bus.handle(NoticeDueDates())
        sweep_seconds = time.perf_counter() - started
        started = time.perf_counter()
        bus.handle(NoticeDueDates())
        window_seconds = time.perf_counter() - started
    finally:
        if api:
            api.terminate()
            api.wait(10)
        ferretdb.stop()
    ms = lambda s: round(1000 * s, 1)  # noqa: E731
    report = {
        "people_and_cases": args.people, "load_seconds": round(load_seconds, 1),
        "case_list_p95_ms": {"api": ms(p95(list_api)), "raw_pymongo": ms(p95(list_raw))},
        "case_read_p95_ms": {"api": ms(p95(read_api)), "raw_pymongo": ms(p95(read_raw))},
        "import_rows_per_s": {"import": round(import_rate, 1), "raw_insert_many": round(raw_rate, 1),
                              "raw_same_writes_one_by_one": round(one_by_one_rate, 1),
                              "writes_per_row": round(len(writes.writes) / len(rows), 1)},
        "province_wide_list_ms": {"api_p95": ms(p95(wide_api)), "next_page_p95": ms(p95(next_api)),
                                  "counts_p95": ms(p95(counts_api)), "raw_pymongo": ms(wide_raw[0]),
                                  "counts_rebuilt_in": ms(count_seconds)},
        "due_timer_ms": {"window_of_days": ms(window_seconds), "sweep_of_due_dates": ms(sweep_seconds)},
    }
    report["ratios"] = {
        "list_p95_api_vs_raw": round(p95(list_api) / p95(list_raw), 2),
        "province_wide_p95_vs_commune_list_p95": round(p95(wide_api) / p95(list_api), 2),
        "read_p95_api_vs_raw": round(p95(read_api) / p95(read_raw), 2),
        "import_vs_raw_insert": round(import_rate / raw_rate, 4),
        "import_vs_same_writes_one_by_one": round(import_rate / one_by_one_rate, 2),
        "due_timer_window_vs_sweep": round(window_seconds / sweep_seconds, 4),
    }
    print(json.dumps(report, indent=2))
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    (ROOT / "var" / "bench" / "cases.json").write_text(json.dumps(report, indent=2))
    print(f"median list api {ms(statistics.median(list_api))} ms, raw {ms(statistics.median(list_raw))} ms")


def _ok(response):
    assert response.status_code == 200, response.text[:300]


if __name__ == "__main__":
    main()
