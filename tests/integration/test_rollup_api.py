"""The roll-up as a maintained projection against the real FerretDB and RabbitMQ: a report approved through the API
moves the unit's and the province's rows (the plans relay publishes, the roll-up consumer folds, the read
endpoint shows); a case event counted moves the commune's computed figures; who sees which rows; bad input."""
import dataclasses
import os
import subprocess
import sys
import threading
import uuid
from contextlib import contextmanager
from datetime import date, timedelta

import pytest

from shared.bus import ConfirmingPublisher, Subscription, connect
from shared.envelope import envelope_from_message
from shared.relay import Relay
from services.cases.contracts import CONTRACTS as CASES_CONTRACTS
from services.plans import contracts as plans_contracts
from services.plans.domain.commands import CountCaseEvent, RefreshRollup
from services.plans.entrypoints import rollup_consumer
from services.plans.entrypoints.app import create_app
from tests.integration.busutil import RunningConsumer
from tests.integration.case_paths import methadone, store
from tests.support import ROOT, wait_for

PROVINCE, COMMUNE, OTHER = "56", "22366", "22333"
MERGED_AWAY = "22345"
UNITS = (("UBND-T56", "Ban chỉ đạo tỉnh", "provincial_committee", PROVINCE),
         ("CA-T56", "Công an tỉnh", "provincial_police", PROVINCE),
         ("CAX-22366", "Công an phường Nha Trang", "commune_police", COMMUNE),
         ("UBX-22366", "UBND phường Nha Trang", "commune_committee", COMMUNE),
         ("CAX-22333", "Công an phường Bắc Nha Trang", "commune_police", OTHER))
INDICATORS = [{"code": "outreach_sessions", "target": 50}, {"code": "drug_cases", "target": 40},
              {"code": "people_newly_managed", "target": 10}]


@pytest.fixture
def case_events(settings):
    """A person opened and admitted to methadone in Nha Trang on 10 June (stored before the plans app connects)."""
    return store(settings, methadone("c-rollup", "P-rollup", COMMUNE, date(2026, 6, 10)))


@pytest.fixture
def app(settings, case_events, tmp_path):
    merges = tmp_path / "merges.csv"
    merges.write_text(f"old_code,old_name,new_code\n{MERGED_AWAY},Phường cũ,{COMMUNE}\n", encoding="utf-8")
    return create_app(settings("plans", AREA_MERGES_FILE=str(merges)))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def bus(app):
    return app.extensions["service_layer"]


@pytest.fixture
def today(bus):
    clock = bus.dependencies["clock"]

    def move(day):
        clock.today = lambda: day
    move(date(2026, 5, 25))
    return move


@pytest.fixture
def people(auth):
    return {"coordinator": auth(subject="pc", roles=["plan_coordinator"], unit="UBND-T56", areas=[PROVINCE]),
            "reporter": auth(subject="cax", roles=["unit_reporter"], unit="CAX-22366", areas=[COMMUNE]),
            "committee": auth(subject="ubx", roles=["unit_reporter"], unit="UBX-22366", areas=[COMMUNE]),
            "lead": auth(subject="pc04", roles=["unit_reporter"], unit="CA-T56", areas=[PROVINCE]),
            "stranger": auth(subject="cax2", roles=["unit_reporter"], unit="CAX-22333", areas=[OTHER]),
            "auditor": auth(subject="tt", roles=["auditor"], unit="TTr-T56", areas=[PROVINCE]),
            "commune_auditor": auth(subject="tt2", roles=["auditor"], unit="TTr-X", areas=[COMMUNE]),
            "caseworker": auth(subject="cw", roles=["caseworker"], unit="CAX-22366", areas=[PROVINCE])}


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def draft_plan(client, people) -> tuple[str, str]:
    """An Action Month plan of the province with one task led by the provincial police, assigned to a commune's
    police and People's Committee and to the provincial police itself; not issued yet."""
    coordinator = people["coordinator"]
    for code, name, kind, area in UNITS:
        ok(client.post("/api/v1/units", headers=coordinator,
                       json={"unit_code": code, "name": name, "kind": kind, "area_code": area}), 201)
    plan = ok(client.post("/api/v1/plans", headers=coordinator, json={
        "title": "Tháng hành động phòng, chống ma túy 2026", "kind": "action_month", "area_code": PROVINCE,
        "starts_on": "2026-06-01", "ends_on": "2026-06-30", "indicators": INDICATORS}), 201)
    task = ok(client.post(f"/api/v1/plans/{plan['id']}/tasks", headers=coordinator, json={
        "title": "Đấu tranh, triệt phá tội phạm ma túy", "lead_unit": "CA-T56",
        "supporting_units": ["CAX-22366", "UBX-22366"], "starts_on": "2026-06-01", "due_on": "2026-06-30",
        "indicators": INDICATORS}), 201)
    for unit, shares in (("CAX-22366", {"drug_cases": 10, "people_newly_managed": 4}),
                         ("UBX-22366", {"outreach_sessions": 5}), ("CA-T56", {"drug_cases": 20})):
        ok(client.put(f"/api/v1/tasks/{task['id']}/assignments/{unit}", headers=coordinator,
                      json={"shares": shares}))
    return plan["id"], task["id"]


