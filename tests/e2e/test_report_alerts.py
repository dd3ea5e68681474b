"""Progress reports alert across the real services (the plans API, its relay, RabbitMQ, the notifications
worker): a submitted report reaches the plan's coordinators and the task's lead unit, a returned or approved one
the reporting unit."""
from datetime import timedelta

import pytest
from shared.clock import province_today

from tests.e2e.conftest import COMMUNE, PROVINCE, inbox_for
from tests.support import wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def standing_office(coordinator, directory, databases):
    """The provincial steering committee's unit (the coordinators'), copied into notifications."""
    response = coordinator("POST", "plans", "/units", json={
        "unit_code": "UBND-T56", "name": "Ban chỉ đạo phòng, chống ma túy tỉnh", "kind": "provincial_committee",
        "area_code": PROVINCE})
    assert response.status_code == 201, response.text
    wait_for(lambda: databases["notifications"]["units"].count_documents({}) == len(directory) + 1, 30,
             message="the standing office to reach notifications")
    return "UBND-T56"


def checked(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def assignment(coordinator, standing_office):
    """A plan in force around today: a task led by the provincial drug police, assigned to a commune's police."""
    starts_on = province_today() - timedelta(days=10)
    indicators = [{"code": "drug_cases", "target": 20}, {"code": "suspects", "target": 30}]
    plan = checked(coordinator("POST", "plans", "/plans", json={
        "title": "Kế hoạch đấu tranh tội phạm ma túy", "kind": "thematic", "area_code": PROVINCE,
        "starts_on": starts_on.isoformat(), "ends_on": (starts_on + timedelta(days=60)).isoformat(),
        "indicators": indicators}), 201)
    task = checked(coordinator("POST", "plans", f"/plans/{plan['id']}/tasks", json={
        "title": "Triệt phá đường dây mua bán ma túy", "lead_unit": "CA-T56-PC04",
        "supporting_units": [f"CAX-{COMMUNE}"], "starts_on": starts_on.isoformat(),
        "due_on": (starts_on + timedelta(days=60)).isoformat(), "indicators": indicators}), 201)
    checked(coordinator("PUT", "plans", f"/tasks/{task['id']}/assignments/CAX-{COMMUNE}",
                        json={"shares": {"drug_cases": 5}}))
    checked(coordinator("POST", "plans", f"/plans/{plan['id']}/issue", json={
        "issuing_authority": "Ủy ban nhân dân tỉnh Khánh Hòa", "document_number": "88/KH-UBND",
        "document_date": (starts_on - timedelta(days=5)).isoformat(), "signer": "Phó Chủ tịch"}))
    return f"/tasks/{task['id']}/assignments/CAX-{COMMUNE}/reports/{starts_on:%Y-%m}"


def test_a_submitted_report_alerts_the_coordinators_and_the_lead_unit_then_its_review_the_unit(
        as_user, coordinator, assignment):
    reporter = as_user(subject="bc-22366", roles=["unit_reporter"], unit=f"CAX-{COMMUNE}", areas=[COMMUNE])
    pc04 = as_user(subject="pc04", roles=["unit_reporter"], unit="CA-T56-PC04", areas=[PROVINCE])
    report = checked(reporter("PUT", "plans", assignment, json={
        "narrative": "Triệt phá 1 đường dây", "crackdown": {
            "offences": [{"offence": "trafficking", "cases": 2, "suspects": 3}],
            "seizures": [{"drug": "synthetic", "quantity": 250, "measure": "g"}]}}), 201)
    assert report["values"] == {"drug_cases": 2.0, "suspects": 3.0}
    checked(reporter("POST", "plans", f"{assignment}/submit"))
    [office] = wait_for(lambda: inbox_for(coordinator, report["id"]), 30, message="the standing office's alert")
    assert office["category"] == "report_submitted" and office["subject_type"] == "report"
    assert f"CAX-{COMMUNE}" in office["title_vi"] and "Triệt phá" not in str(office)
    [lead] = wait_for(lambda: inbox_for(pc04, report["id"]), 30, message="the lead unit's alert")
    assert lead["category"] == "report_submitted"
    assert inbox_for(reporter, report["id"]) == []
    checked(pc04("POST", "plans", f"{assignment}/return", json={"comments": "Bổ sung biên bản thu giữ"}))
    [returned] = wait_for(lambda: inbox_for(reporter, report["id"]), 30, message="the return's alert")
    assert returned["category"] == "report_returned" and "Bổ sung biên bản" not in str(returned)
    checked(reporter("POST", "plans", f"{assignment}/submit"))
    checked(coordinator("POST", "plans", f"{assignment}/approve", json={}))
    approved = wait_for(lambda: [a for a in inbox_for(reporter, report["id"]) if a["category"] == "report_approved"],
                        30, message="the approval's alert")
    assert len(approved) == 1
    wait_for(lambda: len(inbox_for(coordinator, report["id"])) == 2, 30, message="the resubmission's alert")
