"""The plans pages end to end: the portal and the plans API and worker under gunicorn, the plans service verifying
tokens through the portal's discovery. A coordinator's agency system drafts and issues a plan with a task assigned
to a commune committee; the committee's reporter, signed in to the portal, submits a report through the report
page; the provincial coordinator, signed in, approves it there; the plans API then answers it approved."""
from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pyotp
import pytest
import requests

from tests.e2e.test_portal_pages import PASSWORD, cli, csrf
from tests.support import SLOT, System, wait_for

pytestmark = pytest.mark.e2e

BASE_PORT = 18170 + 100 * SLOT
PORTAL = f"http://127.0.0.1:{BASE_PORT + 4}"
TODAY = date.today()
UNITS = [("UBX-22366", "UBND phường Nha Trang", "commune_committee", "22366"),
         ("CA-T56-PC04", "Phòng PC04", "provincial_police", "56")]


@pytest.fixture(scope="module")
def system(ferretdb, broker):
    running = System(ferretdb.uri, broker, db_prefix=f"e2eplanpages{uuid.uuid4().hex[:6]}", base_port=BASE_PORT,
                     extra_env={"OIDC_DISCOVERY_URL": f"{PORTAL}/.well-known/openid-configuration",
                                "JWT_ISSUER": PORTAL, "PORTAL_PUBLIC_URL": PORTAL, "DONGHANH_ENV": "development",
                                "LOG_LEVEL": "WARNING", "PLANS_URL": f"http://127.0.0.1:{BASE_PORT + 1}"})
    running.apis["portal"] = running._spawn("portal", [
        "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "services.portal.entrypoints.app:create_app()"],
        {**running.env, "SERVICE_PORT": str(BASE_PORT + 4)})
    running.start_api("plans")
    running.start_worker("plans")
    running.urls["portal"] = PORTAL
    try:
        for service in ("portal", "plans"):
            wait_for(lambda: running.ready(service), 60, 0.2, f"{service} to be ready")
        yield running
    finally:
        running.stop()


def agency(env, client_id: str, role: str, unit: str, area: str):
    """An agency system of the unit (client credentials): the calls a test makes outside the portal."""
    client = cli(env, "create-client", client_id, "--name", client_id, "--unit", unit, "--role", role,
                 "--area", area)
    answer = requests.post(f"{PORTAL}/oauth/token", data={"grant_type": "client_credentials"},
                           auth=(client["client_id"], client["client_secret"]), timeout=10)
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]

    def call(method, path, **kwargs):
        return requests.request(method, f"http://127.0.0.1:{BASE_PORT + 1}/api/v1{path}", timeout=15,
                                headers={"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}, **kwargs)
    return call


def person(env, username: str, role: str, unit: str, area: str) -> requests.Session:
    """A person signed in to the portal with password and code."""
    secret = cli(env, "create-account", username, "--name", username, "--unit", unit, "--role", role, "--area", area,
                 "--password-stdin", "--enrol-totp", password=PASSWORD + "\n")["totp_secret"]
    browser = requests.Session()
    login = browser.get(f"{PORTAL}/login", timeout=10).text
    step = browser.post(f"{PORTAL}/login", data={"username": username, "password": PASSWORD,
                                                 "csrf_token": csrf(login)}, timeout=10, allow_redirects=False)
    if step.headers["Location"] == "/login/code":
        page = browser.get(f"{PORTAL}/login/code", timeout=10).text
        step = browser.post(f"{PORTAL}/login/code", data={"code": pyotp.TOTP(secret).now(),
                                                          "csrf_token": csrf(page)}, timeout=10,
                            allow_redirects=False)
    assert step.headers["Location"] == "/", step.text
    return browser


def issued_plan(coordinator) -> tuple[str, str]:
    for code, name, kind, area in UNITS:
        assert coordinator("POST", "/units", json={"unit_code": code, "name": name, "kind": kind,
                                                   "area_code": area}).status_code == 201
    plan = coordinator("POST", "/plans", json={
        "title": "Kế hoạch phòng, chống ma túy quý này", "kind": "thematic", "area_code": "56",
        "starts_on": TODAY.replace(day=1).isoformat(), "ends_on": (TODAY + timedelta(days=40)).isoformat(),
        "indicators": [{"code": "outreach_sessions", "target": 1500}]})
    assert plan.status_code == 201, plan.text
    plan_id = plan.json()["id"]
    task = coordinator("POST", f"/plans/{plan_id}/tasks", json={
        "title": "Tuyên truyền tại khu dân cư", "lead_unit": "CA-T56-PC04",
        "due_on": (TODAY + timedelta(days=30)).isoformat(), "indicators": [{"code": "outreach_sessions",
                                                                             "target": 1500}]})
    assert task.status_code == 201, task.text
    assigned = coordinator("PUT", f"/tasks/{task.json()['id']}/assignments/UBX-22366",
                           headers={"If-Match": task.headers["ETag"]}, json={"shares": {"outreach_sessions": 1200}})
    assert assigned.status_code == 200, assigned.text
    issued = coordinator("POST", f"/plans/{plan_id}/issue", json={
        "issuing_authority": "Ủy ban nhân dân tỉnh", "document_number": "15/KH-UBND",
        "document_date": TODAY.isoformat(), "signer": "Chủ tịch"})
    assert issued.status_code == 200, issued.text
    return plan_id, task.json()["id"]


def test_a_reporter_submits_through_the_portal_and_a_coordinator_approves_there(system):
    coordinator = agency(system.env, "ubnd-t56-app", "plan_coordinator", "UBND-T56", "56")
    plan_id, task_id = issued_plan(coordinator)
    period = TODAY.strftime("%Y-%m")

    reporter = person(system.env, "ubx.mai", "unit_reporter", "UBX-22366", "22366")
    listing = reporter.get(f"{PORTAL}/plans", timeout=15)
    assert listing.status_code == 200 and f'href="/plans/{plan_id}"' in listing.text, listing.text
    plan_page = reporter.get(f"{PORTAL}/plans/{plan_id}", timeout=15)
    assert plan_page.status_code == 200 and "Tuyên truyền tại khu dân cư" in plan_page.text, plan_page.text
    assert 'id="rollup-chart"' in plan_page.text or "Chưa có số liệu" in plan_page.text
    chosen = reporter.post(f"{PORTAL}/plans/{plan_id}/report", timeout=15, data={
        "csrf_token": csrf(plan_page.text), "task_id": task_id, "unit_code": "UBX-22366", "period": period})
    assert chosen.status_code == 200 and 'id="submit-form"' in chosen.text, chosen.text
    report_page = chosen.url
    key = re.search(r'name="idempotency_key" value="([^"]+)"', chosen.text).group(1)
    submitted = reporter.post(f"{report_page}/submission", timeout=15, data={
        "csrf_token": csrf(chosen.text), "version": "0", "idempotency_key": key,
        "value_outreach_sessions": "1234,5", "narrative": "Đã tổ chức các buổi tuyên truyền"})
    assert submitted.status_code == 200 and "Đã gửi báo cáo để xét duyệt" in submitted.text, submitted.text
    assert "1.234,5" in submitted.text

    reviewer = person(system.env, "so.binh", "plan_coordinator", "UBND-T56", "56")
    review = reviewer.get(report_page, timeout=15)
    assert review.status_code == 200 and 'id="review-form"' in review.text, review.text
    version = re.search(r'id="review-form".*?name="version" value="(\d+)"', review.text, re.S).group(1)
    key = re.search(r'id="review-form".*?name="idempotency_key" value="([^"]+)"', review.text, re.S).group(1)
    approved = reviewer.post(f"{report_page}/review", timeout=15, data={
        "csrf_token": csrf(review.text), "version": version, "idempotency_key": key, "outcome": "approve",
        "comments": ""})
    assert approved.status_code == 200 and "Đã phê duyệt báo cáo" in approved.text, approved.text

    report = coordinator("GET", f"/tasks/{task_id}/assignments/UBX-22366/reports/{period}")
    assert report.status_code == 200 and report.json()["status"] == "approved", report.text
    assert report.json()["values"] == {"outreach_sessions": 1234.5}
