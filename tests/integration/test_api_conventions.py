"""HTTP conventions, exercised on the cases API in-process against the real FerretDB."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from shared.eventstore import PendingEvent, StoredEvent
from shared.idempotency import IdempotencyRecord, _claim, fingerprint, purge_expired, record_key, request_secret
from services.cases.adapters.documents import CaseSnapshot, Person
from services.cases.entrypoints.app import create_app

COMMUNE = "22366"
BODY = {"person": {"full_name": "Trần Thị Bích", "birth_date": "1995-03-04", "sex": "female"},
        "commune_code": COMMUNE, "opened_on": "2026-08-01"}


@pytest.fixture
def client(settings):
    return create_app(settings("cases")).test_client()


@pytest.fixture
def worker(auth):
    return auth(subject="cw1", roles=["caseworker"], unit=f"UBX-{COMMUNE}", areas=[COMMUNE])


def someone(name: str, **changes) -> dict:
    return {**BODY, "person": {**BODY["person"], "full_name": name}, **changes}


def stored():
    return (CaseSnapshot.objects.count(), StoredEvent.objects.count(), PendingEvent.objects.count(),
            Person.objects.count())


def assert_problem(response, status, field=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"]
    if field:
        assert field in body["errors"], body


@pytest.mark.parametrize("body,status,field", [
    ({**BODY, "unknown": 1}, 422, "unknown"),
    ({**BODY, "opened_on": 20260801}, 422, "opened_on"),
    ({**BODY, "person": {**BODY["person"], "birth_date": "2031-01-01"}}, 422, "person.birth_date"),
    ({**BODY, "commune_code": "99999"}, 422, "commune_code"),
    ({**BODY, "commune_code": "1"}, 422, "commune_code"),
    ({**BODY, "stage": "imaginary"}, 422, "stage"),
    ({**BODY, "person": {**BODY["person"], "$where": "1"}}, 400, "person.$where"),
    ({**BODY, "person": {**BODY["person"], "a.b": "1"}}, 400, "person.a.b"),
    ({**BODY, "person": {**BODY["person"], "full_name": "A\x00B"}}, 400, "person.full_name"),
    ({k: v for k, v in BODY.items() if k != "person"}, 422, "person"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(client, worker, body, status, field):
    before = stored()
    assert_problem(client.post("/api/v1/cases", json=body, headers=worker), status, field)
    assert stored() == before


def test_malformed_json_wrong_media_type_and_nul_in_query_are_refused(client, worker):
    assert_problem(client.post("/api/v1/cases", data="{bad", headers={**worker, "Content-Type": "application/json"}),
                   400)
    assert_problem(client.post("/api/v1/cases", data="x=1", headers={**worker, "Content-Type": "text/plain"}), 415)
    assert_problem(client.get("/api/v1/cases?stage=a%00b", headers=worker), 400)
    assert_problem(client.get("/api/v1/cases?stage[$ne]=x", headers=worker), 400)
    assert stored() == (0, 0, 0, 0)


def test_every_api_needs_a_token_but_health_and_docs_do_not(client, auth):
    assert_problem(client.get("/api/v1/cases"), 401)
    assert_problem(client.get("/api/v1/cases", headers={"Authorization": "Bearer nonsense"}), 401)
    expired = auth(subject="x", ttl_seconds=-60)
    assert_problem(client.get("/api/v1/cases", headers=expired), 401)
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/metrics").status_code == 200


def test_created_case_has_an_etag_and_a_stale_if_match_gets_412(client, worker):
    created = client.post("/api/v1/cases", json=BODY, headers=worker)
    assert created.status_code == 201 and created.headers["ETag"] == '"1"'
    location = created.headers["Location"]
    assert client.get(location, headers=worker).headers["ETag"] == '"1"'
    ok = client.put(f"{location}/assigned-worker", json={"worker_id": "w1"}, headers={**worker, "If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["ETag"] == '"2"'
    assert_problem(client.put(f"{location}/assigned-worker", json={"worker_id": "w2"},
                              headers={**worker, "If-Match": '"1"'}), 412)
    assert_problem(client.put(f"{location}/assigned-worker", json={"worker_id": "w2"},
                              headers={**worker, "If-Match": "yesterday"}), 412)
    assert client.get(location, headers=worker).get_json()["assigned_worker"] == "w1"


def test_idempotency_key_replays_the_first_response_and_creates_nothing_twice(client, worker):
    headers = {**worker, "Idempotency-Key": "office-7-retry"}
    first = client.post("/api/v1/cases", json=BODY, headers=headers)
    again = client.post("/api/v1/cases", json=BODY, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert CaseSnapshot.objects.count() == 1
    other = client.post("/api/v1/cases", json={**BODY, "opened_on": "2026-08-02"}, headers=headers)
    assert_problem(other, 422, "Idempotency-Key")
    failed = client.post("/api/v1/cases", json=someone("Hồ Thị Lan", stage="x"),
                         headers={**worker, "Idempotency-Key": "k2"})
    assert_problem(failed, 422)
    corrected = client.post("/api/v1/cases", json=someone("Hồ Thị Lan"), headers={**worker, "Idempotency-Key": "k2"})
    assert corrected.status_code == 201 and "Idempotent-Replayed" not in corrected.headers
    assert CaseSnapshot.objects.count() == 2


def test_a_caseworker_sees_only_cases_of_their_jurisdiction(client, worker, auth):
    created = client.post("/api/v1/cases", json=BODY, headers=worker).get_json()
    elsewhere = auth(subject="cw2", roles=["caseworker"], areas=["22333"])
    assert_problem(client.get(f"/api/v1/cases/{created['id']}", headers=elsewhere), 404)
    assert_problem(client.post("/api/v1/cases", json=BODY, headers=elsewhere), 403)
    assert client.get("/api/v1/cases", headers=elsewhere).get_json() == []
    planner = auth(subject="p", roles=["plan_coordinator"], areas=["56"])
    assert_problem(client.get(f"/api/v1/cases/{created['id']}", headers=planner), 404)
    province = auth(subject="pc", roles=["police_liaison"], areas=["56"])
    assert [c["id"] for c in client.get("/api/v1/cases", headers=province).get_json()] == [created["id"]]


def test_lists_paginate(client, worker):
    for day, name in enumerate(("Vũ Văn An", "Vũ Văn Bình", "Vũ Văn Cường"), start=1):
        assert client.post("/api/v1/cases", json=someone(name, opened_on=f"2026-08-0{day}"),
                           headers=worker).status_code == 201
    page = client.get("/api/v1/cases?page=2&page_size=2", headers=worker)
    assert page.status_code == 200 and len(page.get_json()) == 1
    assert '"total": 3' in page.headers["X-Pagination"]
    assert_problem(client.get("/api/v1/cases?page_size=100000", headers=worker), 422, "page_size")


def test_the_correlation_id_of_a_request_travels_in_its_events(client, worker):
    response = client.post("/api/v1/cases", json=BODY, headers={**worker, "X-Correlation-ID": "req-abc-123"})
    assert response.headers["X-Correlation-ID"] == "req-abc-123"
    assert StoredEvent.objects.get(stream_id=f"case-{response.get_json()['id']}").correlation_id == "req-abc-123"


def test_an_idempotency_key_left_unfinished_is_busy_then_taken_over(client, worker):
    """A claim whose request died before any effect: a retry waits (409), then takes it over after a while."""
    body = json.dumps(BODY)
    IdempotencyRecord(key=record_key("cw1", "/api/v1/cases", "office-9-crashed"),
                      fingerprint=fingerprint("POST", "/api/v1/cases", body.encode(),
                                              request_secret("cw1", "/api/v1/cases", "office-9-crashed",
                                                             client.application.config["IDEMPOTENCY_SECRET"])),
                      created_at=datetime.now(timezone.utc)).save(force_insert=True)
    headers = {**worker, "Idempotency-Key": "office-9-crashed", "Content-Type": "application/json"}
    assert_problem(client.post("/api/v1/cases", data=body, headers=headers), 409)
    assert CaseSnapshot.objects.count() == 0
    IdempotencyRecord.objects.update(set__created_at=datetime.now(timezone.utc) - timedelta(minutes=6))
    retried = client.post("/api/v1/cases", data=body, headers=headers)
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
    assert client.post("/api/v1/cases", data=body, headers=headers).headers["Idempotent-Replayed"] == "true"
    assert CaseSnapshot.objects.count() == 1


def test_a_request_whose_claim_was_taken_over_cannot_finish_or_drop_it(client):
    _, first = _claim("k-race", "same request")
    IdempotencyRecord.objects(key="k-race").update(set__created_at=datetime.now(timezone.utc) - timedelta(minutes=6))
    _, second = _claim("k-race", "same request")
    assert second and second != first
    assert IdempotencyRecord.objects(key="k-race", claim=first).update_one(set__status=201) == 0
    assert IdempotencyRecord.objects(key="k-race", claim=first).delete() == 0
    assert IdempotencyRecord.objects.get(key="k-race").claim == second


def test_a_stored_answer_keeps_no_personal_data_in_clear_and_expires_after_a_day(client, worker):
    headers = {**worker, "Idempotency-Key": "office-8-answer"}
    first = client.post("/api/v1/cases", json=someone("Trịnh Thị Hậu"), headers=headers)
    assert first.status_code == 201
    [record] = IdempotencyRecord.objects
    assert "Trịnh" not in record.body and "Tr\\u1ecbnh" not in record.body and record.body.startswith("i1.")
    assert record.fingerprint != fingerprint("POST", "/api/v1/cases", json.dumps(someone("Trịnh Thị Hậu")).encode(),
                                             b"")
    replayed = client.post("/api/v1/cases", json=someone("Trịnh Thị Hậu"), headers=headers)
    assert replayed.headers["Idempotent-Replayed"] == "true" and replayed.get_json() == first.get_json()
    assert_problem(client.post("/api/v1/cases", json=someone("Lò Văn Sáng"), headers=headers), 422,
                   "Idempotency-Key")
    IdempotencyRecord.objects.update(set__created_at=datetime.now(timezone.utc) - timedelta(hours=25))
    reused = client.post("/api/v1/cases", json=someone("Lò Văn Sáng"), headers=headers)
    assert reused.status_code == 201, "a day later the key is free again: the old answer is gone"
    IdempotencyRecord.objects.update(set__created_at=datetime.now(timezone.utc) - timedelta(hours=25))
    assert purge_expired() == 1 and IdempotencyRecord.objects.count() == 0
