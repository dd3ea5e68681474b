"""Methadone treatment, follow-up visits and support through the API, against the real FerretDB."""
from datetime import timedelta

import pytest

from shared.eventstore import PendingEvent, StoredEvent
from shared.packed import unpacked
from shared.clock import province_today
from services.cases.adapters.documents import CaseSnapshot
from services.cases.entrypoints.app import create_app
from services.cases.domain.commands import NoticeDueDates, RecordUnit

COMMUNE, OTHER = "22366", "22333"
CLINIC = "PKMT-NT"
DECISION = {"decision_number": "41/QĐ-TTYT", "decision_date": "2026-08-10", "issuing_authority": "Trung tâm Y tế",
            "reason": "Vi phạm phác đồ điều trị nhiều lần", "document_ref": "qd-41"}


@pytest.fixture
def app(settings):
    app = create_app(settings("cases"))
    app.extensions["service_layer"].handle(RecordUnit(CLINIC, "health_facility", 1))
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def officer(auth):
    return auth(subject="officer", roles=["police_liaison", "caseworker"], unit=f"CAX-{COMMUNE}", areas=[COMMUNE])


@pytest.fixture
def doctor(auth):
    """A clinic doctor whose areas do not cover the case: access comes from the accepted referral alone."""
    return auth(subject="bs-lan", roles=["health_worker"], unit=CLINIC, areas=[OTHER])


