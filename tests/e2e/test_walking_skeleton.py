"""The three flows across the real services: gunicorn and worker processes, RabbitMQ, FerretDB."""
import pytest

from tests.e2e.conftest import inbox_for, newly_managed, open_case
from tests.e2e.test_faults import queue_depth, vhost_of
from tests.support import wait_for

pytestmark = pytest.mark.e2e


def test_an_opened_case_alerts_the_units_covering_its_commune(police, committee, as_user, directory):
    case = open_case(police)
    alerts = wait_for(lambda: inbox_for(police, case["id"]), 30, message="the alert in the police inbox")
    assert len(alerts) == 1 and alerts[0]["category"] == "case_opened"
    assert case["case_number"] in alerts[0]["title_vi"] and "Phường Nha Trang" in alerts[0]["title_vi"]
    assert wait_for(lambda: inbox_for(committee, case["id"]), 30, message="the committee's alert")
    elsewhere = as_user(subject="p2", roles=["police_liaison"], unit="CAX-22333", areas=["22333"])
    assert inbox_for(elsewhere, case["id"]) == []
    assert "full_name" not in str(alerts) and "Lê Văn Hùng" not in str(alerts)


def test_an_assigned_task_alerts_its_lead_unit_once_its_plan_is_issued(coordinator, police, as_user, yearly_plan):
    response = coordinator("POST", "plans", f"/plans/{yearly_plan}/tasks", json={
        "title": "Tuyên truyền tại trường học", "lead_unit": "CAX-22366", "supporting_units": ["UBX-22366"],
        "due_on": "2026-12-15"})
    assert response.status_code == 201, response.text
    task = response.json()
    issued = coordinator("POST", "plans", f"/plans/{yearly_plan}/issue", json={
        "issuing_authority": "Ủy ban nhân dân tỉnh", "document_number": "1/KH-UBND", "document_date": "2026-01-02",
        "signer": "Chủ tịch"})
    assert issued.status_code == 200, issued.text
    alerts = wait_for(lambda: inbox_for(police, task["id"]), 30, message="the task alert")
    assert alerts[0]["category"] == "task_assigned" and "Tuyên truyền tại trường học" in alerts[0]["title_vi"]
    pc04 = as_user(subject="pc04", roles=["police_liaison"], unit="CA-T56-PC04", areas=["56"])
    assert inbox_for(pc04, task["id"]) == []


def test_an_opened_case_counts_toward_the_plan_covering_its_area_and_period(police, coordinator, yearly_plan):
    before = newly_managed(coordinator, yearly_plan)
    open_case(police, opened_on="2026-09-15")
    wait_for(lambda: newly_managed(coordinator, yearly_plan) == before + 1, 30, message="the indicator to count")
    open_case(police, opened_on="2025-12-31")
    open_case(police, opened_on="2026-10-01")
    wait_for(lambda: newly_managed(coordinator, yearly_plan) == before + 2, 30, message="only in-period cases")


def test_the_cases_worker_counts_each_opened_case_once_by_commune_and_stage(police, system):
    """Through the `cases.counts` queue (one active consumer): the count every province-wide list's total uses."""
    counted = lambda: police("GET", "cases", "/cases/counts").json()["stages"].get("user_management", 0)  # noqa: E731
    wait_for(lambda: queue_depth(vhost_of(system), "cases.counts") == 0, 30, 0.2, "the cases opened before counted")
    before = counted()
    for _ in range(3):
        open_case(police)
    wait_for(lambda: counted() == before + 3, 30, message="three more cases counted")
    listed = police("GET", "cases", "/cases", params={"stage": "user_management", "page_size": 1})
    assert listed.headers["X-Next-After"] and '"total": %d' % (before + 3) in listed.headers["X-Pagination"]


def test_an_alert_is_acknowledged_once_with_its_etag(police):
    case = open_case(police)
    alert = wait_for(lambda: inbox_for(police, case["id"]), 30, message="the alert")[0]
    path = f"/inbox/{alert['id']}/acknowledgement"
    assert police("PUT", "notifications", path, headers={"If-Match": '"2"'}).status_code == 412
    done = police("PUT", "notifications", path, headers={"If-Match": '"1"'})
    assert done.status_code == 200 and done.json()["acknowledged_by"] == "police-22366"
    assert police("PUT", "notifications", path).status_code == 409
    unacknowledged = police("GET", "notifications", "/inbox", params={"unacknowledged": "true", "page_size": 200})
    assert alert["id"] not in [a["id"] for a in unacknowledged.json()]


def test_a_transfer_alerts_the_receiving_communes_police_at_once(police, as_user, directory):
    case = open_case(police)
    response = police("POST", "cases", f"/cases/{case['id']}/transfers",
                      json={"to_commune": "22333", "reason": "chuyển nơi cư trú"})
    assert response.status_code == 201, response.text
    receiving = as_user(subject="p-22333", roles=["police_liaison"], unit="CAX-22333", areas=["22333"])
    alert = wait_for(lambda: inbox_for(receiving, case["id"]), 30, message="the transfer alert")[0]
    assert alert["category"] == "transfer_requested" and alert["urgent"] is True
    assert "Phường Bắc Nha Trang" in alert["title_vi"]


def test_a_positive_test_in_aftercare_alerts_the_commune_urgently(police, committee, as_user):
    case = open_case(police)
    worker = as_user(subject="cw", roles=["police_liaison", "caseworker"], unit="UBX-22366", areas=["22366"])
    decision = {"decision_number": "5/QĐ", "decision_date": "2026-08-02", "issuing_authority": "UBND phường",
                "drugs_declared": ["heroin"], "term_months": 6, "document_ref": "gcn-5"}
    for step in ("register_community_rehab", "complete_voluntary_rehab"):
        assert worker("POST", "cases", f"/cases/{case['id']}/transitions", json={
            "transition": step, "effective_on": "2026-08-02", "decision": decision}).status_code == 200
    assert worker("POST", "cases", f"/cases/{case['id']}/drug-tests", json={
        "tested_on": "2026-08-10", "result": "positive", "substances": ["heroin"]}).status_code == 201
    alerts = wait_for(lambda: [a for a in inbox_for(committee, case["id"]) if a["category"] == "relapse_suspected"],
                      30, message="the relapse alert")
    assert alerts[0]["urgent"] is True and "heroin" not in str(alerts)
