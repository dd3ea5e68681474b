"""The portal's pages end to end: the portal, the cases and notifications APIs and their workers under gunicorn,
the services verifying tokens through the portal's discovery. A caseworker's agency system opens a case through
the cases API; the commune police liaison officer, signed in with password and code, sees the alert in the inbox
page, acknowledges it through the page, and the count in the header drops."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid

import pyotp
import pytest
import requests
from kombu import Connection

from shared.bus import events_exchange
from shared.envelope import Actor, StreamRef, new_envelope
from shared.clock import province_today
from tests.support import ROOT, SLOT, System, wait_for

pytestmark = pytest.mark.e2e

BASE_PORT = 18160 + 100 * SLOT
PORTAL = f"http://127.0.0.1:{BASE_PORT + 4}"
PASSWORD = "cùng nhau đi qua mùa mưa"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
COUNT = re.compile(r'id="unacknowledged-count"[^>]*>(\d+)<')
UNITS = [("CAX-22366", "Công an phường Nha Trang", "commune_police", "22366"),
         ("UBX-22366", "UBND phường Nha Trang", "commune_committee", "22366")]


@pytest.fixture(scope="module")
def system(ferretdb, broker):
    prefix = f"e2epages{uuid.uuid4().hex[:6]}"
    running = System(ferretdb.uri, broker, db_prefix=prefix, base_port=BASE_PORT, extra_env={
        "OIDC_DISCOVERY_URL": f"{PORTAL}/.well-known/openid-configuration", "JWT_ISSUER": PORTAL,
        "PORTAL_PUBLIC_URL": PORTAL, "DONGHANH_ENV": "development", "LOG_LEVEL": "WARNING",
        "CASES_URL": f"http://127.0.0.1:{BASE_PORT + 2}", "NOTIFICATIONS_URL": f"http://127.0.0.1:{BASE_PORT + 3}"})
    running.apis["portal"] = running._spawn("portal", [
        "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "services.portal.entrypoints.app:create_app()"],
        {**running.env, "SERVICE_PORT": str(BASE_PORT + 4)})
    for service in ("cases", "notifications"):
        running.start_api(service)
        running.start_worker(service)
    running.urls["portal"] = PORTAL
    try:
        for service in ("portal", "cases", "notifications"):
            wait_for(lambda: running.ready(service), 60, 0.2, f"{service} to be ready")
        _register_units(broker, running)
        yield running
    finally:
        running.stop()


def _register_units(amqp_url: str, running: System) -> None:
    """The unit directory as the plans service would publish it (its API is not part of this test)."""
    with Connection(amqp_url) as connection:
        exchange = events_exchange("plans")(connection)
        exchange.declare()
        for code, name, kind, area in UNITS:
            envelope = new_envelope(
                event_type="plans.unit.registered", schema_version=1, producer="plans",
                stream=StreamRef("unit", code, 1), area_code=area,
                actor=Actor("coordinator", "plan_coordinator", "UBND-T56"),
                data={"unit_code": code, "name": name, "kind": kind, "area_code": area, "covers": [area]})
            connection.Producer().publish(envelope.to_message(), exchange=exchange, routing_key=envelope.type,
                                          delivery_mode=2, serializer="json")


def cli(env, *args, password=None) -> dict:
    done = subprocess.run([sys.executable, "-m", "services.portal.entrypoints.cli", *args], cwd=ROOT, env=env,
                          input=password, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def csrf(page: str) -> str:
    return CSRF.search(page).group(1)


def signed_in(env, username="ca.hung", full_name="Trần Văn Hùng") -> requests.Session:
    secret = cli(env, "create-account", username, "--name", full_name, "--unit", "CAX-22366",
                 "--role", "police_liaison", "--area", "22366", "--password-stdin", "--enrol-totp",
                 password=PASSWORD + "\n")["totp_secret"]
    browser = requests.Session()
    login = browser.get(f"{PORTAL}/login", timeout=10).text
    step = browser.post(f"{PORTAL}/login", data={"username": username, "password": PASSWORD,
                                                 "csrf_token": csrf(login)}, timeout=10, allow_redirects=False)
    assert step.headers["Location"] == "/login/code", step.text
    code_page = browser.get(f"{PORTAL}/login/code", timeout=10).text
    done = browser.post(f"{PORTAL}/login/code", data={"code": pyotp.TOTP(secret).now(),
                                                      "csrf_token": csrf(code_page)}, timeout=10,
                        allow_redirects=False)
    assert done.headers["Location"] == "/", done.text
    return browser


def caseworker_token(env, client_id="ubx-22366-app") -> str:
    """The caseworker acts through an agency system of their commune committee (client credentials)."""
    client = cli(env, "create-client", client_id, "--name", "Phần mềm UBND phường", "--unit", "UBX-22366",
                 "--role", "caseworker", "--area", "22366")
    answer = requests.post(f"{PORTAL}/oauth/token", data={"grant_type": "client_credentials"},
                           auth=(client["client_id"], client["client_secret"]), timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def count_on(page: str) -> int:
    return int(COUNT.search(page).group(1))


def test_an_opened_case_reaches_the_officers_inbox_page_and_is_acknowledged_there(system):
    wait_for(lambda: _units_known(system), 30, 0.2, "the unit directory in notifications")
    officer = signed_in(system.env)
    before = officer.get(f"{PORTAL}/inbox", timeout=10)
    assert before.status_code == 200 and "Hộp thư" in before.text
    start = count_on(before.text)
    opened = requests.post(f"{system.urls['cases']}/api/v1/cases", timeout=15,
                           headers={"Authorization": f"Bearer {caseworker_token(system.env)}"},
                           json={"person": {"full_name": "Lê Văn Hùng", "birth_date": "1990-04-02", "sex": "male"},
                                 "commune_code": "22366", "opened_on": province_today().isoformat()})
    assert opened.status_code == 201, opened.text
    number = opened.json()["case_number"]
    inbox = wait_for(lambda: _page_with(officer, number), 30, 0.3, "the alert on the officer's inbox page")
    assert count_on(inbox) == start + 1 and "Lê Văn Hùng" not in inbox
    alert_id = next(found for found, item in re.findall(r'id="alert-([^"]+)">(.*?)</li>', inbox, re.S)
                    if number in item)
    form = re.search(r'action="/inbox/' + re.escape(alert_id) + r'/acknowledgement">(.*?)</form>', inbox, re.S).group(1)
    version = re.search(r'name="version" value="(\d+)"', form).group(1)
    done = officer.post(f"{PORTAL}/inbox/{alert_id}/acknowledgement", timeout=15, allow_redirects=False,
                        data={"csrf_token": csrf(inbox), "version": version, "back": "inbox"})
    assert done.status_code == 302, done.text
    after = officer.get(f"{PORTAL}{done.headers['Location']}", timeout=10).text
    assert "Đã xác nhận cảnh báo" in after and count_on(after) == start
    assert "Đã xác nhận bởi ca.hung" in after
    again = officer.post(f"{PORTAL}/inbox/{alert_id}/acknowledgement", timeout=15, allow_redirects=False,
                         data={"csrf_token": csrf(after), "version": version})
    assert again.status_code in (409, 412) and "Cảnh báo này" in again.text


def _units_known(system) -> bool:
    import pymongo
    client = pymongo.MongoClient(system.env["MONGODB_URI"], serverSelectionTimeoutMS=3000)
    try:
        return client[f"{system.env['MONGODB_DB_PREFIX']}_notifications"]["units"].count_documents({}) == len(UNITS)
    finally:
        client.close()


def _page_with(officer, text: str) -> str | None:
    page = officer.get(f"{PORTAL}/inbox", timeout=10).text
    return page if text in page else None


def test_the_officer_finds_the_case_by_name_without_diacritics_and_opens_its_page(system):
    officer = signed_in(system.env, "ca.mai", "Phạm Thị Mai")
    opened = requests.post(f"{system.urls['cases']}/api/v1/cases", timeout=15,
                           headers={"Authorization": f"Bearer {caseworker_token(system.env, 'ubx-22366-search')}"},
                           json={"person": {"full_name": "Đỗ Thị Hoà", "birth_date": "1992-07-09", "sex": "female"},
                                 "commune_code": "22366", "opened_on": province_today().isoformat()})
    assert opened.status_code == 201, opened.text
    case = opened.json()
    form = officer.get(f"{PORTAL}/cases", timeout=10)
    assert form.status_code == 200 and 'for="q"' in form.text
    found = officer.post(f"{PORTAL}/cases", timeout=15, allow_redirects=False,
                         data={"csrf_token": csrf(form.text), "q": "do thi hoa", "commune_code": "22366"})
    assert found.status_code == 200 and case["case_number"] in found.text, found.text
    link = f'href="/cases/{case["id"]}"'
    assert link in found.text and "hoa" not in found.url
    page = officer.get(f"{PORTAL}/cases/{case['id']}", timeout=15)
    assert page.status_code == 200, page.text
    assert case["case_number"] in page.text and 'id="timeline"' in page.text and 'id="stage"' in page.text
    shown = re.sub(r"<form.*?</form>", "", page.text, flags=re.S)
    assert 'id="therapy"' not in page.text and "methadone" not in shown.lower(), \
        "no clinical fact on the page (a drug-test form may list methadone among the substances to tick)"
    assert province_today().strftime("%d/%m/%Y") in page.text
