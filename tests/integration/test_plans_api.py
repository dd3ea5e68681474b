"""The plans API in-process against the real FerretDB: units, plans and their tasks."""
import pytest

from services.plans.entrypoints.app import create_app


@pytest.fixture
def client(settings):
    return create_app(settings("plans")).test_client()


@pytest.fixture
def coordinator(auth):
    return auth(subject="coordinator", roles=["plan_coordinator"], unit="UBND-T56", areas=["56"])


def test_a_plans_tasks_are_listed_with_their_due_dates(client, coordinator):
    for code, kind in (("CA-T56", "provincial_police"), ("SGD-T56", "department")):
        registered = client.post("/api/v1/units", headers=coordinator, json={
            "unit_code": code, "name": code, "kind": kind, "area_code": "56"})
        assert registered.status_code == 201, registered.get_json()
    plan = client.post("/api/v1/plans", headers=coordinator, json={
        "title": "Tháng hành động phòng, chống ma túy 2026", "kind": "action_month", "area_code": "56",
        "starts_on": "2026-06-01", "ends_on": "2026-06-30"}).get_json()
    task = client.post(f"/api/v1/plans/{plan['id']}/tasks", headers=coordinator, json={
        "title": "Tuyên truyền trong trường học", "lead_unit": "SGD-T56", "supporting_units": ["CA-T56"],
        "due_on": "2026-06-25"})
    assert task.status_code == 201, task.get_json()
    listed = client.get(f"/api/v1/plans/{plan['id']}/tasks", headers=coordinator)
    assert listed.status_code == 200, listed.get_data(as_text=True)
    assert [(t["title"], t["due_on"], t["supporting_units"]) for t in listed.get_json()] == [
        ("Tuyên truyền trong trường học", "2026-06-25", ["CA-T56"])]
    plans = client.get("/api/v1/plans", headers=coordinator).get_json()
    assert [(p["title"], p["starts_on"], p["ends_on"]) for p in plans] == [
        ("Tháng hành động phòng, chống ma túy 2026", "2026-06-01", "2026-06-30")]


def test_a_unit_registered_twice_answers_409(client, coordinator):
    body = {"unit_code": "CAX-22366", "name": "Công an phường", "kind": "commune_police", "area_code": "22366"}
    assert client.post("/api/v1/units", headers=coordinator, json=body).status_code == 201
    again = client.post("/api/v1/units", headers=coordinator, json=body)
    assert again.status_code == 409 and again.mimetype == "application/problem+json"


def test_a_unit_may_cover_only_areas_of_its_registrant_and_nothing_is_stored_otherwise(client, coordinator, auth):
    commune_coordinator = auth(subject="pc-22366", roles=["plan_coordinator"], unit="UBX-22366", areas=["22366"])
    body = {"unit_code": "YT-22366", "name": "Trạm y tế", "kind": "health_facility", "area_code": "22366",
            "covers": ["22366", "22333"]}
    refused = client.post("/api/v1/units", headers=commune_coordinator, json=body)
    assert refused.status_code == 403 and refused.get_json()["errors"] == {"covers.1": ["is outside your areas"]}
    assert client.get("/api/v1/units", headers=coordinator).get_json() == []
    assert client.post("/api/v1/units", headers=coordinator, json=body).status_code == 201
