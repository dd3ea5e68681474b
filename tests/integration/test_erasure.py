"""Encryption that can be erased: each person's fields and the sealed records of their cases under the person's
own data key, wrapped by a master key with an id; rotating the master key rewraps without re-encrypting; erasing
the person destroys the key, so what it sealed never opens again. Against the real FerretDB."""

import json
import time
from datetime import date
from types import SimpleNamespace

import pymongo

from shared.crypto import FieldCipher
from shared.keys import DataKey, KeyRing
from shared.audit import AuditEntry
from shared.auth import Principal
from shared.eventstore import StoredEvent
from shared.packed import unpacked
from services.cases.adapters.documents import CaseSnapshot, Erasure, GrantSnapshot, Person
from services.cases.bootstrap import bootstrap
from services.cases.domain.commands import ErasePerson, PurgeExpired, RecordUnit
from services.cases.entrypoints import cli
from services.cases.entrypoints.app import create_app

COMMUNE = "22366"
PERSON = {"full_name": "Mạc Thị Duyên", "birth_date": "1991-05-06", "sex": "female", "national_id": "056191001234",
          "phone": "0905111222", "address": "12 Trần Phú, Nha Trang"}


def open_with_records(client, officer) -> dict:
    case = client.post("/api/v1/cases", headers=officer, json={"person": PERSON, "commune_code": COMMUNE,
                                                              "opened_on": "2026-08-03"}).get_json()
    assert client.post(f"/api/v1/cases/{case['id']}/visits", headers=officer, json={
        "visited_on": "2026-08-05", "kind": "home_visit", "outcome": "met", "notes": "Gia đình RẤT-HỢP-TÁC"}
    ).status_code == 201
    return case


def test_person_fields_and_case_records_are_sealed_with_the_persons_own_key_and_rotation_rewraps_it(
        settings, auth, tmp_path):
    officer = auth(subject="cb", roles=["caseworker"], unit=f"UBX-{COMMUNE}", areas=[COMMUNE])
    ring_file = tmp_path / "master-keys.json"
    KeyRing({"k1": b"1" * 32}, "k1").write(ring_file)
    client = create_app(settings("cases", DH_MASTER_KEYS_FILE=str(ring_file))).test_client()
    case = open_with_records(client, officer)
    stored = Person._get_collection().find_one({"_id": case["person_code"]})
    assert stored["phone_enc"].startswith(f"p1.{case['person_code']}.") and "905111222" not in str(stored)
    [key] = DataKey._get_collection().find({})
    assert key["_id"] == case["person_code"] and key["kid"] == "k1"
    ring = KeyRing.read(ring_file).rotated()
    ring.write(ring_file)
    rotated = create_app(settings("cases", DH_MASTER_KEYS_FILE=str(ring_file)))
    assert rotated.extensions["service_layer"].dependencies["people"].sealer.keys.rewrap_all() == 1
    assert DataKey._get_collection().find_one({})["kid"] == ring.current
    KeyRing({ring.current: ring.keys[ring.current]}, ring.current).write(ring_file)
    retired = create_app(settings("cases", DH_MASTER_KEYS_FILE=str(ring_file))).test_client()
    seen = retired.get(f"/api/v1/cases/{case['id']}", headers=officer).get_json()
    assert seen["person"]["phone"] == "+84905111222" and seen["visits"][0]["notes"] == "Gia đình RẤT-HỢP-TÁC"