def issue(client, people, plan_id):
    ok(client.post(f"/api/v1/plans/{plan_id}/issue", headers=people["coordinator"], json={
        "issuing_authority": "Ủy ban nhân dân tỉnh Khánh Hòa", "document_number": "2057/KH-UBND",
        "document_date": "2026-05-20", "signer": "Phó Chủ tịch"}))


def report_path(task_id, unit="CAX-22366", period="W1", step=""):
    return f"/api/v1/tasks/{task_id}/assignments/{unit}/reports/{period}{step}"


def rollup(client, headers, plan_id, **params):
    return client.get(f"/api/v1/plans/{plan_id}/rollup", headers=headers, query_string=params)


def figures(row, code):
    return next(i for i in row["indicators"] if i["code"] == code)


def timeless(body):
    """The answer without the times its rows were folded."""
    strip = lambda row: row and {**row, "as_of": None}  # noqa: E731
    return {**body, "as_of": None, "total": strip(body["total"]), "rows": [strip(r) for r in body["rows"]]}


def row_of(body, code):
    return next((r for r in body["rows"] if r["code"] == code), None)


@contextmanager
def plans_worker(amqp_url, bus):
    """The plans worker's part in this: its relay and the roll-up consumer (on a queue of the test's own)."""
    subscription = Subscription(queue=f"test.rollup.{uuid.uuid4().hex[:8]}", bindings=rollup_consumer.ROLLUP.bindings,
                                contracts=rollup_consumer.ROLLUP.contracts)
    stop = threading.Event()
    relay = Relay("plans", ConfirmingPublisher(connect(amqp_url), confirm_timeout=5),
                  plans_contracts.CONTRACTS)
    relaying = threading.Thread(target=relay.run_forever, args=(stop, 0.05), daemon=True)
    with RunningConsumer(amqp_url, subscription, rollup_consumer.handlers(bus)[rollup_consumer.ROLLUP]):
        relaying.start()
        try:
            yield
        finally:
            stop.set()
            relaying.join(10)


def test_a_report_approved_through_the_api_moves_the_units_and_the_provinces_rollup(client, bus, people, today,
                                                                                     amqp_url):
    coordinator, reporter = people["coordinator"], people["reporter"]
    plan_id, task_id = draft_plan(client, people)
    with plans_worker(amqp_url, bus):
        issue(client, people, plan_id)
        folded = wait_for(lambda: (body := ok(rollup(client, coordinator, plan_id)))["total"] and body, 20,
                          message="the roll-up folded after the plan was issued")
        assert figures(folded["total"], "drug_cases")["target"] == 30
        assert figures(row_of(folded, "CAX-22366"), "drug_cases")["target"] == 10
        assert row_of(folded, "CAX-22366")["name"] == "Công an phường Nha Trang"
        assert {r["code"] for r in folded["rows"]} == {"CA-T56", "CAX-22366", "UBX-22366"}

        today(date(2026, 6, 8))
        ok(client.put(report_path(task_id), headers=reporter, json={"values": {"drug_cases": 3}}), 201)
        ok(client.post(report_path(task_id, step="/submit"), headers=reporter))

        def moved(predicate):
            def check():
                body = ok(rollup(client, coordinator, plan_id))
                return predicate(body) and body
            return check

        pending = wait_for(moved(lambda b: figures(row_of(b, "CAX-22366"), "drug_cases")["pending"] == 3), 20,
                           message="the submitted figures pending")
        assert figures(pending["total"], "drug_cases")["reported"] == 0
        ok(client.post(report_path(task_id, step="/approve"), headers=people["lead"], json={}))
        approved = wait_for(moved(lambda b: figures(b["total"], "drug_cases")["reported"] == 3), 20,
                            message="the approved figures in the province total")
    unit = row_of(approved, "CAX-22366")
    assert figures(unit, "drug_cases") == {"code": "drug_cases", "target": 10.0, "reported": 3.0, "pending": 0.0,
                                           "computed": None, "percentage": 30.0, "plan_target": None,
                                           "unassigned": None}
    assert unit["reports"]["submitted"] == 1 and unit["reports"]["approved"] == 1
    assert figures(approved["total"], "drug_cases")["plan_target"] == 40
    assert figures(approved["total"], "drug_cases")["unassigned"] == 10
    assert approved["as_of"] >= pending["as_of"]
    week = ok(rollup(client, coordinator, plan_id, period="W1"))
    assert figures(row_of(week, "CAX-22366"), "drug_cases")["reported"] == 3
    assert figures(row_of(ok(rollup(client, coordinator, plan_id, period="W2")), "CAX-22366"),
                   "drug_cases")["reported"] == 0
    by_area = ok(rollup(client, coordinator, plan_id, by="area"))
    assert figures(row_of(by_area, COMMUNE), "drug_cases") | {"computed": 0} == {
        "code": "drug_cases", "target": 10.0, "reported": 3.0, "pending": 0.0, "computed": 0, "percentage": 30.0,
        "plan_target": None, "unassigned": None}
    assert figures(row_of(by_area, PROVINCE), "drug_cases")["target"] == 20


