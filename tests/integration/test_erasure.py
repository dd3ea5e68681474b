"""Encryption that can be erased: each person's fields and the sealed records of their cases under the person's
own data key, wrapped by a master key with an id; rotating the master key rewraps without re-encrypting; erasing
the person destroys the key, so what it sealed never opens again. Against the real FerretDB."""

import pymongo

from shared.crypto import FieldCipher
from shared.keys import DataKey, KeyRing
from shared.audit import AuditEntry
from services.cases.adapters.documents import Person
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
    client = create_app(settings("cases")).test_client()
    seen = client.get(f"/api/v1/cases/{case['id']}", headers=officer).get_json()
    assert seen["person"]["national_id"] is None and seen["person"]["phone"] is None
    assert seen["person"]["address"] is None and seen["visits"][0]["notes"] is None
    assert DataKey._get_collection().count_documents({}) == 0
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
