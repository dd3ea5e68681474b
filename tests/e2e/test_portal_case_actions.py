"""The case page's action forms end to end: the portal and the cases API under gunicorn, the cases API verifying
tokens through the portal's discovery. A caseworker signed in with password and code opens a case's page, records
a visit and takes a workflow step through its forms, and the cases API shows both."""
from __future__ import annotations

import re
import uuid
from datetime import date

import pyotp
import pytest
import requests

from tests.e2e.test_portal_pages import PASSWORD, cli, csrf
from tests.support import SLOT, System, wait_for

pytestmark = pytest.mark.e2e

BASE_PORT = 18190 + 100 * SLOT
PORTAL = f"http://127.0.0.1:{BASE_PORT + 4}"


@pytest.fixture(scope="module")
def system(ferretdb, broker):
    running = System(ferretdb.uri, broker, db_prefix=f"e2eacts{uuid.uuid4().hex[:6]}", base_port=BASE_PORT,
                     extra_env={"OIDC_DISCOVERY_URL": f"{PORTAL}/.well-known/openid-configuration",
                                "JWT_ISSUER": PORTAL, "PORTAL_PUBLIC_URL": PORTAL, "DONGHANH_ENV": "development",
                                "LOG_LEVEL": "WARNING", "CASES_URL": f"http://127.0.0.1:{BASE_PORT + 2}",
                                "NOTIFICATIONS_URL": f"http://127.0.0.1:{BASE_PORT + 3}"})
    running.apis["portal"] = running._spawn("portal", [
        "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "services.portal.entrypoints.app:create_app()"],
        {**running.env, "SERVICE_PORT": str(BASE_PORT + 4)})
    running.start_api("cases")
    running.urls["portal"] = PORTAL
    try:
        for service in ("portal", "cases"):
            wait_for(lambda: running.ready(service), 60, 0.2, f"{service} to be ready")
        yield running
    finally:
        running.stop()


def caseworker_signed_in(env) -> requests.Session:
    secret = cli(env, "create-account", "ubx.lan", "--name", "Nguyễn Thị Lan", "--unit", "UBX-22366",
                 "--role", "caseworker", "--area", "22366", "--password-stdin", "--enrol-totp",
                 password=PASSWORD + "\n")["totp_secret"]
    browser = requests.Session()
    login = browser.get(f"{PORTAL}/login", timeout=10).text
    browser.post(f"{PORTAL}/login", data={"username": "ubx.lan", "password": PASSWORD, "csrf_token": csrf(login)},
                 timeout=10, allow_redirects=False)
    code_page = browser.get(f"{PORTAL}/login/code", timeout=10).text
    done = browser.post(f"{PORTAL}/login/code", data={"code": pyotp.TOTP(secret).now(),
                                                      "csrf_token": csrf(code_page)}, timeout=10,
                        allow_redirects=False)
    assert done.headers["Location"] == "/", done.text
    return browser


def caseworker_token(env) -> str:
    """The case is opened by the commune committee's agency system (client credentials), as elsewhere."""
    client = cli(env, "create-client", "ubx-22366-acts", "--name", "Phần mềm UBND phường", "--unit", "UBX-22366",
                 "--role", "caseworker", "--area", "22366")
    answer = requests.post(f"{PORTAL}/oauth/token", data={"grant_type": "client_credentials"},
                           auth=(client["client_id"], client["client_secret"]), timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def form_of(page: str, action: str) -> dict:
    """The hidden fields of the form posted to `action`, as the browser would send them."""
    block = re.search(r'<form method="post" action="' + re.escape(action) + r'"(.*?)</form>', page, re.S).group(1)
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', block))


def test_a_caseworker_records_a_visit_and_takes_a_step_through_the_case_page(system):
    token = caseworker_token(system.env)
    cases_api = f"{system.urls['cases']}/api/v1/cases"
    opened = requests.post(cases_api, timeout=15, headers={"Authorization": f"Bearer {token}"}, json={
        "person": {"full_name": "Phạm Thị Hoa", "birth_date": "1988-03-09", "sex": "female"},
        "commune_code": "22366", "opened_on": date.today().isoformat()})
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]
    browser = caseworker_signed_in(system.env)
    page = browser.get(f"{PORTAL}/cases/{case_id}", timeout=15).text
    assert "Ghi nhận lần thăm" in page and f"/cases/{case_id}/steps/register_community_rehab" in page, page
    today = date.today()
    visit = browser.post(f"{PORTAL}/cases/{case_id}/visits", timeout=15, allow_redirects=False, data={
        **form_of(page, f"/cases/{case_id}/visits"), "visited_on": today.isoformat(), "kind": "home_visit",
        "outcome": "met"})
    assert visit.status_code == 302, visit.text
    page = browser.get(f"{PORTAL}{visit.headers['Location']}", timeout=15).text
    assert "Đã ghi nhận lần thăm." in page
    action = f"/cases/{case_id}/steps/register_community_rehab"
    step = browser.post(f"{PORTAL}{action}", timeout=15, allow_redirects=False, data={
        **form_of(page, action), "effective_on": today.isoformat(), "decision.decision_number": "21/QĐ-UBND",
        "decision.decision_date": today.strftime("%d/%m/%Y"), "decision.issuing_authority": "UBND phường",
        "decision.term_months": "6"})
    assert step.status_code == 302, step.text
    shown = browser.get(f"{PORTAL}{step.headers['Location']}", timeout=15).text
    assert "Đã thực hiện bước." in shown and "Cai nghiện tự nguyện tại gia đình, cộng đồng" in shown
    case = requests.get(f"{cases_api}/{case_id}", timeout=15, headers={"Authorization": f"Bearer {token}"}).json()
    assert case["stage"] == "community_rehab" and [v["kind"] for v in case["visits"]] == ["home_visit"]