def test_a_counted_case_event_moves_the_communes_computed_figures_and_a_merged_commune_rolls_up_under_its_new_code(
        client, bus, people, today, case_events):
    plan_id, _ = draft_plan(client, people)
    issue(client, people, plan_id)
    bus.handle(RefreshRollup(plan_id))
    for message in case_events:
        bus.handle(CountCaseEvent(envelope_from_message(message, CASES_CONTRACTS)))
    coordinator = people["coordinator"]
    by_area = ok(rollup(client, coordinator, plan_id, by="area"))
    assert figures(row_of(by_area, COMMUNE), "people_newly_managed")["computed"] == 1
    assert figures(by_area["total"], "people_newly_managed")["computed"] == 1
    by_unit = ok(rollup(client, coordinator, plan_id))
    commune_police = figures(row_of(by_unit, "CAX-22366"), "people_newly_managed")
    assert (commune_police["computed"], commune_police["percentage"]) == (1, 25.0)
    assert figures(row_of(by_unit, "CA-T56"), "people_newly_managed")["computed"] == 1
    assert figures(row_of(ok(rollup(client, coordinator, plan_id, period="W2")), "CAX-22366"),
                   "people_newly_managed")["computed"] == 1
    assert figures(row_of(ok(rollup(client, coordinator, plan_id, period="W1")), "CAX-22366"),
                   "people_newly_managed")["computed"] == 0

    bus.dependencies["ledger"].add(plan_id, "people_newly_managed", "old-commune-event", 1, "e-old", MERGED_AWAY,
                                   counted_on=date(2026, 6, 11))
    bus.dependencies["rollup"].refresh_area(plan_id, MERGED_AWAY)
    by_area = ok(rollup(client, coordinator, plan_id, by="area"))
    assert figures(row_of(by_area, COMMUNE), "people_newly_managed")["computed"] == 2
    assert row_of(by_area, MERGED_AWAY) is None
    assert figures(by_area["total"], "people_newly_managed")["computed"] == 2
    bus.handle(RefreshRollup(plan_id))
    rebuilt = ok(rollup(client, coordinator, plan_id, by="area"))
    assert timeless(rebuilt) == timeless(by_area), "folding from scratch gives what the refreshes kept"


def test_a_units_reporters_see_their_own_row_and_the_total_and_others_nothing(client, bus, people, today):
    plan_id, _ = draft_plan(client, people)
    assert rollup(client, people["reporter"], plan_id).status_code == 404, "a draft is the standing office's"
    issue(client, people, plan_id)
    bus.handle(RefreshRollup(plan_id))
    own = ok(rollup(client, people["reporter"], plan_id))
    assert [r["code"] for r in own["rows"]] == ["CAX-22366"] and own["total"]["code"] == PROVINCE
    assert ok(rollup(client, people["reporter"], plan_id, by="area"))["rows"] == []
    assert len(ok(rollup(client, people["auditor"], plan_id))["rows"]) == 3
    for who in ("stranger", "caseworker", "commune_auditor"):
        response = rollup(client, people[who], plan_id)
        assert response.status_code == 404 and response.mimetype == "application/problem+json", who
    assert rollup(client, people["coordinator"], "no-such-plan").status_code == 404


