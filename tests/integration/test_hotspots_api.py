"""The hotspot registry through the plans API in-process against the real FerretDB: recording, the lifecycle with
If-Match, history, task links, who may see what, bad input, GeoJSON; and, through the real broker and plans worker,
an elimination counted once toward the plan's "hotspots eliminated"."""
import json
from datetime import timedelta

import pytest

from shared.eventstore import PendingEvent
from shared.clock import province_today
from services.plans.entrypoints.app import create_app
from tests.support import System, wait_for

IN_TWO_DAYS = (province_today() + timedelta(days=2)).isoformat()
"""A day in the future when the parameters are made and still when the test runs, past a midnight between."""

COMMUNE, OTHER_COMMUNE = "22366", "22333"
HOTSPOT = {"place_name": "Bãi đất trống sau chợ Xóm Mới", "address": "Tổ 5, phường Nha Trang",
           "commune_code": COMMUNE, "kind": "cluster", "activity": "use_and_dealing", "level": "high",
           "coordinates": {"latitude": 12.2388, "longitude": 109.1967}, "found_on": "2026-06-02"}


@pytest.fixture
def client(settings):
    return create_app(settings("plans")).test_client()


@pytest.fixture
def coordinator(auth):
    return auth(subject="coordinator", roles=["plan_coordinator"], unit="UBND-T56", areas=["56"])


@pytest.fixture
def police(auth):
    return auth(subject="police-22366", roles=["police_liaison"], unit=f"CAX-{COMMUNE}", areas=[COMMUNE])


def record(client, headers, **overrides):
    """A hotspot of HOTSPOT's, with `overrides`; a None leaves the field out."""
    body = {name: value for name, value in {**HOTSPOT, **overrides}.items() if value is not None}
    response = client.post("/api/v1/hotspots", headers=headers, json=body)
    assert response.status_code == 201, response.get_json()
    return response


def step(client, headers, hotspot_id, to, effective_on, version=None, **extra):
    if_match = {"If-Match": f'"{version}"'} if version is not None else {}
    return client.post(f"/api/v1/hotspots/{hotspot_id}/transitions", headers={**headers, **if_match},
                       json={"to": to, "effective_on": effective_on, "note": f"Ghi chú: {to}", **extra})


def plan_with_task(client, coordinator, area="56", indicators=()):
    """A plan of `area` for 2026 with one task, issued."""
    headers = coordinator
    unit = f"CA-{area}"
    client.post("/api/v1/units", headers=headers, json={"unit_code": unit, "name": unit, "kind": "provincial_police",
                                                        "area_code": area})
    plan = client.post("/api/v1/plans", headers=headers, json={
        "title": "Kế hoạch phòng, chống ma túy năm 2026", "kind": "yearly", "area_code": area,
        "starts_on": "2026-01-01", "ends_on": "2026-12-31",
        "indicators": [{"code": code, "target": 10} for code in indicators]})
    assert plan.status_code == 201, plan.get_json()
    task = client.post(f"/api/v1/plans/{plan.get_json()['id']}/tasks", headers=headers, json={
        "title": "Triệt xóa điểm, tụ điểm phức tạp về ma túy", "lead_unit": unit, "due_on": "2026-12-15"})
    assert task.status_code == 201, task.get_json()
    issued = client.post(f"/api/v1/plans/{plan.get_json()['id']}/issue", headers=headers, json={
        "issuing_authority": "Ủy ban nhân dân tỉnh Khánh Hòa", "document_number": "2057/KH-UBND",
        "document_date": "2025-12-20", "signer": "Phó Chủ tịch"})
    assert issued.status_code == 200, issued.get_json()
    return plan.get_json()["id"], task.get_json()["id"]


def test_a_hotspot_goes_through_its_lifecycle_with_if_match_and_shows_its_history(client, police):
    created = record(client, police)
    hotspot = created.get_json()
    assert created.headers["ETag"] == '"1"' and created.headers["Location"].endswith(f"/hotspots/{hotspot['id']}")
    assert hotspot["status"] == "identified" and hotspot["allowed"] == ["under_surveillance", "crackdown"]
    assert hotspot["commune_name"] and hotspot["coordinates"] == HOTSPOT["coordinates"]

    assert step(client, police, hotspot["id"], "crackdown", "2026-06-05", version=2).status_code == 412
    raided = step(client, police, hotspot["id"], "crackdown", "2026-06-05", version=1)
    assert raided.status_code == 200 and raided.headers["ETag"] == '"2"', raided.get_json()
    refused = step(client, police, hotspot["id"], "re_emerged", "2026-06-06")
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["allowed"] == ["eliminated", "under_surveillance"]
    assert step(client, police, hotspot["id"], "eliminated", "2026-06-10", version=2).status_code == 200

    read = client.get(f"/api/v1/hotspots/{hotspot['id']}", headers=police)
    assert read.status_code == 200 and read.headers["ETag"] == '"3"'
    history = read.get_json()["history"]
    assert [h["type"] for h in history] == ["plans.hotspot.identified", "plans.hotspot.cracked_down",
                                            "plans.hotspot.eliminated"]
    assert history[2]["actor"]["id"] == "police-22366" and history[2]["data"]["effective_on"] == "2026-06-10"
    assert history[2]["data"]["note"] == "Ghi chú: eliminated" and history[2]["data"]["from_status"] == "crackdown"
    assert read.get_json()["status"] == "eliminated" and read.get_json()["times_eliminated"] == 1


