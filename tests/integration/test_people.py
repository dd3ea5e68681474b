"""The people register through the cases API: encryption at rest, duplicates, search, field visibility."""
import base64

import pytest

from services.cases.adapters.documents import Person
from services.cases.entrypoints.app import create_app

COMMUNE = "22366"
NGUYEN = {"full_name": "Nguyễn Văn Á", "birth_date": "1990-05-01", "sex": "male", "national_id": "079090001234",
          "phone": "0912 345 678", "address": "12 Trần Phú, Nha Trang", "residence_code": COMMUNE}


@pytest.fixture
def client(settings):
    return create_app(settings("cases")).test_client()


@pytest.fixture
def caseworker(auth):
    return auth(subject="cw", roles=["caseworker"], unit=f"UBX-{COMMUNE}", areas=[COMMUNE])


def register(client, headers, **changes):
    return client.post("/api/v1/people", json={**NGUYEN, **changes}, headers=headers)


def test_identity_fields_are_encrypted_at_rest_and_shown_to_the_roles_that_need_them(client, caseworker, auth):
    created = register(client, caseworker)
    assert created.status_code == 201, created.get_json()
    person = created.get_json()
    assert person["national_id"] == "079090001234" and person["phone"] == "+84912345678"
    stored = Person.objects.get(person_code=person["person_code"])
    assert "079090001234" not in str(stored.to_mongo()) and "912345678" not in str(stored.to_mongo())
    doctor = auth(subject="bs", roles=["health_worker"], unit="PKMT", areas=[COMMUNE])
    seen = client.get(f"/api/v1/people/{person['person_code']}", headers=doctor).get_json()
    assert seen["full_name"] == "Nguyễn Văn Á" and seen.get("national_id") is None and seen.get("phone") is None
    planner = auth(subject="p", roles=["plan_coordinator"], areas=["56"])
    assert client.get(f"/api/v1/people/{person['person_code']}", headers=planner).status_code == 404


def test_the_database_files_never_hold_an_id_number_or_phone_in_clear(client, caseworker, ferretdb):
    assert register(client, caseworker, full_name="Trần Thị Mai Hoa", birth_date="1991-03-03", sex="female",
                    national_id="056191007777", phone="0987654321").status_code == 201
    raw = b"".join(path.read_bytes() for path in ferretdb.files())
    assert held(raw, "Trần Thị Mai Hoa"), "the test must see the files the data is in"
    assert not held(raw, "056191007777") and not held(raw, "987654321")


def held(raw: bytes, text: str) -> bool:
    """Whether the files hold `text` as it is, or inside a packed event or snapshot (shared/packed.py), which
    FerretDB stores base64-encoded: `text` from each of its first three bytes, whole groups of three, encoded, is
    found where the text starts at any offset."""
    encoded = text.encode()
    pieces = [encoded[start:start + (len(encoded) - start) // 3 * 3] for start in range(3)]
    return encoded in raw or any(base64.b64encode(piece) in raw for piece in pieces)


def test_a_second_registration_of_the_same_id_number_or_name_and_birth_is_flagged(client, caseworker):
    first = register(client, caseworker).get_json()
    again = register(client, caseworker, full_name="Nguyen Van A khác")
    assert again.status_code == 409 and again.get_json()["duplicate_of"] == [first["person_code"]]
    same_name = register(client, caseworker, national_id="079090009999")
    assert same_name.status_code == 409 and same_name.get_json()["duplicate_of"] == [first["person_code"]]
    confirmed = register(client, caseworker, national_id="079090009999",
                         not_duplicate_of=[first["person_code"]])
    assert confirmed.status_code == 201


@pytest.mark.parametrize("changes,field", [
    ({"national_id": "079091001234"}, "national_id"), ({"national_id": "12345"}, "national_id"),
    ({"phone": "12"}, "phone"), ({"phone": "0000000000"}, "phone"),
    ({"birth_date": "2011-01-01", "national_id": None}, "guardian"),
    ({"birth_date": "2030-01-01", "national_id": None}, "birth_date"),
    ({"residence_code": "99999"}, None),
])
def test_bad_identity_input_is_refused_naming_the_field(client, caseworker, changes, field):
    body = {k: v for k, v in {**NGUYEN, **changes}.items() if v is not None}
    response = client.post("/api/v1/people", json=body, headers=caseworker)
    assert response.status_code in (403, 422), response.get_json()
    if field:
        assert field in response.get_json()["errors"]
    assert Person.objects.count() == 0


def test_search_works_the_way_people_type(client, caseworker, auth):
    person = register(client, caseworker).get_json()
    register(client, caseworker, full_name="Lê Thị Bé", birth_date="1993-02-02", sex="female",
             national_id="056193001111")
    found = client.get("/api/v1/people?q=nguyen van a", headers=caseworker).get_json()
    assert [p["person_code"] for p in found] == [person["person_code"]]
    by_id = client.get("/api/v1/people?national_id=079090001234", headers=caseworker).get_json()
    assert [p["person_code"] for p in by_id] == [person["person_code"]]
    elsewhere = auth(subject="x", roles=["caseworker"], areas=["22333"])
    assert client.get("/api/v1/people?q=nguyen", headers=elsewhere).get_json() == []
    case = client.post("/api/v1/cases", headers=caseworker, json={
        "person_code": person["person_code"], "commune_code": COMMUNE, "opened_on": "2026-08-01"}).get_json()
    listed = client.get("/api/v1/cases?q=NGUYEN van", headers=caseworker).get_json()
    assert [c["id"] for c in listed] == [case["id"]]
    assert client.get("/api/v1/cases?national_id=056193001111", headers=caseworker).get_json() == []


def test_merging_two_records_keeps_both_histories(client, caseworker):
    first = register(client, caseworker).get_json()
    second = register(client, caseworker, full_name="Nguyen Van A", national_id="079090005555",
                      not_duplicate_of=[first["person_code"]]).get_json()
    cases = [client.post("/api/v1/cases", headers=caseworker, json={
        "person_code": code, "commune_code": COMMUNE, "opened_on": "2026-08-01"}).get_json()["id"]
        for code in (first["person_code"], second["person_code"])]
    merged = client.post(f"/api/v1/people/{second['person_code']}/merge", headers=caseworker,
                         json={"into": first["person_code"]})
    assert merged.status_code == 200 and merged.get_json()["merged_into"] == first["person_code"]
    assert client.post(f"/api/v1/people/{second['person_code']}/merge", headers=caseworker,
                       json={"into": first["person_code"]}).status_code == 409
    assert all(client.get(f"/api/v1/cases/{c}/history", headers=caseworker).get_json() for c in cases)
    assert client.post(f"/api/v1/people/{first['person_code']}/merge", headers=caseworker,
                       json={"into": first["person_code"]}).status_code == 422