def test_an_unknown_by_or_period_is_refused_naming_the_parameter(client, bus, people, today):
    plan_id, _ = draft_plan(client, people)
    issue(client, people, plan_id)
    for params, name in (({"by": "commune"}, "by"), ({"period": "2026-13"}, "period"), ({"period": "W9"}, "period"),
                         ({"period": ""}, "period")):
        response = rollup(client, people["coordinator"], plan_id, **params)
        assert response.status_code == 422 and name in response.get_json()["errors"], (params, response.get_json())
    assert ok(rollup(client, people["coordinator"], plan_id, period="W5"))["periods"] == [
        "W1", "W2", "W3", "W4", "W5", "final", "all"]


def test_before_anything_is_folded_the_rollup_answers_empty(client, people, today):
    plan_id, _ = draft_plan(client, people)
    body = ok(rollup(client, people["coordinator"], plan_id))
    assert (body["total"], body["rows"], body["as_of"]) == (None, [], None)


def test_an_event_the_rows_already_reflect_folds_nothing_and_concurrent_folds_leave_the_right_total(
        client, bus, people, today):
    plan_id, task_id = draft_plan(client, people)
    issue(client, people, plan_id)
    assert bus.handle(RefreshRollup(plan_id)) > 0
    plan_version = bus.dependencies["uow"].plans.read(plan_id).version
    task_version = bus.dependencies["uow"].tasks.read(task_id).version
    assert bus.handle(RefreshRollup(plan_id, None, (f"plan-{plan_id}", plan_version))) == 0
    assert bus.handle(RefreshRollup(plan_id, "CAX-22366", (f"task-{task_id}", task_version))) == 0
    assert bus.handle(RefreshRollup(plan_id, "CAX-22366", (f"task-{task_id}", task_version + 1))) > 0

    today(date(2026, 6, 8))
    for unit, values in (("CAX-22366", {"drug_cases": 2}), ("UBX-22366", {"outreach_sessions": 4})):
        reporter = people["reporter"] if unit == "CAX-22366" else people["committee"]
        ok(client.put(report_path(task_id, unit), headers=reporter, json={"values": values}), 201)
        ok(client.post(report_path(task_id, unit, step="/submit"), headers=reporter))
    refresher = bus.dependencies["rollup"]
    folds = [threading.Thread(target=refresher.refresh_unit, args=(plan_id, unit))
             for unit in ("CAX-22366", "UBX-22366", "CA-T56") for _ in range(2)]
    for thread in folds:
        thread.start()
    for thread in folds:
        thread.join(60)
    folded = ok(rollup(client, people["coordinator"], plan_id))
    total = folded["total"]
    assert (figures(total, "drug_cases")["pending"], figures(total, "outreach_sessions")["pending"]) == (2, 4)
    bus.handle(RefreshRollup(plan_id))
    assert timeless(ok(rollup(client, people["coordinator"], plan_id))) == timeless(folded)


def test_a_row_folded_from_older_state_never_replaces_a_newer_one(client, bus, people, today):
    plan_id, _ = draft_plan(client, people)
    issue(client, people, plan_id)
    bus.handle(RefreshRollup(plan_id))
    store = bus.dependencies["rollup_store"]
    kept = store.rows_named(plan_id, [("unit", "CAX-22366")])[0]
    older = dataclasses.replace(kept, row=dataclasses.replace(kept.row, name="stale"),
                                as_of=kept.as_of - timedelta(seconds=5))
    store.put(plan_id, [older])
    assert store.rows_named(plan_id, [("unit", "CAX-22366")])[0].row.name == "Công an phường Nha Trang"
    newer = dataclasses.replace(older, as_of=kept.as_of + timedelta(seconds=5))
    store.put(plan_id, [newer])
    assert store.rows_named(plan_id, [("unit", "CAX-22366")])[0].row.name == "stale"


def rebuild_cli(settings, *args):
    s = settings("plans")
    env = {**os.environ, "MONGODB_URI": s.mongodb_uri, "AMQP_URL": s.amqp_url,
           "MONGODB_DB_PREFIX": s.mongodb_db.rsplit("_", 1)[0], "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "services.plans.entrypoints.cli", "rebuild-rollup", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_the_cli_rebuilds_a_plans_rollup(settings, client, people, today):
    plan_id, _ = draft_plan(client, people)
    issue(client, people, plan_id)
    done = rebuild_cli(settings, "--plan", plan_id)
    assert done.returncode == 0 and f"{plan_id}: 6 rows" in done.stdout, done.stdout + done.stderr
    assert [r["code"] for r in ok(rollup(client, people["coordinator"], plan_id))["rows"]] == [
        "CA-T56", "CAX-22366", "UBX-22366"]
    assert rebuild_cli(settings, "--plan", "no-such-plan").returncode == 2
    assert rebuild_cli(settings).returncode == 0
