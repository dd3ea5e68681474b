"""Support, methadone, dossiers and break-the-glass across the real services: what the other agencies receive."""
import pytest

from tests.e2e.conftest import COMMUNE, PROVINCE, inbox_for, open_case
from tests.support import wait_for

pytestmark = pytest.mark.e2e
CLINIC, COURT, INSPECTORATE = "PKMT-NT", "TAND-KV-NT", "TTR-T56"
DECISION = {"decision_number": "9/QĐ", "decision_date": "2026-08-02", "issuing_authority": "UBND phường",
            "drugs_declared": ["heroin"], "document_ref": "hs-9", "reason": "Vi phạm nhiều lần theo biên bản",
            "term_months": 6}


@pytest.fixture(scope="module")
def agencies(coordinator, directory, databases):
    units = [(CLINIC, "Cơ sở điều trị methadone Nha Trang", "health_facility", COMMUNE),
             (COURT, "Tòa án nhân dân khu vực Nha Trang", "court", COMMUNE),
             (INSPECTORATE, "Thanh tra tỉnh", "inspectorate", PROVINCE)]
    for code, name, kind, area in units:
        response = coordinator("POST", "plans", "/units",
                               json={"unit_code": code, "name": name, "kind": kind, "area_code": area})
        assert response.status_code == 201, response.text
    wait_for(lambda: databases["notifications"]["units"].count_documents({}) == len(directory) + len(units), 30,
             message="the agencies to reach notifications")
    wait_for(lambda: databases["cases"]["units"].count_documents({"_id": {"$in": [u[0] for u in units]}}) == 3, 30,
             message="the agencies to reach the cases service's directory")


@pytest.fixture(scope="module")
def worker(as_user):
    return as_user(subject="cw-22366", roles=["caseworker", "police_liaison"], unit=f"UBX-{COMMUNE}",
                   areas=[COMMUNE])


def indicator(api, plan_id, code):
    response = api("GET", "plans", f"/plans/{plan_id}")
    assert response.status_code == 200, response.text
    return next(i["actual"] for i in response.json()["indicators"] if i["code"] == code)


def test_support_given_feeds_the_plan_indicators(coordinator, worker, directory):
    plan = coordinator("POST", "plans", "/plans", json={
        "title": "Kế hoạch hỗ trợ sau cai nghiện 2026", "kind": "yearly", "area_code": PROVINCE,
        "starts_on": "2026-01-01", "ends_on": "2026-12-31",
        "indicators": [{"code": "resources_mobilised_vnd", "target": 100_000_000},
                       {"code": "vocational_training", "target": 20}, {"code": "counselling_sessions", "target": 50}]})
    assert plan.status_code == 201, plan.text
    plan_id = plan.json()["id"]
    case = open_case(worker)
    for body in ({"kind": "loan", "amount_vnd": 20_000_000, "funding_source": "social_policy_bank"},
                 {"kind": "social_support", "amount_vnd": 5_000_000, "funding_source": "local_budget"},
                 {"kind": "vocational_training", "details": "Khóa sửa xe máy"},
                 {"kind": "vocational_training", "details": "Khóa hàn điện"},
                 {"kind": "counselling"}, {"kind": "counselling"}):
        response = worker("POST", "cases", f"/cases/{case['id']}/support", json={"provided_on": "2026-09-01", **body})
        assert response.status_code == 201, response.text
    wait_for(lambda: indicator(coordinator, plan_id, "resources_mobilised_vnd") == 25_000_000, 30,
             message="the đồng mobilised to be summed")
    wait_for(lambda: indicator(coordinator, plan_id, "counselling_sessions") == 2, 30, message="sessions counted")
    assert indicator(coordinator, plan_id, "vocational_training") == 1


def test_a_termination_proposal_reaches_the_clinic(worker, as_user, agencies):
    doctor = as_user(subject="bs-an", roles=["health_worker"], unit=CLINIC, areas=[COMMUNE])
    case = open_case(worker)
    referral = worker("POST", "cases", f"/cases/{case['id']}/referrals",
                      json={"to_unit": CLINIC, "reason": "Đăng ký điều trị methadone", "consent": {
                          "sections": ["clinical"], "purpose": "treatment", "reference": "PĐY-0512/2026",
                          "valid_from": "2026-08-03"}}).json()
    [share_id] = referral["shares"]
    assert doctor("PUT", "cases", f"/cases/{case['id']}/shares/{share_id}/decision",
                  json={"decision": "accepted", "reason": "Tiếp nhận"}).status_code == 200
    assert doctor("POST", "cases", f"/cases/{case['id']}/transitions", json={
        "transition": "admit_to_methadone", "effective_on": "2026-08-05", "decision": DECISION}).status_code == 200
    for occurred_on in ("2026-09-01", "2026-09-20"):
        assert doctor("POST", "cases", f"/cases/{case['id']}/methadone/breaches", json={
            "kind": "protocol", "occurred_on": occurred_on, "description": "Không uống thuốc tại chỗ"}
        ).status_code == 201
    alert = wait_for(lambda: [a for a in inbox_for(doctor, case["id"])
                              if a["category"] == "methadone_termination_proposed"], 30,
                     message="the proposal in the clinic's inbox")[0]
    assert case["case_number"] in alert["title_vi"] and "protocol" not in str(alert)
    assert [a for a in inbox_for(worker, case["id"]) if a["category"] == "methadone_termination_proposed"] == []


def test_a_submitted_dossier_reaches_the_court_and_break_the_glass_reaches_the_inspectorate(worker, as_user,
                                                                                           agencies):
    case = open_case(worker)
    for step in ("register_community_rehab", "record_violation", "open_compulsory_dossier", "submit_dossier_to_court"):
        response = worker("POST", "cases", f"/cases/{case['id']}/transitions",
                          json={"transition": step, "effective_on": "2026-08-03", "decision": DECISION})
        assert response.status_code == 200, response.text
    court = as_user(subject="tk-toa", roles=["unit_reporter"], unit=COURT, areas=[COMMUNE])
    alert = wait_for(lambda: inbox_for(court, case["id"]), 30, message="the dossier alert at the court")[0]
    assert alert["category"] == "dossier_submitted" and case["case_number"] in alert["title_vi"]
    emergency = as_user(subject="bs-cc", roles=["health_worker"], unit="BV-NT", areas=[COMMUNE])
    grant = emergency("POST", "cases", f"/cases/{case['id']}/break-glass", json={
        "section": "clinical", "reason_code": "medical_emergency",
        "reason": "Người bệnh nhập viện cấp cứu, cần biết chất đã sử dụng để xử trí"})
    assert grant.status_code == 201, grant.text
    auditor = as_user(subject="ttv", roles=["auditor"], unit=INSPECTORATE, areas=[PROVINCE])
    alert = wait_for(lambda: inbox_for(auditor, grant.json()["grant_id"]), 30, message="the inspectorate's alert")[0]
    assert alert["category"] == "access_escalated" and "bs-cc" in alert["title_vi"]
    assert "cấp cứu" not in str(alert)
