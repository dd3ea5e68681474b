"""Optimistic concurrency on every write that changes a case or an alert: a stale If-Match answers 412 and changes
nothing, the current one is applied and the answer carries the new ETag; the OpenAPI documents say so."""
from datetime import date, timedelta

import pytest

from services.cases.domain.commands import RecordUnit
from services.cases.entrypoints.app import create_app as cases_app
from services.notifications.entrypoints.app import create_app as notifications_app
from tests.integration.test_treatment_api import CLINIC, COMMUNE, DECISION, OTHER

OFFICER = dict(subject="officer", roles=["police_liaison", "caseworker"], unit=f"CAX-{COMMUNE}", areas=[COMMUNE])
DOCTOR = dict(subject="bs-lan", roles=["health_worker"], unit=CLINIC, areas=[OTHER])
COURT_STEPS = ("register_community_rehab", "record_violation", "open_compulsory_dossier", "submit_dossier_to_court",
               "record_court_order")


CONSENT = {"sections": ["clinical"], "purpose": "treatment", "reference": "PĐY-0412/2026", "valid_from": "2026-08-03"}


@pytest.fixture
def client(settings):
    app = cases_app(settings("cases"))
    app.extensions["service_layer"].handle(RecordUnit(CLINIC, "health_facility", 1))
    return app.test_client()