@pytest.mark.parametrize("overrides, field", [
    ({"kind": "den"}, "kind"), ({"level": "extreme"}, "level"), ({"activity": "smuggling"}, "activity"),
    ({"coordinates": {"latitude": 48.8566, "longitude": 2.3522}}, "coordinates.latitude"),
    ({"coordinates": {"latitude": 12.24, "longitude": 2.3522}}, "coordinates.longitude"),
    ({"coordinates": {"latitude": 12.24}}, "coordinates.longitude"),
    ({"commune_code": "00004"}, "commune_code"), ({"commune_code": "56"}, "commune_code"),
    ({"found_on": IN_TWO_DAYS}, "found_on"),
    ({"task_ids": ["no-such-task"]}, "task_ids.0"), ({"place_name": "   "}, "place_name")])
def test_a_hotspot_that_breaks_a_rule_is_refused_naming_the_field_and_nothing_is_stored(client, police, overrides,
                                                                                       field):
    refused = client.post("/api/v1/hotspots", headers=police, json={**HOTSPOT, **overrides})
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json", refused.get_json()
    assert field in refused.get_json()["errors"], refused.get_json()
    assert client.get("/api/v1/hotspots", headers=police).get_json() == []


def test_a_step_dated_before_the_hotspot_was_found_or_in_the_future_is_refused(client, police):
    hotspot = record(client, police).get_json()
    tomorrow = (province_today() + timedelta(days=1)).isoformat()
    for effective_on in ("2026-06-01", tomorrow):
        refused = step(client, police, hotspot["id"], "crackdown", effective_on)
        assert refused.status_code == 422 and list(refused.get_json()["errors"]) == ["effective_on"]
    unknown = step(client, police, hotspot["id"], "cleared", "2026-06-05")
    assert unknown.status_code == 422 and "to" in unknown.get_json()["errors"]
    read = client.get(f"/api/v1/hotspots/{hotspot['id']}", headers=police)
    assert read.headers["ETag"] == '"1"' and len(read.get_json()["history"]) == 1


def test_only_the_police_the_standing_office_auditors_and_admins_of_the_area_see_hotspots(client, police, auth):
    hotspot = record(client, police).get_json()
    path = f"/api/v1/hotspots/{hotspot['id']}"
    for roles, areas in ((["caseworker"], [COMMUNE]), (["unit_reporter"], ["56"]), (["health_worker"], ["56"])):
        caller = auth(subject="other", roles=roles, unit="U", areas=areas)
        assert client.get(path, headers=caller).status_code == 404, roles
        listed = client.get("/api/v1/hotspots", headers=caller)
        assert listed.status_code == 403 and listed.mimetype == "application/problem+json", roles
        assert client.get("/api/v1/hotspots.geojson", headers=caller).status_code == 403, roles
        assert step(client, caller, hotspot["id"], "crackdown", "2026-06-05").status_code == 404, roles
    for roles, areas in ((["plan_coordinator"], ["01"]), (["police_liaison"], [OTHER_COMMUNE])):
        elsewhere = auth(subject="elsewhere", roles=roles, unit="X", areas=areas)
        assert client.get(path, headers=elsewhere).status_code == 404, roles
        assert client.get("/api/v1/hotspots", headers=elsewhere).get_json() == [], roles
        assert client.post("/api/v1/hotspots", headers=elsewhere, json=HOTSPOT).status_code == 403, roles
    auditor = auth(subject="auditor", roles=["auditor"], unit="TTR", areas=["56"])
    assert client.get(path, headers=auditor).status_code == 200
    assert [h["id"] for h in client.get("/api/v1/hotspots", headers=auditor).get_json()] == [hotspot["id"]]
    assert step(client, auditor, hotspot["id"], "crackdown", "2026-06-05").status_code == 403
    assert client.post("/api/v1/hotspots", headers=auditor, json=HOTSPOT).status_code == 403
    assert client.get(path, headers=police).headers["ETag"] == '"1"'