def test_erasing_a_person_destroys_their_key_and_nothing_of_theirs_opens_again(settings, auth, monkeypatch,
                                                                               ferretdb, broker, db_prefix):
    officer = auth(subject="cb", roles=["caseworker"], unit=f"UBX-{COMMUNE}", areas=[COMMUNE])
    client = create_app(settings("cases")).test_client()
    case = open_with_records(client, officer)
    for name, value in {"MONGODB_URI": ferretdb.uri, "AMQP_URL": broker, "MONGODB_DB_PREFIX": db_prefix}.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["erase-person", case["person_code"], "--subject", "qtv-1",
                     "--reason", "Người dân yêu cầu xóa dữ liệu theo Luật 91/2025"]) == 0
    later = client.post(f"/api/v1/cases/{case['id']}/visits", headers=officer, json={
        "visited_on": "2026-08-06", "kind": "home_visit", "outcome": "met", "notes": "Ghi chú MỚI"})
    assert later.status_code == 409, "nothing new is sealed for an erased person, in a process that cached the key"
    client = create_app(settings("cases")).test_client()
    seen = client.get(f"/api/v1/cases/{case['id']}", headers=officer).get_json()
    assert seen["person"]["national_id"] is None and seen["person"]["phone"] is None
    assert seen["person"]["address"] is None and seen["visits"][0]["notes"] is None
    assert seen["person"]["full_name"] != PERSON["full_name"] and len(seen["visits"]) == 1
    again = client.post("/api/v1/cases", headers=officer, json={"person": PERSON, "commune_code": COMMUNE,
                                                                 "opened_on": "2026-09-01"})
    assert again.status_code == 201, "the erased ID number and name no longer claim anyone"
    assert DataKey._get_collection().count_documents({"wrapped": {"$exists": True}}) == 1, "only the new person's"
    raw = pymongo.MongoClient(ferretdb.uri)[f"{db_prefix}_cases"]
    assert raw["people"].find_one({"_id": case["person_code"]})["phone_enc"].startswith("p1."), \
        "the ciphertext may stay where it was copied; without the key it is noise"
    assert [e.outcome for e in AuditEntry.objects(action="erase_person")] == ["intended", "allowed"]


def test_lookups_have_a_key_of_their_own():
    master, other_master, lookup = b"m" * 32, b"n" * 32, b"l" * 32
    assert FieldCipher(master, lookup).lookup_hash("056191001234", "national_id") == \
        FieldCipher(other_master, lookup).lookup_hash("056191001234", "national_id")
    assert FieldCipher(master, lookup).lookup_hash("056191001234", "national_id") != \
        FieldCipher(master).lookup_hash("056191001234", "national_id")


def close(client, officer, case_id, on="2026-08-25"):
    closed = client.post(f"/api/v1/cases/{case_id}/transitions", headers=officer, json={
        "transition": "close", "effective_on": on, "decision": {
            "decision_number": "5/QĐ-UBND", "decision_date": on, "issuing_authority": "UBND phường",
            "reason": "hoàn thành quản lý", "reason_code": "completed"}})
    assert closed.status_code == 200, closed.get_json()


def test_people_whose_cases_are_all_closed_past_retention_are_erased_once_with_a_tombstone(settings, auth):
    officer = auth(subject="cb", roles=["caseworker"], unit=f"UBX-{COMMUNE}", areas=[COMMUNE])
    client = create_app(settings("cases")).test_client()
    closed = open_with_records(client, officer)
    close(client, officer, closed["id"])
    still_open = client.post("/api/v1/cases", headers=officer, json={
        "person": {**PERSON, "full_name": "Mạc Văn Dũng", "national_id": "056190004321", "birth_date": "1990-02-03"},
        "commune_code": COMMUNE, "opened_on": "2026-08-03"}).get_json()
    close(client, officer, client.post("/api/v1/cases", headers=officer, json={
        "person_code": still_open["person_code"], "commune_code": COMMUNE, "opened_on": "2026-08-04"}).get_json()["id"])

    def purge(today):
        return bootstrap(settings("cases"), today=lambda: today).handle(PurgeExpired())

    assert purge(date(2031, 8, 24)) == 0, "60 months after closing: still kept"
    assert purge(date(2031, 8, 26)) == 1, "the person with an open case is kept"
    assert purge(date(2031, 8, 26)) == 0, "once"
    [tombstone] = Erasure.objects
    assert (tombstone.person_code, tombstone.reason, tombstone.cases) == (closed["person_code"], "retention", 1)
    keys = client.application.extensions["service_layer"].dependencies["people"].sealer.keys
    keys.clock = lambda: time.monotonic() + keys.ttl_seconds + 1
    seen = client.get(f"/api/v1/cases/{closed['id']}", headers=officer).get_json()
    assert seen["stage"] == "closed" and seen["person"]["phone"] is None and seen["visits"][0]["notes"] is None
    kept = client.get(f"/api/v1/people/{still_open['person_code']}", headers=officer).get_json()
    assert kept["national_id"] == "056190004321"
    assert [e.subject for e in AuditEntry.objects(action="erase_person", outcome="allowed")] == ["cases-retention"]