def open_case(client, officer, national_id="056090001234"):
    response = client.post("/api/v1/cases", headers=officer, json={
        "person": {"full_name": "Lê Văn Hòa", "birth_date": "1990-04-05", "sex": "male", "national_id": national_id},
        "commune_code": COMMUNE, "opened_on": "2026-08-03"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def events(case_id, event_type):
    return list(StoredEvent.objects(stream_id=f"case-{case_id}", type=event_type))


@pytest.fixture
def on_methadone(client, officer, doctor):
    case = open_case(client, officer)
    referred = client.post(f"/api/v1/cases/{case['id']}/referrals", headers=officer,
                           json={"to_unit": CLINIC, "reason": "Đăng ký điều trị methadone", "consent": {
                               "sections": ["clinical"], "purpose": "treatment", "reference": "PĐY-0412/2026",
                               "valid_from": "2026-08-03"}}).get_json()
    [share_id] = referred["shares"]
    assert client.put(f"/api/v1/cases/{case['id']}/shares/{share_id}/decision", headers=doctor,
                      json={"decision": "accepted", "reason": "Tiếp nhận điều trị"}).status_code == 200
    admitted = client.post(f"/api/v1/cases/{case['id']}/transitions", headers=doctor, json={
        "transition": "admit_to_methadone", "effective_on": "2026-08-10", "decision": DECISION})
    assert admitted.status_code == 200, admitted.get_json()
    assert admitted.get_json()["therapy"]["phase"] == "induction"
    return case


def test_the_dose_log_is_kept_sealed_and_shown_to_the_clinic_only(client, officer, doctor, on_methadone):
    case_id = on_methadone["id"]
    for given_on, body in (("2026-08-11", {"dose_mg": 30}), ("2026-08-12", {"missed": True}),
                           ("2026-08-13", {"dose_mg": 37.5})):
        response = client.post(f"/api/v1/cases/{case_id}/methadone/doses", headers=doctor,
                               json={"given_on": given_on, **body})
        assert response.status_code == 201, response.get_json()
    log = client.get(f"/api/v1/cases/{case_id}/methadone/doses", headers=doctor).get_json()
    assert [(d["given_on"], d["missed"], d["dose_mg"]) for d in log] == [
        ("2026-08-11", False, 30.0), ("2026-08-12", True, None), ("2026-08-13", False, 37.5)]
    assert client.get(f"/api/v1/cases/{case_id}/methadone/doses", headers=officer).status_code == 403
    assert client.post(f"/api/v1/cases/{case_id}/methadone/doses", headers=officer,
                       json={"given_on": "2026-08-14", "dose_mg": 30}).status_code == 403
    assert "therapy" not in client.get(f"/api/v1/cases/{case_id}", headers=officer).get_json()
    therapy = client.get(f"/api/v1/cases/{case_id}", headers=doctor).get_json()["therapy"]
    assert therapy["last_dose_on"] == "2026-08-13"
    stored = events(case_id, "cases.ost.dose_recorded")
    assert len(stored) == 3 and all("dose_mg" not in e.data and "37.5" not in str(e.data) for e in stored)
    assert PendingEvent.objects(event_id__in=[e.event_id for e in stored]).count() == 0


@pytest.mark.parametrize("body, field", [
    ({"given_on": "2026-08-11"}, "dose_mg"),
    ({"given_on": "2026-08-11", "missed": True, "dose_mg": 30}, "dose_mg"),
    ({"given_on": "2026-08-11", "dose_mg": -5}, "dose_mg"),
    ({"given_on": "2026-08-01", "dose_mg": 30}, "given_on"),
    ({"given_on": "2099-08-01", "dose_mg": 30}, "given_on"),
    ({"dose_mg": 30}, "given_on"),
])
def test_bad_doses_are_refused_naming_the_field_and_nothing_is_stored(client, doctor, on_methadone, body, field):
    before = client.get(f"/api/v1/cases/{on_methadone['id']}", headers=doctor).get_json()["version"]
    response = client.post(f"/api/v1/cases/{on_methadone['id']}/methadone/doses", headers=doctor, json=body)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"], response.get_json()
    assert client.get(f"/api/v1/cases/{on_methadone['id']}", headers=doctor).get_json()["version"] == before


def test_breaches_propose_termination_to_the_clinic_and_the_doctor_decides(client, officer, doctor, on_methadone):
    case_id = on_methadone["id"]
    for occurred_on in ("2026-09-01", "2026-10-15"):
        response = client.post(f"/api/v1/cases/{case_id}/methadone/breaches", headers=doctor, json={
            "kind": "protocol", "occurred_on": occurred_on, "description": "Mang thuốc ra ngoài ĐEM-VỀ-NHÀ"})
        assert response.status_code == 201, response.get_json()
    [proposal] = response.get_json()["therapy"]["termination_proposals"]
    assert proposal["ground"] == "protocol_breaches" and proposal["status"] == "open"
    assert proposal["clinic_unit"] == CLINIC
    [to_decide] = client.get("/api/v1/cases/my-work", headers=doctor).get_json()["termination_proposals"]
    assert to_decide["case_id"] == case_id and to_decide["proposal_id"] == proposal["proposal_id"]
    assert client.get("/api/v1/cases/my-work", headers=officer).get_json()["termination_proposals"] == []
    [proposed] = events(case_id, "cases.ost.termination_proposed")
    assert PendingEvent.objects(event_id=proposed.event_id).count() == 1
    assert "ĐEM-VỀ-NHÀ" not in str([e.data for e in events(case_id, "cases.ost.breach_recorded")])
    assert client.post(f"/api/v1/cases/{case_id}/methadone/breaches", headers=officer, json={
        "kind": "protocol", "occurred_on": "2026-10-16"}).status_code == 403
    refused = client.put(f"/api/v1/cases/{case_id}/methadone/termination-proposals/nope/dismissal", headers=doctor,
                         json={"reason": "Tiếp tục theo dõi"})
    assert refused.status_code == 422 and "proposal_id" in refused.get_json()["errors"]
    dismissed = client.put(
        f"/api/v1/cases/{case_id}/methadone/termination-proposals/{proposal['proposal_id']}/dismissal",
        headers=doctor, json={"reason": "Bệnh nhân đã cam kết, tiếp tục điều trị"})
    assert dismissed.status_code == 200
    assert dismissed.get_json()["therapy"]["termination_proposals"][0]["status"] == "dismissed"
    assert client.get("/api/v1/cases/my-work", headers=doctor).get_json()["termination_proposals"] == []
    terminated = client.post(f"/api/v1/cases/{case_id}/transitions", headers=doctor, json={
        "transition": "terminate_methadone", "effective_on": "2026-10-20", "decision": DECISION})
    assert terminated.status_code == 200 and terminated.get_json()["stage"] == "violation_recorded"
    assert "therapy" not in terminated.get_json()


def test_an_opioid_positive_test_on_maintenance_counts_toward_termination(client, doctor, on_methadone):
    case_id = on_methadone["id"]
    for phase, on in (("titration", "2026-08-20"), ("maintenance", "2026-09-01")):
        assert client.put(f"/api/v1/cases/{case_id}/methadone/phase", headers=doctor,
                          json={"phase": phase, "effective_on": on}).status_code == 200
    skipped = client.put(f"/api/v1/cases/{case_id}/methadone/phase", headers=doctor,
                         json={"phase": "induction", "effective_on": "2026-09-02"})
    assert skipped.status_code == 422 and "phase" in skipped.get_json()["errors"]
    for tested_on in ("2026-09-10", "2026-10-10"):
        response = client.post(f"/api/v1/cases/{case_id}/drug-tests", headers=doctor, json={
            "tested_on": tested_on, "result": "positive", "substances": ["heroin", "methadone"]})
        assert response.status_code == 201
    grounds = [p["ground"] for p in response.get_json()["therapy"]["termination_proposals"]]
    assert grounds == ["opioid_positive_tests"]
    assert response.get_json()["drug_tests"][-1]["findings"] == ["opioid"]
    stored = [str(e.data) for e in StoredEvent.objects(stream_id=f"case-{case_id}",
                                                        type="cases.case.drug_test_recorded")]
    snapshot = str(unpacked(CaseSnapshot._get_collection().find_one({"_id": case_id})["state"])["drug_tests"])
    assert len(stored) == 2 and not any("opioid" in text or "heroin" in text for text in [*stored, snapshot])
    unknown = client.post(f"/api/v1/cases/{case_id}/drug-tests", headers=doctor, json={
        "tested_on": "2026-10-11", "result": "positive", "substances": ["sugar"]})
    assert unknown.status_code == 422 and "substances.0" in unknown.get_json()["errors"]


def test_overdue_check_ins_are_listed_and_noticed_once(app, client, officer):
    case = open_case(client, officer, national_id="056090005678")
    case_id = case["id"]
    version = client.get(f"/api/v1/cases/{case_id}", headers=officer).headers["ETag"]
    client.put(f"/api/v1/cases/{case_id}/assigned-worker", headers={**officer, "If-Match": version},
               json={"worker_id": "officer"})
    first_on = province_today() - timedelta(days=3)
    planned = client.put(f"/api/v1/cases/{case_id}/follow-up", headers=officer,
                         json={"every_days": 30, "first_on": first_on.isoformat()})
    assert planned.status_code == 200 and planned.get_json()["due"]["check_in_on"] == first_on.isoformat()
    [item] = client.get("/api/v1/cases/my-work", headers=officer).get_json()["overdue"]
    assert item["case_id"] == case_id and item["due"] == {"check_in_on": first_on.isoformat()}
    bus = app.extensions["service_layer"]
    assert bus.handle(NoticeDueDates()) == 1 and bus.handle(NoticeDueDates()) == 0
    [notice] = events(case_id, "cases.case.overdue")
    assert notice.data["due_name"] == "check_in_on"
    visited_on = province_today() - timedelta(days=1)
    not_home = client.post(f"/api/v1/cases/{case_id}/visits", headers=officer, json={
        "visited_on": visited_on.isoformat(), "kind": "home_visit", "outcome": "not_home"})
    assert not_home.get_json()["due"]["check_in_on"] == first_on.isoformat()
    met = client.post(f"/api/v1/cases/{case_id}/visits", headers=officer, json={
        "visited_on": visited_on.isoformat(), "kind": "home_visit", "outcome": "met", "notes": "Ổn định"})
    assert met.get_json()["due"]["check_in_on"] == (visited_on + timedelta(days=30)).isoformat()
    assert [v["outcome"] for v in met.get_json()["visits"]] == ["not_home", "met"]
    assert client.get("/api/v1/cases/my-work", headers=officer).get_json()["overdue"] == []


@pytest.mark.parametrize("body, field", [
    ({"kind": "loan", "provided_on": "2026-09-01", "funding_source": "social_policy_bank"}, "amount_vnd"),
    ({"kind": "loan", "provided_on": "2026-09-01", "amount_vnd": 5000000}, "funding_source"),
    ({"kind": "counselling", "provided_on": "2026-09-01", "amount_vnd": 5000000}, "amount_vnd"),
    ({"kind": "loan", "provided_on": "2026-09-01", "amount_vnd": -1, "funding_source": "ngo"}, "amount_vnd"),
    ({"kind": "gift", "provided_on": "2026-09-01"}, "kind"),
    ({"kind": "counselling", "provided_on": "2026-07-01"}, "provided_on"),
])
def test_bad_support_records_are_refused_naming_the_field(client, officer, body, field):
    case = open_case(client, officer, national_id="056090009999")
    response = client.post(f"/api/v1/cases/{case['id']}/support", headers=officer, json=body)
    assert response.status_code == 422 and field in response.get_json()["errors"], response.get_json()
    assert events(case["id"], "cases.case.support_recorded") == []


def test_support_is_for_caseworkers_and_its_details_are_sealed(client, officer, auth):
    case = open_case(client, officer, national_id="056090007777")
    police = auth(subject="ca", roles=["police_liaison"], unit=f"CAX-{COMMUNE}", areas=[COMMUNE])
    assert client.post(f"/api/v1/cases/{case['id']}/support", headers=police, json={
        "kind": "counselling", "provided_on": "2026-09-01"}).status_code == 403
    recorded = client.post(f"/api/v1/cases/{case['id']}/support", headers=officer, json={
        "kind": "loan", "provided_on": "2026-09-01", "amount_vnd": 30_000_000, "funding_source": "social_policy_bank",
        "details": "Vay vốn NUÔI-BÒ-SINH-SẢN"})
    assert recorded.status_code == 201
    assert recorded.get_json()["support"][0]["details"] == "Vay vốn NUÔI-BÒ-SINH-SẢN"
    [stored] = events(case["id"], "cases.case.support_recorded")
    assert stored.data["amount_vnd"] == 30_000_000 and "NUÔI-BÒ" not in str(stored.data)
    assert "support" not in client.get(f"/api/v1/cases/{case['id']}", headers=police).get_json()


def test_the_history_leaves_out_steps_of_sections_the_caller_may_not_see(client, officer, doctor, on_methadone):
    case_id = on_methadone["id"]
    client.post(f"/api/v1/cases/{case_id}/methadone/doses", headers=doctor, json={"given_on": "2026-08-11",
                                                                                 "missed": True})
    client.post(f"/api/v1/cases/{case_id}/support", headers=officer, json={"kind": "counselling",
                                                                          "provided_on": "2026-08-12"})
    police_types = [e["type"] for e in client.get(f"/api/v1/cases/{case_id}/history", headers=officer).get_json()]
    doctor_types = [e["type"] for e in client.get(f"/api/v1/cases/{case_id}/history", headers=doctor).get_json()]
    assert "cases.case.methadone_admitted" in police_types and "cases.case.support_recorded" in police_types
    assert not [t for t in police_types if t.startswith("cases.ost.")]
    assert "cases.ost.dose_recorded" in doctor_types and "cases.case.support_recorded" not in doctor_types


def test_only_the_treating_clinic_keeps_the_records_and_gets_the_proposals(client, officer, auth, on_methadone):
    case_id = on_methadone["id"]
    other_clinic = auth(subject="bs-khac", roles=["health_worker"], unit="PKMT-KHAC", areas=[COMMUNE])
    refused = client.post(f"/api/v1/cases/{case_id}/methadone/doses", headers=other_clinic,
                          json={"given_on": "2026-08-11", "dose_mg": 30})
    assert refused.status_code == 403 and events(case_id, "cases.ost.dose_recorded") == []
    offence = client.post(f"/api/v1/cases/{case_id}/methadone/breaches", headers=officer, json={
        "kind": "offence", "occurred_on": "2026-09-01"})
    assert offence.status_code == 201, offence.get_json()
    [proposed] = events(case_id, "cases.ost.termination_proposed")
    assert proposed.data["clinic_unit"] == CLINIC
