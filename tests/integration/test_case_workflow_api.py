"""The case workflow through the cases API, against the real FerretDB."""
import threading
from datetime import date

import pytest

from shared.eventstore import StoredEvent
from services.cases.entrypoints.app import create_app
from services.cases.domain.commands import NoticeDueDates

COMMUNE = "22366"
BODY = {"person": {"full_name": "Phạm Văn Dũng", "birth_date": "1988-02-03", "sex": "male"},
        "commune_code": COMMUNE, "opened_on": "2026-08-03", "stage": "tested"}
DECISION = {"decision_number": "21/QĐ-UBND", "decision_date": "2026-08-04", "issuing_authority": "UBND phường",
            "drugs_declared": ["methamphetamine"]}


@pytest.fixture
def app(settings):
    return create_app(settings("cases"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def police(auth):
    return auth(subject="ca-22366", roles=["police_liaison"], unit=f"CAX-{COMMUNE}", areas=[COMMUNE])


def opened(client, police):
    response = client.post("/api/v1/cases", json=BODY, headers=police)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_workflows_are_listed_with_stages_and_transitions(client, police):
    workflows = client.get("/api/v1/workflows", headers=police).get_json()
    assert {w["regime"] for w in workflows} == {"law-73-2021", "law-120-2025"}
    law120 = next(w for w in workflows if w["regime"] == "law-120-2025")
    assert "drugs_declared" in next(t for t in law120["transitions"] if t["name"] == "place_under_management")[
        "requires"]
    assert any(s["name"] == "in_facility" and s["phases"] for s in law120["stages"])


def test_a_step_is_taken_with_its_decision_and_sets_due_dates(client, police):
    case = opened(client, police)
    allowed = client.get(f"/api/v1/cases/{case['id']}/transitions", headers=police).get_json()
    assert {t["name"] for t in allowed} == {"place_under_management", "refer_for_assessment", "close"}
    response = client.post(f"/api/v1/cases/{case['id']}/transitions", headers={**police, "If-Match": '"1"'}, json={
        "transition": "place_under_management", "effective_on": "2026-08-04", "decision": DECISION})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["stage"] == "user_management" and body["due"] == {"management_ends_on": "2027-08-04"}
    assert response.headers["ETag"] == '"2"'
    stored = StoredEvent.objects.get(stream_id=f"case-{case['id']}", version=2)
    assert stored.type == "cases.case.management_started" and stored.data["drugs_declared"].startswith("p1.")
    repository = client.application.extensions["service_layer"].dependencies["uow"].cases
    assert repository.history(case["id"])[1][1].drugs_declared == ["methamphetamine"], "sealed, and opened when read"


@pytest.mark.parametrize("payload,status,field", [
    ({"transition": "release_from_facility", "effective_on": "2026-08-04", "decision": DECISION}, 409, None),
    ({"transition": "place_under_management", "effective_on": "2026-08-04",
      "decision": {**DECISION, "decision_number": None}}, 422, "decision.decision_number"),
    ({"transition": "place_under_management", "effective_on": "2026-08-04",
      "decision": {k: v for k, v in DECISION.items() if k != "decision_number"}}, 422, "decision.decision_number"),
    ({"transition": "place_under_management", "effective_on": "2099-01-01", "decision": DECISION}, 422,
     "effective_on"),
    ({"transition": "place_under_management", "effective_on": "2026-08-04",
      "decision": {**DECISION, "term_months": "six"}}, 422, "decision.term_months"),
    ({"transition": "place_under_management", "effective_on": "2026-08-04", "decision": DECISION, "x": 1}, 422,
     "x"),
])
def test_refused_steps_name_the_field_and_store_nothing(client, police, payload, status, field):
    case = opened(client, police)
    response = client.post(f"/api/v1/cases/{case['id']}/transitions", headers=police, json=payload)
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    if field:
        assert field in response.get_json()["errors"]
    else:
        assert set(response.get_json()["allowed"]) == {"place_under_management", "refer_for_assessment", "close"}
    assert StoredEvent.objects(stream_id=f"case-{case['id']}").count() == 1


def test_a_role_the_regime_does_not_name_is_forbidden(client, police, auth):
    case = opened(client, police)
    doctor = auth(subject="bs", roles=["health_worker"], unit="TTYT", areas=[COMMUNE])
    response = client.post(f"/api/v1/cases/{case['id']}/transitions", headers=doctor, json={
        "transition": "place_under_management", "effective_on": "2026-08-04", "decision": DECISION})
    assert response.status_code == 403


def test_due_notices_are_appended_exactly_once_even_with_two_workers(app, client, police):
    case = opened(client, police)
    client.post(f"/api/v1/cases/{case['id']}/transitions", headers=police, json={
        "transition": "place_under_management", "effective_on": "2026-08-04", "decision": DECISION})
    bus = app.extensions["service_layer"]
    clock = bus.dependencies["clock"]
    clock.today = lambda: date(2027, 7, 30)
    barrier = threading.Barrier(2)

    def worker():
        barrier.wait()
        bus.handle(NoticeDueDates())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    bus.handle(NoticeDueDates())
    types = [e.type for e in StoredEvent.objects(stream_id=f"case-{case['id']}").order_by("version")]
    assert types.count("cases.case.due_soon") == 1
    clock.today = lambda: date(2027, 8, 5)
    bus.handle(NoticeDueDates())
    bus.handle(NoticeDueDates())
    types = [e.type for e in StoredEvent.objects(stream_id=f"case-{case['id']}").order_by("version")]
    assert types.count("cases.case.overdue") == 1 and types.count("cases.case.due_soon") == 1


def test_every_read_and_write_is_audited_and_a_failed_audit_fails_the_request(client, police, auth, monkeypatch):
    from shared import audit
    case = opened(client, police)
    client.get(f"/api/v1/cases/{case['id']}", headers=police)
    elsewhere = auth(subject="other", roles=["police_liaison"], areas=["22333"])
    assert client.get(f"/api/v1/cases/{case['id']}", headers=elsewhere).status_code == 404
    entries = [(e.subject, e.action, e.outcome) for e in audit.AuditEntry.objects(resource_id=case["id"]).order_by("id")]
    assert entries == [("ca-22366", "open", "intended"), ("ca-22366", "open", "allowed"),
                       ("ca-22366", "read", "allowed"), ("other", "read", "denied")]
    entry = audit.AuditEntry.objects(resource_id=case["id"], action="read", outcome="allowed").first()
    assert entry.unit == f"CAX-{COMMUNE}" and "legal" in entry.sections and entry.request_id

    def broken(*args, **kwargs):
        raise RuntimeError("audit store unavailable")
    monkeypatch.setattr(audit.AuditEntry, "_get_collection", broken)
    failed = client.get(f"/api/v1/cases/{case['id']}", headers=police)
    assert failed.status_code == 503 and failed.mimetype == "application/problem+json"


def test_the_history_is_a_timeline_of_steps_and_field_changes(client, police):
    case = opened(client, police)
    client.post(f"/api/v1/cases/{case['id']}/transitions", headers=police, json={
        "transition": "place_under_management", "effective_on": "2026-08-04", "decision": DECISION})
    client.put(f"/api/v1/cases/{case['id']}/assigned-worker", headers=police, json={"worker_id": "cw-7"})
    history = client.get(f"/api/v1/cases/{case['id']}/history", headers=police).get_json()
    assert [h["type"] for h in history] == ["cases.case.opened", "cases.case.management_started",
                                            "cases.case.worker_assigned"]
    step = history[1]
    assert step["changes"]["stage"] == ["tested", "user_management"] and step["actor"]["id"] == "ca-22366"
    assert step["decision"]["decision_number"] == "21/QĐ-UBND"
    only_stage = client.get(f"/api/v1/cases/{case['id']}/history?field=stage", headers=police).get_json()
    assert [h["version"] for h in only_stage] == [1, 2]
    assert client.get(f"/api/v1/cases/{case['id']}/history?user=nobody", headers=police).get_json() == []


def test_a_case_is_read_with_its_history_and_steps_in_one_answer_audited_once(client, police):
    from shared import audit
    case = opened(client, police)
    client.post(f"/api/v1/cases/{case['id']}/transitions", headers=police, json={
        "transition": "place_under_management", "effective_on": "2026-08-04", "decision": DECISION})
    path = f"/api/v1/cases/{case['id']}"
    before = audit.AuditEntry.objects(resource_id=case["id"]).count()
    together = client.get(f"{path}?include=history&include=transitions", headers=police)
    assert together.status_code == 200 and together.headers["ETag"] == '"2"'
    assert audit.AuditEntry.objects(resource_id=case["id"]).count() == before + 1
    body = together.get_json()
    assert body["history"] == client.get(f"{path}/history", headers=police).get_json()
    assert body["transitions"] == client.get(f"{path}/transitions", headers=police).get_json()
    assert {k: v for k, v in body.items() if k not in ("history", "transitions")} == \
        client.get(path, headers=police).get_json()
    assert "history" not in client.get(f"{path}?include=transitions", headers=police).get_json()
    refused = client.get(f"{path}?include=everything", headers=police)
    assert refused.status_code == 422 and "include" in str(refused.get_json()["errors"])


def test_my_work_lists_assigned_cases_by_due_date(app, client, police):
    mine = opened(client, police)
    client.post(f"/api/v1/cases/{mine['id']}/transitions", headers=police, json={
        "transition": "place_under_management", "effective_on": "2026-08-04", "decision": DECISION})
    client.put(f"/api/v1/cases/{mine['id']}/assigned-worker", headers=police, json={"worker_id": "ca-22366"})
    clock = app.extensions["service_layer"].dependencies["clock"]
    clock.today = lambda: date(2027, 7, 30)
    work = client.get("/api/v1/cases/my-work", headers=police).get_json()
    assert [w["case_id"] for w in work["due_soon"]] == [mine["id"]] and work["overdue"] == []
    clock.today = lambda: date(2027, 8, 10)
    work = client.get("/api/v1/cases/my-work", headers=police).get_json()
    assert [w["case_id"] for w in work["overdue"]] == [mine["id"]]
    clock.today = lambda: date(2027, 1, 1)
    assert client.get("/api/v1/cases/my-work", headers=police).get_json() == {"overdue": [], "due_soon": [],
                                                                                "termination_proposals": []}


def test_a_facility_resident_moves_through_phases_and_a_term_cut_needs_half_served(client, auth):
    officer = auth(subject="ca-cb", roles=["police_liaison", "caseworker"], unit=f"CAX-{COMMUNE}", areas=[COMMUNE])
    case = client.post("/api/v1/cases", headers=officer, json={**BODY, "opened_on": "2025-06-02",
                                                              "stage": "user_management"}).get_json()
    decision = {**DECISION, "reason": "Không đăng ký cai nghiện", "document_ref": "qd-tand-7", "term_months": 12,
                "decision_date": "2025-06-03"}
    for name in ("register_community_rehab", "record_violation",
                 "open_compulsory_dossier", "submit_dossier_to_court", "record_court_order"):
        response = client.post(f"/api/v1/cases/{case['id']}/transitions", headers=officer, json={
            "transition": name, "effective_on": "2025-06-03", "decision": decision})
        assert response.status_code == 200, (name, response.get_json())
    assert response.get_json()["phase"] == "intake"
    moved = client.put(f"/api/v1/cases/{case['id']}/phase", headers=officer,
                       json={"phase": "detox", "effective_on": "2025-06-20"})
    assert moved.status_code == 200 and moved.get_json()["phase"] == "detox"
    skipped = client.put(f"/api/v1/cases/{case['id']}/phase", headers=officer,
                         json={"phase": "reintegration", "effective_on": "2025-06-21"})
    assert skipped.status_code == 422 and "phase" in skipped.get_json()["errors"]
    cut_by_3 = {**decision, "term_reduction_months": 3}
    early = client.post(f"/api/v1/cases/{case['id']}/transitions", headers=officer, json={
        "transition": "reduce_term", "effective_on": "2025-10-01", "decision": cut_by_3})
    assert early.status_code == 422 and "effective_on" in early.get_json()["errors"]
    cut = client.post(f"/api/v1/cases/{case['id']}/transitions", headers=officer, json={
        "transition": "reduce_term", "effective_on": "2025-12-15", "decision": cut_by_3})
    assert cut.status_code == 200, cut.get_json()
    assert cut.get_json()["due"]["term_ends_on"] == "2026-03-03" and cut.get_json()["phase"] == "detox"
