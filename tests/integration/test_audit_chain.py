"""The tamper-evident audit against the real FerretDB: one unbroken hash chain per service and day however many
writers race, the verification finding an edited or deleted row, intents and completions around every change of
a case, and the inspectorate's API."""
import threading
from datetime import datetime, timedelta, timezone

import pytest

from shared.audit import PROVINCE_TIME, AuditEntry, AuditLog, chain_of, entry_id
from shared.audit_verify import main as verify_main, verify
from shared.auth import Principal
from shared.errors import ConcurrencyConflict
from shared.eventstore import StoredEvent
from shared.repository import EventSourcedRepository
from services.cases.entrypoints.app import create_app

COMMUNE = "22366"
OFFICER = Principal("cw-1", ("caseworker",), f"UBX-{COMMUNE}", (COMMUNE,))
BODY = {"person": {"full_name": "Lê Văn Hùng", "birth_date": "1990-04-05", "sex": "male"},
        "commune_code": COMMUNE, "opened_on": "2026-08-03", "stage": "tested"}


@pytest.fixture
def app(settings):
    return create_app(settings("cases"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def police(auth):
    return auth(subject="ca-1", roles=["police_liaison"], unit=f"CAX-{COMMUNE}", areas=[COMMUNE])


def today():
    return datetime.now(PROVINCE_TIME).date()


def written(log: AuditLog, n: int, prefix="c") -> None:
    for i in range(n):
        if i % 5 == 4:
            log.record_many(OFFICER, "list", "case", [f"{prefix}{i}a", f"{prefix}{i}b"])
        else:
            log.record(OFFICER, "read", "case", f"{prefix}{i}", {"identity"})


def chain_ids() -> list[str]:
    return [d["_id"] for d in AuditEntry._get_collection().find({"chain": chain_of("cases", datetime.now(
        timezone.utc))}, {"_id": 1}).sort("_id", 1)]


def test_entries_form_one_chain_that_a_restarted_writer_continues(app):
    written(AuditLog("cases"), 10)
    restarted = AuditLog("cases")
    last = restarted.record(OFFICER, "read", "case", "after-restart")
    chain = chain_of("cases", datetime.now(timezone.utc))
    assert last == entry_id(chain, 13), "ten records, two of them lists of two, then the restarted writer's"
    verdict = verify("cases", today())
    assert verdict.ok and verdict.entries == 13, verdict.lines()
    documents = list(AuditEntry._get_collection().find({"chain": chain}).sort("_id", 1))
    assert all(d["prev_hash"] == p["hash"] for p, d in zip(documents, documents[1:]))


def test_two_writers_racing_leave_one_unbroken_chain(app):
    writers = [threading.Thread(target=written, args=(AuditLog("cases"), 25, name)) for name in "xy"]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    verdict = verify("cases", today())
    assert verdict.ok and verdict.entries == 2 * (20 + 5 * 2), verdict.lines()
    assert len(chain_ids()) == 60


def test_a_writer_that_lost_the_race_writes_after_the_winner(app):
    behind, ahead = AuditLog("cases"), AuditLog("cases")
    behind.record(OFFICER, "read", "case", "c0")
    ahead.record(OFFICER, "read", "case", "c1")
    ahead.record(OFFICER, "read", "case", "c2")
    behind.record_many(OFFICER, "list", "case", ["c3", "c4", "c5"])
    chain = chain_of("cases", datetime.now(timezone.utc))
    assert chain_ids() == [entry_id(chain, seq) for seq in range(1, 7)]
    assert [d["resource_id"] for d in AuditEntry._get_collection().find({"chain": chain}).sort("_id", 1)] == [
        "c0", "c1", "c2", "c3", "c4", "c5"]
    assert verify("cases", today()).ok


def test_a_writer_far_behind_finds_the_head_past_its_first_lookup(app):
    """The head after a lost race is looked up 16 numbers at a time, then probed: a writer 40 entries behind
    (another process busy while it was idle) still writes right after the head."""
    behind, ahead = AuditLog("cases"), AuditLog("cases")
    behind.record(OFFICER, "read", "case", "c0")
    ahead.record_many(OFFICER, "list", "case", [f"c{n}" for n in range(1, 41)])
    behind.record(OFFICER, "read", "case", "c41")
    chain = chain_of("cases", datetime.now(timezone.utc))
    assert chain_ids() == [entry_id(chain, seq) for seq in range(1, 43)]
    assert verify("cases", today()).ok


def test_verification_names_the_first_edited_or_deleted_entry(app, settings, monkeypatch, capsys):
    written(AuditLog("cases"), 8)
    chain, collection = chain_of("cases", datetime.now(timezone.utc)), AuditEntry._get_collection()
    collection.update_one({"_id": entry_id(chain, 4)}, {"$set": {"resource_id": "someone-else"}})
    verdict = verify("cases", today())
    assert verdict.broken_at == 4 and "hash" in verdict.expected, verdict.lines()
    service_settings = settings("cases")
    for name, value in (("MONGODB_URI", service_settings.mongodb_uri), ("AMQP_URL", service_settings.amqp_url),
                        ("MONGODB_DB_PREFIX", service_settings.mongodb_db.rsplit("_", 1)[0])):
        monkeypatch.setenv(name, value)
    assert verify_main(["--service", "cases", "--day", today().isoformat()]) == 1
    assert "at seq 4: expected hash" in capsys.readouterr().out
    AuditEntry._get_collection().delete_one({"_id": entry_id(chain, 4)})
    verdict = verify("cases", today())
    assert verdict.broken_at == 4 and "deleted" in verdict.expected, verdict.lines()


def test_a_cut_tail_is_found_back_to_the_head_hint(app):
    written(AuditLog("cases"), 14)
    assert verify("cases", today()).entries == 16
    AuditEntry._get_collection().delete_one({"_id": entry_id(chain_of("cases", datetime.now(timezone.utc)), 16)})
    assert verify("cases", today()).broken_at == 16


def test_a_change_writes_its_intent_before_and_its_completion_after(client, police):
    case = client.post("/api/v1/cases", json=BODY, headers=police).get_json()
    intent, done = AuditEntry.objects(resource_id=case["id"], action="open").order_by("id")
    assert (intent.outcome, done.outcome, done.intent) == ("intended", "allowed", intent.id)
    assert verify("cases", today()).open_intents == []


def test_a_save_that_fails_after_its_intent_is_audited_as_failed(client, police, monkeypatch):
    case = client.post("/api/v1/cases", json=BODY, headers=police).get_json()

    def lost_race(self, aggregate, actor, causation_id=None, event_ids=None):
        raise ConcurrencyConflict(f"case-{aggregate.id}", aggregate.version)
    monkeypatch.setattr(EventSourcedRepository, "save", lost_race)
    response = client.put(f"/api/v1/cases/{case['id']}/assigned-worker", headers=police, json={"worker_id": "cw-7"})
    assert response.status_code == 409
    intent, failed = AuditEntry.objects(resource_id=case["id"], action="assign_worker").order_by("id")
    assert (intent.outcome, failed.outcome, failed.intent) == ("intended", "failed", intent.id)


def test_an_intent_that_cannot_be_written_saves_nothing(client, police, monkeypatch):
    case = client.post("/api/v1/cases", json=BODY, headers=police).get_json()

    def unavailable(*args, **kwargs):
        raise RuntimeError("audit store unavailable")
    monkeypatch.setattr(AuditEntry, "_get_collection", unavailable)
    response = client.put(f"/api/v1/cases/{case['id']}/assigned-worker", headers=police, json={"worker_id": "cw-7"})
    assert response.status_code == 503
    monkeypatch.undo()
    assert StoredEvent.objects(stream_id=f"case-{case['id']}").count() == 1


def test_an_intent_left_without_completion_is_listed(app):
    long_ago = datetime.now(timezone.utc) - timedelta(minutes=30)
    stale = AuditLog("cases", now=lambda: long_ago).record(OFFICER, "assign_worker", "case", "c9", outcome="intended")
    verdict = verify("cases", long_ago.astimezone(PROVINCE_TIME).date(), stale_after=timedelta(minutes=10))
    assert verdict.ok and [e["_id"] for e in verdict.open_intents] == [stale]


def test_a_search_that_finds_nothing_leaves_an_entry_without_its_terms(client, police):
    assert client.get("/api/v1/cases?q=Không%20Có%20Ai", headers=police).get_json() == []
    [entry] = AuditEntry.objects(subject="ca-1", action="list")
    assert (entry.resource_type, entry.resource_id) == ("search", "case")
    assert "Không" not in str(AuditEntry._get_collection().find_one({"_id": entry.id}))


def test_the_inspectorate_lists_and_filters_the_audit(client, police, auth):
    case = client.post("/api/v1/cases", json=BODY, headers=police).get_json()
    client.get(f"/api/v1/cases/{case['id']}", headers=police)
    auditor = auth(subject="ttv", roles=["auditor"], unit="TTRA", areas=["56"])
    day = today().isoformat()
    page = client.get(f"/api/v1/audit?resource_id={case['id']}&from={day}&to={day}", headers=auditor)
    assert page.status_code == 200, page.get_json()
    assert [(e["action"], e["outcome"]) for e in page.get_json()["entries"]] == [
        ("open", "intended"), ("open", "allowed"), ("read", "allowed")]
    first = client.get("/api/v1/audit?subject=ca-1&action=open&limit=1", headers=auditor).get_json()
    assert [e["outcome"] for e in first["entries"]] == ["intended"] and first["next_after"]
    second = client.get(f"/api/v1/audit?subject=ca-1&action=open&limit=1&after={first['next_after']}",
                        headers=auditor).get_json()
    assert [e["outcome"] for e in second["entries"]] == ["allowed"] and second["next_after"] is None
    days = client.get(f"/api/v1/audit?from={day}", headers=auditor).get_json()["entries"]
    assert [e["seq"] for e in days] == list(range(1, len(days) + 1)) and len(days) >= 3
    refused = client.get("/api/v1/audit", headers=police)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    bad = client.get("/api/v1/audit?from=29-11-2026", headers=auditor)
    assert bad.status_code == 422 and "from" in bad.get_json()["errors"]
    backwards = client.get("/api/v1/audit?from=2026-11-29&to=2026-11-01", headers=auditor)
    assert backwards.status_code == 422 and "to" in backwards.get_json()["errors"]
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/audit" in spec["paths"]


def test_every_service_serves_the_audit_to_auditors_only(settings, auth):
    from services.plans.entrypoints.app import create_app as plans_app
    client = plans_app(settings("plans")).test_client()
    assert client.get("/api/v1/audit", headers=auth(roles=["auditor"])).status_code == 200
    assert client.get("/api/v1/audit", headers=auth(roles=["plan_coordinator"])).status_code == 403