def test_declared_drugs_and_written_reasons_are_sealed_in_the_log_and_erased_with_the_person(settings, auth):
    officer = auth(subject="ca", roles=["police_liaison", "caseworker"], unit=f"CAX-{COMMUNE}", areas=[COMMUNE])
    bus_app = create_app(settings("cases"))
    client = bus_app.test_client()
    case = client.post("/api/v1/cases", headers=officer, json={"person": PERSON, "commune_code": COMMUNE,
                                                              "opened_on": "2026-08-03", "stage": "tested"}).get_json()
    placed = client.post(f"/api/v1/cases/{case['id']}/transitions", headers=officer, json={
        "transition": "place_under_management", "effective_on": "2026-08-04", "decision": {
            "decision_number": "30/QĐ-UBND", "decision_date": "2026-08-04", "issuing_authority": "UBND phường",
            "drugs_declared": ["heroin", "methamphetamine"]}})
    assert placed.status_code == 200, placed.get_json()
    moved = client.post(f"/api/v1/cases/{case['id']}/transfers", headers=officer,
                        json={"to_commune": "22333", "reason": "Chuyển đến ở với chị gái tại phường khác"})
    assert moved.status_code == 201
    stored = {e.type: e.data for e in StoredEvent.objects(stream_id=f"case-{case['id']}")}
    assert str(stored["cases.case.management_started"]["drugs_declared"]).startswith("p1.")
    assert stored["cases.case.transfer_requested"]["reason"].startswith("p1.")
    assert "heroin" not in str(stored) and "chị gái" not in str(stored)
    history = client.get(f"/api/v1/cases/{case['id']}/history", headers=officer)
    assert history.status_code == 200 and [e["type"] for e in history.get_json()][-1] == "cases.case.transfer_requested"
    erase = bus_app.extensions["service_layer"].handle(
        ErasePerson(case["person_code"], "Người dân yêu cầu xóa dữ liệu"),
        Principal("qtv", ("admin",), None, ()))
    assert erase is True
    reread = create_app(settings("cases")).test_client()
    assert reread.get(f"/api/v1/cases/{case['id']}/history", headers=officer).status_code == 200
    repository = create_app(settings("cases")).extensions["service_layer"].dependencies["uow"].cases
    opened = [event for _, event in repository.history(case["id"])]
    assert opened[1].drugs_declared is None and opened[-1].reason is None, "unreadable once the person is erased"


LEGACY_REFERENCE = "PĐY-0099/2025"
LEGACY_REASON = "Cấp cứu quá liều lúc nửa đêm, cần phác đồ methadone"


def _legacy(app, token: str, context: str) -> str:
    """What the release before per-person keys stored: the same value under the service-wide key (`v1.`)."""
    people = app.extensions["service_layer"].dependencies["people"]
    return people.cipher.encrypt(people.sealer.decrypt(token, context), context)


