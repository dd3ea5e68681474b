"""The member directory through the notifications API in-process against the real FerretDB: your own member
record, an admin's edits (`head` is theirs alone), bad input refused naming its field with nothing stored, contact
points verified by a one-time code that arrives as a queued VERIFICATION delivery, listed masked, sealed at rest,
and only verified ones reached; the daily digest sent once by two runs at once."""
import re
import threading

import pytest

from services.notifications.adapters.deliveries import DeliveryDocument, DeliveryStore
from services.notifications.adapters.directory import UnitDirectory
from services.notifications.adapters.members import ContactPointDocument, MemberSnapshot
from services.notifications.domain.commands import SendDigests
from services.notifications.domain.deliveries import DIGEST, VERIFICATION
from services.notifications.entrypoints.app import create_app
from tests.problem import check_problem

UNIT, OTHER_UNIT = "CAX-22366", "CAX-22333"


@pytest.fixture
def app(settings):
    app = create_app(settings("notifications"))
    UnitDirectory().keep(UNIT, "commune_police", ["22366"], 1)
    UnitDirectory().keep(OTHER_UNIT, "commune_police", ["22333"], 1)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def bus(app):
    return app.extensions["service_layer"]


@pytest.fixture
def officer(auth):
    return auth(subject="officer-1", roles=["police_liaison"], unit=UNIT, areas=["22366"])


@pytest.fixture
def admin(auth):
    return auth(subject="admin-1", roles=["admin"], unit="CA-56", areas=["56"])


def refused(response, status, field):
    problem = check_problem(response.status_code, response.content_type, response.data, status)
    assert field in problem.get("errors", {}), problem
    return problem


def queued(purpose, target):
    return list(DeliveryDocument._get_collection().find({"purpose": purpose, "target": target}))


def code_in(delivery) -> str:
    return re.search(r"\b(\d{6})\b", delivery["content"]["text"]).group(1)


def test_my_member_record_takes_unit_and_roles_from_my_token_and_writes_take_if_match(client, officer):
    assert client.get("/api/v1/members/me", headers=officer).status_code == 404
    created = client.put("/api/v1/members/me", headers=officer, json={
        "language": "en", "quiet_hours": {"start": "22:00", "end": "06:00"},
        "preferences": {"case_opened": ["digest"], "case_absconded": ["sms", "email"]}, "digest_at": "17:30"})
    assert created.status_code == 201 and created.headers["ETag"] == '"1"', created.get_json()
    member = created.get_json()
    assert member["unit"] == UNIT and member["roles"] == ["police_liaison"] and member["head"] is False
    assert member["quiet_hours"] == {"start": "22:00", "end": "06:00"} and member["digest_at"] == "17:30"

    stale = client.put("/api/v1/members/me", headers={**officer, "If-Match": '"0"'}, json={"language": "vi"})
    check_problem(stale.status_code, stale.content_type, stale.data, 412)
    changed = client.put("/api/v1/members/me", headers={**officer, "If-Match": '"1"'}, json={"language": "vi"})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"2"'
    assert client.get("/api/v1/members/me", headers=officer).get_json()["language"] == "vi"
    for field in ("unit", "head", "roles"):
        refused(client.put("/api/v1/members/me", headers=officer, json={field: "x"}), 422, field)


@pytest.mark.parametrize("body, field", [
    ({"quiet_hours": {"start": "25:00", "end": "06:00"}}, "quiet_hours.start"),
    ({"quiet_hours": {"start": "22:00", "end": "sáu giờ"}}, "quiet_hours.end"),
    ({"preferences": {"weather": ["email"]}}, "preferences.weather"),
    ({"preferences": {"case_opened": ["pigeon"]}}, "preferences.case_opened"),
    ({"language": "fr"}, "language"),
    ({"digest_at": "7am"}, "digest_at")])
def test_bad_settings_are_refused_naming_the_field_and_nothing_is_stored(client, officer, body, field):
    refused(client.put("/api/v1/members/me", headers=officer, json=body), 422, field)
    assert client.get("/api/v1/members/me", headers=officer).status_code == 404
    assert MemberSnapshot.objects.count() == 0


def test_an_admin_of_the_units_areas_sets_the_head_and_nobody_else_does(client, officer, admin, auth):
    body = {"unit": UNIT, "roles": ["police_liaison"], "head": True}
    refused_head = client.put("/api/v1/members/chief-1", headers=officer, json=body)
    check_problem(refused_head.status_code, refused_head.content_type, refused_head.data, 403)
    other_admin = auth(subject="admin-2", roles=["admin"], unit="CA-01", areas=["01"])
    outside = client.put("/api/v1/members/chief-1", headers=other_admin, json=body)
    check_problem(outside.status_code, outside.content_type, outside.data, 403)
    refused(client.put("/api/v1/members/chief-1", headers=admin, json={**body, "unit": "NOWHERE"}), 422, "unit")
    refused(client.put("/api/v1/members/chief-1", headers=admin, json={**body, "roles": ["pope"]}), 422, "roles")

    made = client.put("/api/v1/members/chief-1", headers=admin, json=body)
    assert made.status_code == 201 and made.get_json()["head"] is True, made.get_json()
    client.put("/api/v1/members/me", headers=officer, json={})
    listed = client.get(f"/api/v1/members?unit={UNIT}", headers=admin)
    assert listed.status_code == 200 and [m["subject"] for m in listed.get_json()] == ["chief-1", "officer-1"]
    assert client.get(f"/api/v1/members?unit={UNIT}", headers=officer).status_code == 403

    chief = auth(subject="chief-1", roles=["police_liaison"], unit=UNIT, areas=["22366"])
    kept = client.put("/api/v1/members/me", headers=chief, json={"language": "en"})
    assert kept.status_code == 200 and kept.get_json()["head"] is True
    duty = client.post(f"/api/v1/units/{UNIT}/contact-points", headers=chief,
                       json={"kind": "email", "address": "truc.ban@congan.example.vn"})
    assert duty.status_code == 201, duty.get_json()
    denied = client.post(f"/api/v1/units/{UNIT}/contact-points", headers=officer,
                         json={"kind": "email", "address": "other@congan.example.vn"})
    check_problem(denied.status_code, denied.content_type, denied.data, 403)
    by_admin = client.put(f"/api/v1/units/{UNIT}/settings", headers=admin,
                          json={"preferences": {"case_opened": ["digest"]}, "digest_at": "16:00"})
    assert by_admin.status_code == 201 and by_admin.get_json()["unit"] == UNIT, by_admin.get_json()


