"""Referrals and transfers between agencies, through the cases API against the real FerretDB."""
import pytest

from shared.eventstore import StoredEvent
from services.cases.domain.commands import RecordUnit
from services.cases.entrypoints.app import create_app

HERE, THERE = "22366", "22333"


CONSENT = {"sections": ["clinical"], "purpose": "treatment", "reference": "PĐY-0312/2026", "valid_from": "2026-08-03"}


@pytest.fixture
def client(settings):
    app = create_app(settings("cases"))
    app.extensions["service_layer"].handle(RecordUnit("PKMT-NT", "health_facility", 1))
    return app.test_client()


@pytest.fixture
def users(auth):
    return {
        "here": auth(subject="ca-here", roles=["police_liaison"], unit=f"CAX-{HERE}", areas=[HERE]),
        "there": auth(subject="ca-there", roles=["police_liaison"], unit=f"CAX-{THERE}", areas=[THERE]),
        "clinic": auth(subject="bs-mt", roles=["health_worker"], unit="PKMT-NT", areas=[THERE]),
    }


def open_case(client, headers, opened_on="2026-08-03", born="1985-04-04"):
    response = client.post("/api/v1/cases", headers=headers, json={
        "person": {"full_name": "Bùi Văn Lâm", "birth_date": born, "sex": "male"},
        "commune_code": HERE, "opened_on": opened_on})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_referral_gives_the_clinic_access_once_accepted_and_not_after_revocation(client, users):
    case = open_case(client, users["here"])
    assert client.get(f"/api/v1/cases/{case['id']}", headers=users["clinic"]).status_code == 404
    referred = client.post(f"/api/v1/cases/{case['id']}/referrals", headers=users["here"],
                           json={"to_unit": "PKMT-NT", "reason": "điều trị methadone", "consent": CONSENT}).get_json()
    share_id = next(iter(referred["shares"]))
    seen = client.get(f"/api/v1/cases/{case['id']}", headers=users["clinic"])
    assert seen.status_code == 200 and seen.get_json()["person"] is None, "nothing of the person before accepting"
    early = client.post(f"/api/v1/cases/{case['id']}/drug-tests", headers=users["clinic"],
                        json={"tested_on": "2026-08-05", "result": "negative"})
    assert early.status_code == 403
    wrong = client.put(f"/api/v1/cases/{case['id']}/shares/{share_id}/decision", headers=users["here"],
                       json={"decision": "accepted", "reason": "tự nhận"})
    assert wrong.status_code == 403
    accepted = client.put(f"/api/v1/cases/{case['id']}/shares/{share_id}/decision", headers=users["clinic"],
                          json={"decision": "accepted", "reason": "đủ điều kiện tiếp nhận"})
    assert accepted.status_code == 200 and accepted.get_json()["shares"][share_id]["status"] == "accepted"
    assert accepted.get_json()["person"]["full_name"] == "Bùi Văn Lâm"
    assert client.post(f"/api/v1/cases/{case['id']}/drug-tests", headers=users["clinic"],
                       json={"tested_on": "2026-08-05", "result": "negative"}).status_code == 201
    again = client.put(f"/api/v1/cases/{case['id']}/shares/{share_id}/decision", headers=users["clinic"],
                       json={"decision": "accepted", "reason": "lần nữa"})
    assert again.status_code == 409
    client.put(f"/api/v1/cases/{case['id']}/shares/{share_id}/decision", headers=users["here"],
               json={"decision": "revoked", "reason": "đã chuyển cơ sở khác"})
    assert client.get(f"/api/v1/cases/{case['id']}", headers=users["clinic"]).status_code == 404


def test_a_transfer_hands_the_case_to_the_receiving_commune(client, users):
    case = open_case(client, users["here"], born="1986-05-05")
    requested = client.post(f"/api/v1/cases/{case['id']}/transfers", headers=users["here"],
                            json={"to_commune": THERE, "reason": "chuyển nơi cư trú"})
    assert requested.status_code == 201, requested.get_json()
    share_id, share = next(iter(requested.get_json()["shares"].items()))
    assert share["notify_police_by"] is not None
    event = StoredEvent.objects.get(stream_id=f"case-{case['id']}", type="cases.case.transfer_requested")
    assert event.data["to_commune"] == THERE and event.data["notify_police_by"]
    assert client.post(f"/api/v1/cases/{case['id']}/transfers", headers=users["here"],
                       json={"to_commune": THERE, "reason": "lần hai"}).status_code == 409
    assert client.get(f"/api/v1/cases/{case['id']}", headers=users["there"]).status_code == 200
    done = client.put(f"/api/v1/cases/{case['id']}/shares/{share_id}/decision", headers=users["there"],
                      json={"decision": "accepted", "reason": "đã tiếp nhận"})
    assert done.status_code == 200 and done.get_json()["commune_code"] == THERE
    assert client.get(f"/api/v1/cases/{case['id']}", headers=users["here"]).status_code == 404
    assert [c["id"] for c in client.get("/api/v1/cases", headers=users["there"]).get_json()] == [case["id"]]


def test_law_73_transfers_have_no_24_hour_police_notice(client, users):
    case = open_case(client, users["here"], opened_on="2026-05-03", born="1987-06-06")
    share = next(iter(client.post(f"/api/v1/cases/{case['id']}/transfers", headers=users["here"], json={
        "to_commune": THERE, "reason": "chuyển nơi cư trú"}).get_json()["shares"].values()))
    assert share["notify_police_by"] is None


@pytest.mark.parametrize("body,status,field", [
    ({"to_commune": "99999", "reason": "chuyển đi"}, 422, "to_commune"),
    ({"to_commune": HERE, "reason": "chuyển đi"}, 422, "to_commune"),
    ({"to_commune": THERE, "reason": "x"}, 422, "reason"),
    ({"to_commune": THERE}, 422, "reason"),
])
def test_bad_transfers_are_refused_and_nothing_is_stored(client, users, body, status, field):
    case = open_case(client, users["here"], born="1988-07-07")
    response = client.post(f"/api/v1/cases/{case['id']}/transfers", headers=users["here"], json=body)
    assert response.status_code == status and field in response.get_json()["errors"]
    assert StoredEvent.objects(stream_id=f"case-{case['id']}").count() == 1