def open_case(client, officer, national_id):
    """A case of a person of their own: born in 1990 (as the ID says), on a day the ID's last digits choose."""
    birth_date = date(1990, 1, 1) + timedelta(days=int(national_id[-3:]))
    response = client.post("/api/v1/cases", headers=officer, json={
        "person": {"full_name": "Lê Văn Hòa", "birth_date": birth_date.isoformat(), "sex": "male",
                   "national_id": national_id}, "commune_code": COMMUNE, "opened_on": "2026-08-03"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def referred(client, officer, national_id):
    case = open_case(client, officer, national_id)
    shared = client.post(f"/api/v1/cases/{case['id']}/referrals", headers=officer,
                         json={"to_unit": CLINIC, "reason": "Đăng ký điều trị methadone", "consent": CONSENT}).get_json()
    return case["id"], next(iter(shared["shares"]))


def on_methadone(client, officer, doctor, national_id):
    case_id, share_id = referred(client, officer, national_id)
    client.put(f"/api/v1/cases/{case_id}/shares/{share_id}/decision", headers=doctor,
               json={"decision": "accepted", "reason": "Tiếp nhận điều trị"})
    admitted = client.post(f"/api/v1/cases/{case_id}/transitions", headers=doctor, json={
        "transition": "admit_to_methadone", "effective_on": "2026-08-10", "decision": DECISION})
    assert admitted.status_code == 200, admitted.get_json()
    return case_id


def in_facility(client, officer, national_id):
    case_id = open_case(client, officer, national_id)["id"]
    decision = {**DECISION, "term_months": 12, "decision_date": "2026-08-04"}
    for name in COURT_STEPS:
        response = client.post(f"/api/v1/cases/{case_id}/transitions", headers=officer, json={
            "transition": name, "effective_on": "2026-08-04", "decision": decision})
        assert response.status_code == 200, (name, response.get_json())
    return case_id


def with_proposal(client, officer, doctor, national_id):
    case_id = on_methadone(client, officer, doctor, national_id)
    for occurred_on in ("2026-09-01", "2026-10-15"):
        answer = client.post(f"/api/v1/cases/{case_id}/methadone/breaches", headers=doctor,
                             json={"kind": "protocol", "occurred_on": occurred_on})
    [proposal] = answer.get_json()["therapy"]["termination_proposals"]
    return case_id, proposal["proposal_id"]


def writes(client, officer, doctor):
    """(method, path, body, headers, reader) of each write that changes an existing case, on a case of its own."""
    plain = lambda n: open_case(client, officer, f"056090000{n:03d}")["id"]  # noqa: E731
    methadone = lambda n: on_methadone(client, officer, doctor, f"056090000{n:03d}")  # noqa: E731
    case_id, share_id = referred(client, officer, "056090000101")
    [consent] = client.get(f"/api/v1/cases/{case_id}", headers=officer).get_json()["consents"]
    consent_id = consent["consent_id"]
    proposal_case, proposal_id = with_proposal(client, officer, doctor, "056090000102")
    yield "PUT", f"/api/v1/cases/{plain(1)}/assigned-worker", {"worker_id": "cw-9"}, officer, officer
    yield "POST", f"/api/v1/cases/{plain(2)}/transitions", {"transition": "refer_for_assessment",
                                                            "effective_on": "2026-08-05"}, officer, officer
    yield "PUT", f"/api/v1/cases/{in_facility(client, officer, '056090000003')}/phase", {
        "phase": "detox", "effective_on": "2026-08-20"}, officer, officer
    yield "POST", f"/api/v1/cases/{plain(4)}/drug-tests", {"tested_on": "2026-08-05", "result": "negative"}, \
        officer, officer
    yield "POST", f"/api/v1/cases/{plain(5)}/referrals", {"to_unit": CLINIC, "reason": "Điều trị",
                                                              "consent": CONSENT}, officer, officer
    yield "POST", f"/api/v1/cases/{plain(6)}/transfers", {"to_commune": OTHER, "reason": "Chuyển nơi ở"}, officer, \
        officer
    yield "PUT", f"/api/v1/cases/{case_id}/shares/{share_id}/decision", {"decision": "accepted",
                                                                       "reason": "Tiếp nhận"}, doctor, officer
    yield "PUT", f"/api/v1/cases/{plain(7)}/follow-up", {"every_days": 30, "first_on": "2026-09-01"}, officer, \
        officer
    yield "POST", f"/api/v1/cases/{plain(8)}/visits", {"visited_on": "2026-08-05", "kind": "home_visit",
                                                       "outcome": "met"}, officer, officer
    yield "POST", f"/api/v1/cases/{plain(9)}/support", {"kind": "counselling", "provided_on": "2026-08-05"}, \
        officer, officer
    yield "PUT", f"/api/v1/cases/{methadone(10)}/methadone/phase", {"phase": "titration",
                                                                    "effective_on": "2026-08-12"}, doctor, doctor
    yield "POST", f"/api/v1/cases/{methadone(11)}/methadone/doses", {"given_on": "2026-08-11", "dose_mg": 30}, \
        doctor, doctor
    yield "POST", f"/api/v1/cases/{methadone(12)}/methadone/breaches", {"kind": "protocol",
                                                                        "occurred_on": "2026-08-12"}, doctor, doctor
    yield "PUT", f"/api/v1/cases/{proposal_case}/methadone/termination-proposals/{proposal_id}/dismissal", {
        "reason": "Tiếp tục điều trị có theo dõi"}, doctor, doctor
    yield "POST", f"/api/v1/cases/{plain(13)}/consents", {**CONSENT, "to_unit": CLINIC}, officer, officer
    yield "PUT", f"/api/v1/cases/{case_id}/consents/{consent_id}/revocation", {
        "reason": "Người bệnh rút lại đồng ý"}, officer, officer


def version_of(client, path, reader) -> int:
    return int(client.get("/".join(path.split("/")[:5]), headers=reader).headers["ETag"].strip('"'))


def test_every_case_write_refuses_a_stale_if_match_and_answers_the_new_etag(client, auth):
    officer, doctor = auth(**OFFICER), auth(**DOCTOR)
    checked = 0
    for method, path, body, headers, reader in writes(client, officer, doctor):
        current = version_of(client, path, reader)
        stale = client.open(path, method=method, json=body, headers={**headers, "If-Match": f'"{current - 1}"'})
        assert stale.status_code == 412 and stale.mimetype == "application/problem+json", (path, stale.get_json())
        assert stale.get_json()["current_version"] == current
        assert version_of(client, path, reader) == current, path
        done = client.open(path, method=method, json=body, headers={**headers, "If-Match": f'"{current}"'})
        assert done.status_code in (200, 201), (path, done.get_json())
        assert done.headers["ETag"] == f'"{version_of(client, path, reader)}"' and \
            version_of(client, path, reader) > current, path
        checked += 1
    assert checked == 16


def documented_writes(document, changes_existing) -> set:
    """The writes of an OpenAPI document that change an existing resource, each checked to document If-Match,
    412 and the ETag it answers."""
    documented = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in ("put", "post") or not changes_existing(path):
                continue
            headers = [p for p in operation.get("parameters", []) if p.get("in") == "header"]
            assert [p["name"] for p in headers] == ["If-Match"], (method, path)
            assert "412" in operation["responses"], (method, path)
            success = next(code for code in operation["responses"] if code.startswith("2"))
            assert "ETag" in operation["responses"][success].get("headers", {}), (method, path)
            documented.add((method, path))
    return documented


def test_the_openapi_documents_say_which_writes_take_if_match_and_answer_an_etag(client, settings):
    cases = client.get("/api/v1/openapi.json").get_json()
    # break-the-glass opens and revokes a grant of its own, not the case: no version of the case to match
    assert len(documented_writes(cases, lambda p: "{case_id}" in p and "break-glass" not in p)) == 16
    notifications = notifications_app(settings("notifications")).test_client().get("/api/v1/openapi.json")
    assert documented_writes(notifications.get_json(), lambda p: "{alert_id}" in p or "{endpoint_id}" in p) == {
        ("put", "/api/v1/inbox/{alert_id}/acknowledgement"), ("put", "/api/v1/inbox/{alert_id}/state"),
        ("put", "/api/v1/endpoints/{endpoint_id}"), ("post", "/api/v1/endpoints/{endpoint_id}/secret-rotation")}
