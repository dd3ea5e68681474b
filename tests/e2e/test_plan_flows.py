"""A plan's deadlines and announcements through the real processes: issuing a plan makes the plans worker announce
its tasks, and notifications alerts the lead, supporting and assigned units; the plans worker's daily timer starts
the plan and notices a task due soon and reports missing or due soon, once each, and the units are alerted."""
from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from shared.clock import province_today

from tests.e2e.conftest import COMMUNE, PROVINCE, inbox_for, open_case
from tests.support import SLOT, System, wait_for

TODAY = province_today()


@pytest.fixture(scope="module")
def system(ferretdb, broker):
    """Its own system (its own ports and databases), with the timers running every second."""
    running = System(ferretdb.uri, broker, db_prefix=f"e2eplans{uuid.uuid4().hex[:6]}",
                     base_port=18150 + 100 * SLOT, extra_env={"TIMER_INTERVAL_SECONDS": "1"}).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def provincial_police(as_user):
    return as_user(subject="pc04", roles=["police_liaison"], unit="CA-T56-PC04", areas=[PROVINCE])


def categories(api, subject_id):
    return sorted(alert["category"] for alert in inbox_for(api, subject_id))


def test_an_issued_plan_announces_its_tasks_and_its_deadlines_reach_the_units(coordinator, committee,
                                                                              provincial_police, police, directory):
    month_start = TODAY.replace(day=1)
    plan = coordinator("POST", "plans", "/plans", json={
        "title": "Kế hoạch cao điểm tấn công, trấn áp tội phạm ma túy", "kind": "thematic", "area_code": PROVINCE,
        "starts_on": (month_start - timedelta(days=40)).replace(day=1).isoformat(),
        "ends_on": (TODAY + timedelta(days=40)).isoformat(),
        "indicators": [{"code": "outreach_sessions", "target": 20}]})
    assert plan.status_code == 201, plan.text
    plan_id = plan.json()["id"]
    task = coordinator("POST", "plans", f"/plans/{plan_id}/tasks", json={
        "title": "Tuyên truyền tại khu dân cư", "lead_unit": "CA-T56-PC04", "supporting_units": [f"CAX-{COMMUNE}"],
        "due_on": (TODAY + timedelta(days=3)).isoformat(), "indicators": [{"code": "outreach_sessions", "target": 20}],
        "tags": ["national_security_movement"], "place_types": ["residential_area"]})
    assert task.status_code == 201, task.text
    task_id, etag = task.json()["id"], task.headers["ETag"]
    assigned = coordinator("PUT", "plans", f"/tasks/{task_id}/assignments/UBX-{COMMUNE}", headers={"If-Match": etag},
                           json={"shares": {"outreach_sessions": 12}})
    assert assigned.status_code == 200, assigned.text
    assert categories(committee, task_id) == []
    issued = coordinator("POST", "plans", f"/plans/{plan_id}/issue", json={
        "issuing_authority": "Ban Chỉ đạo phòng, chống ma túy tỉnh", "document_number": "88/KH-BCĐ",
        "document_date": TODAY.isoformat(), "signer": "Trưởng ban"})
    assert issued.status_code == 200, issued.text

    wait_for(lambda: "task_assigned" in categories(committee, task_id), 30, 0.3, "the assigned unit to be told")
    wait_for(lambda: "task_assigned" in categories(police, task_id), 30, 0.3, "the supporting unit to be told")
    wait_for(lambda: coordinator("GET", "plans", f"/plans/{plan_id}").json()["status"] == "in_progress", 30, 0.3,
             "the timer to start the plan")
    wait_for(lambda: categories(provincial_police, task_id) == ["task_assigned", "task_due_soon"], 30, 0.3,
             "the lead unit to be told the task is due soon")
    wait_for(lambda: "report_overdue" in categories(committee, task_id), 30, 0.3,
             "the assigned unit to be told of its missing report")
    time.sleep(3)
    alerts = [(a["category"], a["title_vi"]) for a in inbox_for(committee, task_id)]
    assert len(alerts) == len(set(alerts)), f"each deadline is noticed once: {alerts}"


def rollup_figure(api, plan_id: str, by: str, code: str | None, indicator: str) -> float | None:
    response = api("GET", "plans", f"/plans/{plan_id}/rollup", params={"by": by})
    assert response.status_code == 200, response.text
    body = response.json()
    row = body["total"] if code is None else next((r for r in body["rows"] if r["code"] == code), None)
    if row is None:
        return None
    return next((i["computed"] for i in row["indicators"] if i["code"] == indicator), None)


def test_a_case_opened_moves_the_communes_computed_indicator_and_the_province_roll_up(coordinator, police,
                                                                                      directory):
    plan = coordinator("POST", "plans", "/plans", json={
        "title": "Kế hoạch quản lý người sử dụng ma túy năm 2026", "kind": "yearly", "area_code": PROVINCE,
        "starts_on": "2026-01-01", "ends_on": "2026-12-31",
        "indicators": [{"code": "people_newly_managed", "target": 50}]})
    assert plan.status_code == 201, plan.text
    plan_id = plan.json()["id"]
    task = coordinator("POST", "plans", f"/plans/{plan_id}/tasks", json={
        "title": "Lập hồ sơ quản lý người sử dụng trái phép chất ma túy", "lead_unit": f"CAX-{COMMUNE}",
        "due_on": "2026-12-31", "indicators": [{"code": "people_newly_managed", "target": 50}]})
    assert task.status_code == 201, task.text
    assigned = coordinator("PUT", "plans", f"/tasks/{task.json()['id']}/assignments/UBX-{COMMUNE}",
                           headers={"If-Match": task.headers["ETag"]}, json={"shares": {"people_newly_managed": 20}})
    assert assigned.status_code == 200, assigned.text
    issued = coordinator("POST", "plans", f"/plans/{plan_id}/issue", json={
        "issuing_authority": "Ủy ban nhân dân tỉnh", "document_number": "15/KH-UBND",
        "document_date": "2026-01-05", "signer": "Chủ tịch"})
    assert issued.status_code == 200, issued.text
    wait_for(lambda: rollup_figure(coordinator, plan_id, "area", COMMUNE, "people_newly_managed") is not None, 30,
             0.3, "the roll-up to hold the commune")
    commune_before = rollup_figure(coordinator, plan_id, "area", COMMUNE, "people_newly_managed")
    province_before = rollup_figure(coordinator, plan_id, "area", None, "people_newly_managed")

    open_case(police, opened_on="2026-09-01")

    wait_for(lambda: rollup_figure(coordinator, plan_id, "area", COMMUNE, "people_newly_managed")
             == commune_before + 1, 30, 0.3, "the commune's computed indicator to move")
    wait_for(lambda: rollup_figure(coordinator, plan_id, "area", None, "people_newly_managed")
             == province_before + 1, 30, 0.3, "the province's roll-up to move")
    assert rollup_figure(coordinator, plan_id, "area", "22333", "people_newly_managed") in (None, 0)