def test_a_contact_point_is_verified_by_the_code_it_received_and_only_then_reached(client, bus, officer):
    client.put("/api/v1/members/me", headers=officer, json={})
    audience = bus.dependencies["audience"]
    added = client.post("/api/v1/members/me/contact-points", headers=officer,
                        json={"kind": "sms", "address": "0912 345 678"})
    assert added.status_code == 201 and added.headers["ETag"] == '"1"', added.get_json()
    point = added.get_json()
    assert point["address"] == "+84 91* *** 678" and point["verified"] is False
    assert added.headers["Location"].endswith(f"/members/me/contact-points/{point['id']}")

    deliveries = queued(VERIFICATION, "member:officer-1")
    assert len(deliveries) == 1 and deliveries[0]["channel"] == "sms"
    code = code_in(deliveries[0])
    raw = ContactPointDocument._get_collection().find_one({"_id": point["id"]})
    assert "912345678" not in str(raw) and code not in str(raw) and raw["address_sealed"].startswith("v1.")
    assert audience.reach(UNIT, (), False, "case_absconded", "sms", True, added_now()) == []

    wrong = "000000" if code != "000000" else "111111"
    refused(client.post(f"/api/v1/members/me/contact-points/{point['id']}/verification", headers=officer,
                        json={"code": wrong}), 422, "code")
    verified = client.post(f"/api/v1/members/me/contact-points/{point['id']}/verification",
                           headers={**officer, "If-Match": '"1"'}, json={"code": code})
    assert verified.status_code == 200 and verified.headers["ETag"] == '"2"', verified.get_json()
    assert verified.get_json()["verified"] is True
    reached = audience.reach(UNIT, (), False, "case_absconded", "sms", True, added_now())
    assert [(r.target, r.address) for r in reached] == [("member:officer-1", "+84912345678")]
    assert audience.reach(UNIT, ("caseworker",), False, "case_absconded", "sms", True, added_now()) == []

    listed = client.get("/api/v1/members/me/contact-points", headers=officer).get_json()
    assert [(p["address"], p["verified"]) for p in listed] == [("+84 91* *** 678", True)]
    assert client.delete(f"/api/v1/members/me/contact-points/{point['id']}", headers=officer).status_code == 204
    assert client.get("/api/v1/members/me/contact-points", headers=officer).get_json() == []
    assert audience.reach(UNIT, (), False, "case_absconded", "sms", True, added_now()) == []


def added_now():
    from datetime import datetime, timezone
    return datetime.now(timezone.utc)


def test_five_wrong_codes_and_the_point_is_locked(client, officer):
    point = client.post("/api/v1/members/me/contact-points", headers=officer,
                        json={"kind": "email", "address": "Nguyen.Van.A@Example.VN"}).get_json()
    assert point["address"] == "N***@example.vn"
    code = code_in(queued(VERIFICATION, "member:officer-1")[0])
    wrong = "000000" if code != "000000" else "111111"
    path = f"/api/v1/members/me/contact-points/{point['id']}/verification"
    for _ in range(5):
        refused(client.post(path, headers=officer, json={"code": wrong}), 422, "code")
    locked = client.post(path, headers=officer, json={"code": code})
    check_problem(locked.status_code, locked.content_type, locked.data, 409)


@pytest.mark.parametrize("body, field", [({"kind": "sms", "address": "12345"}, "address"),
                                         ({"kind": "email", "address": "not-an-address"}, "address"),
                                         ({"kind": "fax", "address": "0912345678"}, "kind")])
def test_a_bad_contact_point_is_refused_naming_the_field_and_nothing_is_stored(client, officer, body, field):
    refused(client.post("/api/v1/members/me/contact-points", headers=officer, json=body), 422, field)
    assert ContactPointDocument.objects.count() == 0 and not queued(VERIFICATION, "member:officer-1")


def test_two_digest_runs_at_once_send_one_digest(client, bus, settings, officer):
    client.put("/api/v1/members/me", headers=officer, json={"digest_at": "00:00",
                                                            "preferences": {"case_opened": ["digest"]}})
    store = DeliveryStore(bus.dependencies["cipher"])
    for n in range(3):
        store.add_to_digest("member:officer-1", f"alert-{n}", "vi", "a@example.vn", added_now())
    answers, start = [], threading.Barrier(2)

    def run():
        start.wait()
        answers.append(bus.handle(SendDigests()))
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    digests = queued(DIGEST, "member:officer-1")
    assert sorted(answers) == [0, 1] and len(digests) == 1
    assert digests[0]["alert_ids"] == ["alert-0", "alert-1", "alert-2"] and digests[0]["content"]["text"]
    assert store.digest_entries("member:officer-1") == []
    assert bus.handle(SendDigests()) == 0