def test_hotspots_link_to_tasks_of_visible_plans_and_filter_by_them(client, police, coordinator):
    plan_id, task_id = plan_with_task(client, coordinator)
    _, foreign_task = plan_with_task(client, coordinator, area=OTHER_COMMUNE)
    linked = record(client, police, task_ids=[task_id]).get_json()
    other = record(client, police, kind="point", commune_code=COMMUNE, coordinates=None).get_json()
    assert linked["task_ids"] == [task_id]

    path = f"/api/v1/hotspots/{other['id']}/tasks"
    refused = client.put(path, headers=police, json={"task_ids": [task_id, foreign_task]})
    assert refused.status_code == 422 and list(refused.get_json()["errors"]) == ["task_ids.1"]
    assert client.put(path, headers=police, json={"task_ids": [task_id, task_id]}).status_code == 422
    assert client.put(path, headers={**police, "If-Match": '"2"'}, json={"task_ids": [task_id]}).status_code == 412
    done = client.put(path, headers={**police, "If-Match": '"1"'}, json={"task_ids": [task_id]})
    assert done.status_code == 200 and done.headers["ETag"] == '"2"' and done.get_json()["task_ids"] == [task_id]
    again = client.put(path, headers=police, json={"task_ids": [task_id]})
    assert again.status_code == 200 and again.headers["ETag"] == '"2"'

    def listed(**params):
        response = client.get("/api/v1/hotspots", headers=coordinator, query_string=params)
        assert response.status_code == 200, response.get_json()
        return sorted(h["id"] for h in response.get_json())
    both = sorted([linked["id"], other["id"]])
    assert listed(task_id=task_id) == both and listed(task_id=foreign_task) == []
    assert listed(kind="point") == [other["id"]] and listed(status="identified") == both
    assert listed(commune_code=COMMUNE) == both and listed(commune_code=OTHER_COMMUNE) == []
    assert listed(status="eliminated") == []
    page = client.get("/api/v1/hotspots", headers=coordinator, query_string={"page_size": 1})
    assert len(page.get_json()) == 1 and json.loads(page.headers["X-Pagination"])["total"] == 2
    assert client.get("/api/v1/hotspots", headers=coordinator, query_string={"kind": "den"}).status_code == 422


def test_the_registry_as_geojson(client, police, coordinator):
    placed = record(client, police).get_json()
    unplaced = record(client, police, place_name="Nhà trọ không số", kind="point", activity="use", level="low",
                      coordinates=None, found_on="2026-07-01").get_json()
    response = client.get("/api/v1/hotspots.geojson", headers=coordinator)
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    collection = json.loads(response.get_data(as_text=True))
    assert collection["type"] == "FeatureCollection"
    features = {f["id"]: f for f in collection["features"]}
    assert set(features) == {placed["id"], unplaced["id"]}
    point = features[placed["id"]]
    assert point["type"] == "Feature" and point["geometry"] == {"type": "Point", "coordinates": [109.1967, 12.2388]}
    assert point["properties"] == {
        "id": placed["id"], "place_name": HOTSPOT["place_name"], "commune_code": COMMUNE,
        "commune_name": placed["commune_name"], "kind": "cluster", "activity": "use_and_dealing", "level": "high",
        "status": "identified", "found_on": "2026-06-02", "task_ids": []}
    assert features[unplaced["id"]]["geometry"] is None
    assert "Tổ 5" not in response.get_data(as_text=True)
    filtered = client.get("/api/v1/hotspots.geojson", headers=coordinator, query_string={"kind": "point"})
    assert [f["id"] for f in filtered.get_json(force=True)["features"]] == [unplaced["id"]]


def hotspots_eliminated(client, coordinator, plan_id) -> int:
    plan = client.get(f"/api/v1/plans/{plan_id}", headers=coordinator).get_json()
    return next(i["actual"] for i in plan["indicators"] if i["code"] == "hotspots_eliminated")


@pytest.fixture
def plans_worker(ferretdb, broker, db_prefix):
    system = System(ferretdb.uri, broker, db_prefix)
    system.start_worker("plans")
    yield system
    system.stop()


def test_an_elimination_counts_once_toward_the_plans_hotspots_eliminated(client, police, coordinator, plans_worker):
    plan_id, _ = plan_with_task(client, coordinator, indicators=("hotspots_eliminated",))
    first = record(client, police).get_json()["id"]
    for to, day in (("crackdown", "2026-06-05"), ("eliminated", "2026-06-10")):
        assert step(client, police, first, to, day).status_code == 200
    wait_for(lambda: hotspots_eliminated(client, coordinator, plan_id) == 1, 30, message="the first elimination")
    for to, day in (("re_emerged", "2026-07-01"), ("crackdown", "2026-07-03"), ("eliminated", "2026-07-05")):
        assert step(client, police, first, to, day).status_code == 200
    wait_for(lambda: PendingEvent.objects.count() == 0, 30, message="the relay to publish the second elimination")
    second = record(client, police, place_name="Quán cà phê Gió", kind="point").get_json()["id"]
    for to, day in (("under_surveillance", "2026-06-03"), ("eliminated", "2026-08-01")):
        assert step(client, police, second, to, day).status_code == 200
    wait_for(lambda: hotspots_eliminated(client, coordinator, plan_id) == 2, 30, message="the second hotspot")
    assert hotspots_eliminated(client, coordinator, plan_id) == 2