def _make_legacy(app, case: dict) -> None:
    """The case's person fields, visit notes and drug test as that release stored them, with the findings, the
    consent's reference and the break-the-glass reason in the clear; the case's snapshot dropped (the next read
    makes it from that log) and the grant's kept as that release wrote it."""
    person_code, case_id = case["person_code"], case["id"]
    people = Person._get_collection()
    person = people.find_one({"_id": person_code})
    people.update_one({"_id": person_code}, {"$set": {
        field: _legacy(app, person[field], f"person:{person_code}:{field.removesuffix('_enc')}")
        for field in ("national_id_enc", "phone_enc", "address_enc") if person.get(field)}})
    events = StoredEvent._get_collection()
    for event in [*events.find({"stream_id": f"case-{case_id}"}), *_grant_events(case_id)]:
        data = unpacked(event["data"])
        if event["type"] == "cases.case.visit_recorded":
            data["notes_sealed"] = _legacy(app, data["notes_sealed"], f"case:{case_id}:visit:{data['visit_id']}")
        elif event["type"] == "cases.case.drug_test_recorded":
            data["substances_sealed"] = _legacy(app, data["substances_sealed"],
                                                f"case:{case_id}:test:{data['test_id']}")
            data["findings"] = ["opioid"]
        elif event["type"] == "cases.consent.recorded":
            data["reference"] = LEGACY_REFERENCE
            del data["reference_sealed"]
        elif event["type"] == "cases.access.escalated":
            data["reason"] = LEGACY_REASON
            del data["reason_sealed"]
        else:
            continue
        events.update_one({"_id": event["_id"]}, {"$set": {"data": data}})
    CaseSnapshot._get_collection().delete_one({"_id": case_id})
    DataKey._get_collection().delete_one({"_id": person_code})
    grants = GrantSnapshot._get_collection()
    for grant in grants.find({"case_id": case_id}):
        state = unpacked(grant["state"])
        escalated = state["escalated"]
        assert escalated.pop("reason_sealed")
        grants.replace_one({"_id": grant["_id"]}, {**grant, "state": {**state, "escalated": {
            **escalated, "reason": LEGACY_REASON}}})


def _grant_reason(app, case: dict) -> str | None:
    """The written reason of the case's break-the-glass opening, opened as the code that sealed it would."""
    [event] = _grant_events(case["id"])
    owner = SimpleNamespace(id=case["id"], person_code=case["person_code"])
    data = unpacked(event["data"])
    return app.extensions["service_layer"].dependencies["seal"].open(owner, "grant", data["grant_id"],
                                                                     data["reason_sealed"])


def _grant_events(case_id: str) -> list[dict]:
    return [event for event in StoredEvent._get_collection().find({"type": "cases.access.escalated"})
            if unpacked(event["data"])["case_id"] == case_id]


def _stored_text(case: dict) -> str:
    """What the database holds about the case, with events' data and snapshots' state unpacked (packed, their text
    would show only as escaped bytes)."""
    return str([_opened(document) for document in (
        *StoredEvent._get_collection().find({"stream_id": f"case-{case['id']}"}), *_grant_events(case["id"]),
        *GrantSnapshot._get_collection().find({"case_id": case["id"]}),
        CaseSnapshot._get_collection().find_one({"_id": case["id"]}),
        Person._get_collection().find_one({"_id": case["person_code"]}))])


def _opened(document: dict | None) -> dict | None:
    if document is None:
        return None
    return {**document, **{name: unpacked(document[name]) for name in ("data", "state") if name in document}}


def test_reseal_legacy_puts_what_an_older_release_sealed_with_the_service_key_under_the_persons_key(
        settings, auth, monkeypatch, ferretdb, broker, db_prefix, capsys):
    officer = auth(subject="cb", roles=["police_liaison", "caseworker"], unit=f"CAX-{COMMUNE}", areas=[COMMUNE])
    doctor = auth(subject="bs", roles=["health_worker"], unit="PKMT-22366", areas=[COMMUNE])
    app = create_app(settings("cases"))
    app.extensions["service_layer"].handle(RecordUnit("PKMT-22366", "health_facility", 1))
    client = app.test_client()
    case = open_with_records(client, officer)
    assert client.post(f"/api/v1/cases/{case['id']}/drug-tests", headers=officer, json={
        "tested_on": "2026-08-06", "result": "positive", "substances": ["heroin"]}).status_code == 201
    assert client.post(f"/api/v1/cases/{case['id']}/consents", headers=officer, json={
        "to_unit": "PKMT-22366", "sections": ["clinical"], "purpose": "treatment", "reference": "PĐY-1/2026",
        "valid_from": "2026-08-06"}).status_code == 201
    emergency = auth(subject="bs-cc", roles=["health_worker"], unit="BVDK-TINH", areas=[COMMUNE])
    assert client.post(f"/api/v1/cases/{case['id']}/break-glass", headers=emergency, json={
        "section": "clinical", "reason_code": "overdose", "reason": "Cấp cứu quá liều, cần phác đồ đang dùng"}
    ).status_code in (200, 201)
    erased_before = client.post("/api/v1/cases", headers=officer, json={
        "person": {**PERSON, "full_name": "Phan Văn Tùng", "national_id": "056191004321", "phone": "0905333444"},
        "commune_code": COMMUNE, "opened_on": "2026-08-03"}).get_json()
    assert client.post(f"/api/v1/cases/{erased_before['id']}/visits", headers=officer, json={
        "visited_on": "2026-08-05", "kind": "home_visit", "outcome": "met", "notes": "Anh TÙNG đi làm xa"}
    ).status_code == 201
    for legacy_case in (case, erased_before):
        _make_legacy(app, legacy_case)
    before = create_app(settings("cases")).test_client()
    legacy_views = [before.get(f"/api/v1/cases/{case['id']}", headers=h).get_json() for h in (officer, doctor)]
    assert "v1." in _stored_text(case) and "findings" in _stored_text(case)
    assert LEGACY_REFERENCE in _stored_text(case) and LEGACY_REASON in _stored_text(case)
    bus = bootstrap(settings("cases"))
    bus.handle(ErasePerson(erased_before["person_code"], "Người dân yêu cầu xóa"),
               Principal(subject="qtv-1", roles=("admin",), unit=None, areas=()))
    assert "v1." in _stored_text(erased_before), "what the service key sealed outlives the person's key"
    cut_short = CaseSnapshot._get_collection().find_one({"_id": case["id"]})
    assert "v1." in str(cut_short)

    for name, value in {"MONGODB_URI": ferretdb.uri, "AMQP_URL": broker, "MONGODB_DB_PREFIX": db_prefix}.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["reseal-legacy", "--subject", "qtv-1"]) == 0
    assert json.loads(capsys.readouterr().out) == {"people": 2, "events": 5}

    for resealed in (case, erased_before):
        text = _stored_text(resealed)
        assert "v1." not in text and "findings" not in text
        assert LEGACY_REFERENCE not in text and LEGACY_REASON not in text
    assert Person._get_collection().find_one({"_id": erased_before["person_code"]})["phone_enc"] is None
    [erased_visit] = StoredEvent.objects(stream_id=f"case-{erased_before['id']}", type="cases.case.visit_recorded")
    assert erased_visit.data["notes_sealed"] is None
    after = create_app(settings("cases")).test_client()
    officer_view, doctor_view = [after.get(f"/api/v1/cases/{case['id']}", headers=h).get_json() for h in (officer, doctor)]
    assert [officer_view, doctor_view] == legacy_views and doctor_view["drug_tests"][0]["substances"] == ["heroin"]
    assert LEGACY_REFERENCE in str(officer_view["consents"]) and officer_view["person"]["phone"] == "+84905111222"
    assert _grant_reason(create_app(settings("cases")), case) == LEGACY_REASON, "under the key the pass made"
    CaseSnapshot._get_collection().replace_one({"_id": case["id"]}, cut_short)
    assert cli.main(["reseal-legacy", "--subject", "qtv-1"]) == 0
    assert json.loads(capsys.readouterr().out) == {"people": 0, "events": 0}, "a second run changes nothing"
    assert "v1." not in _stored_text(case), "a run cut short before the snapshot is mended by the next"
    assert AuditEntry.objects(action="reseal_legacy", outcome="allowed").count() == 2

    assert cli.main(["erase-person", case["person_code"], "--subject", "qtv-1", "--reason", "Luật 91/2025"]) == 0
    fresh = create_app(settings("cases")).test_client()
    erased = fresh.get(f"/api/v1/cases/{case['id']}", headers=officer).get_json()
    assert erased["person"]["phone"] is None and erased["visits"][0]["notes"] is None
    assert not fresh.get(f"/api/v1/cases/{case['id']}", headers=doctor).get_json()["drug_tests"][0].get("substances")
    assert _grant_reason(create_app(settings("cases")), case) is None
