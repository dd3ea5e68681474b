"""The portal in a real browser: headless Chromium (Debian's, driven by Playwright) against the portal, the cases
and notifications APIs and their workers under gunicorn, the services verifying tokens through the portal's
discovery. People sign in with password and code and enrol their authenticator; five wrong passwords lock an
account; the commune police liaison officer finds a case a caseworker's agency system opened, sees it without
clinical fields, and acknowledges its alert in the inbox (htmx, no reload) while the header's count drops.

Every main page passes axe-core (vendored by deploy/lib.sh, injected by the tests only) with no serious or
critical violation, under the portal's own Content-Security-Policy (the script is answered by the test at a
same-origin address, which 'self' allows, so the policy stays enforced and any violation of it fails the test).
Screenshots of each main page go to var/artifacts/screenshots/<name>.png (git-ignored) for a reviewer to look at.
"""
from __future__ import annotations

import re
import uuid
from datetime import date

import pyotp
import pytest
import requests

from services.portal.assets.vendor import AXE
from tests.e2e.test_docs_browser import CHROMIUM, FLAGS
from tests.e2e.test_portal_pages import PASSWORD, _register_units, _units_known, cli
from tests.support import SLOT, VAR, System, wait_for

pytestmark = pytest.mark.e2e

BASE_PORT = 18180 + 100 * SLOT
PORTAL = f"http://127.0.0.1:{BASE_PORT + 4}"
AXE_URL = f"{PORTAL}/__tests__/axe.min.js"
"""Where the test answers axe-core itself: the portal never serves it."""
SCREENSHOTS = VAR / "artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def system(ferretdb, broker):
    prefix = f"e2ebrowser{uuid.uuid4().hex[:6]}"
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


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert AXE.exists(), "axe-core is not installed: ./deploy/test.sh runs npm ci (deploy/lib.sh install_assets)"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


class Tab:
    """A page in its own browser context, recording what the Content-Security-Policy refused."""

    def __init__(self, browser, **options):
        self.context = browser.new_context(locale="vi-VN", **options)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.route(AXE_URL, lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
        self.page = self.context.new_page()
        self.refused: list[str] = []
        self.page.on("console", self._console)

    def _console(self, message):
        if "Content Security Policy" in message.text:
            self.refused.append(message.text)

    def open(self, path: str):
        self.page.goto(f"{PORTAL}{path}")
        return self.page

    def check(self, name: str) -> None:
        """The page as it is now: a screenshot, no serious axe-core violation, nothing the policy refused."""
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        self.page.add_script_tag(url=AXE_URL)
        found = self.page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        serious = [(v["id"], v["impact"], [node["target"] for node in v["nodes"]][:3])
                   for v in found["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], f"{name}: {serious}"
        assert self.refused == [], f"{name}: {self.refused}"

    def close(self):
        self.context.close()


def sign_in(tab: Tab, username: str, password: str = PASSWORD):
    page = tab.open("/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_load_state()
    return page


def test_a_caseworker_signs_in_enrols_an_authenticator_and_reaches_my_work(system, browser):
    cli(system.env, "create-account", "lan.tran", "--name", "Trần Thị Lan", "--unit", "UBX-22366",
        "--role", "caseworker", "--area", "22366", "--password-stdin", password=PASSWORD + "\n")
    tab = Tab(browser)
    try:
        tab.open("/login")
        tab.check("login")
        page = sign_in(tab, "lan.tran")
        page.wait_for_url(f"{PORTAL}/enrol")
        tab.check("enrol")
        secret = page.locator("#secret").inner_text().strip()
        page.get_by_label("Mã", exact=True).fill(pyotp.TOTP(secret).now())
        page.locator("form[action='/enrol'] button[type=submit]").click()
        page.wait_for_url(f"{PORTAL}/")
        assert "Trần Thị Lan" in page.locator("h1").inner_text()
        tab.check("my-work")
    finally:
        tab.close()


def test_five_wrong_passwords_show_the_lockout_message(system, browser):
    cli(system.env, "create-account", "bao.le", "--name", "Lê Văn Bảo", "--unit", "UBX-22366",
        "--role", "unit_reporter", "--area", "22366", "--password-stdin", password=PASSWORD + "\n")
    tab = Tab(browser)
    try:
        for attempt in range(5):
            page = sign_in(tab, "bao.le", f"sai mật khẩu {attempt}")
        assert "Tài khoản tạm khoá" in page.get_by_role("alert").inner_text()
        tab.check("locked")
    finally:
        tab.close()


@pytest.fixture(scope="module")
def officer(system, browser):
    """The commune police liaison officer, signed in with password and code in a context of their own."""
    secret = cli(system.env, "create-account", "ca.thanh", "--name", "Võ Văn Thành", "--unit", "CAX-22366",
                 "--role", "police_liaison", "--area", "22366", "--password-stdin", "--enrol-totp",
                 password=PASSWORD + "\n")["totp_secret"]
    tab = Tab(browser)
    page = sign_in(tab, "ca.thanh")
    page.wait_for_url(f"{PORTAL}/login/code")
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    page.locator("form[action='/login/code'] button[type=submit]").click()
    page.wait_for_url(f"{PORTAL}/")
    yield tab
    tab.close()


@pytest.fixture(scope="module")
def opened_case(system, officer):
    """A case opened through the cases API by the commune committee's agency system (client credentials)."""
    wait_for(lambda: _units_known(system), 30, 0.2, "the unit directory in notifications")
    client = cli(system.env, "create-client", "ubx-22366-browser", "--name", "Phần mềm UBND phường",
                 "--unit", "UBX-22366", "--role", "caseworker", "--area", "22366")
    token = requests.post(f"{PORTAL}/oauth/token", data={"grant_type": "client_credentials"}, timeout=10,
                          auth=(client["client_id"], client["client_secret"])).json()["access_token"]
    opened = requests.post(f"{system.urls['cases']}/api/v1/cases", timeout=15,
                           headers={"Authorization": f"Bearer {token}"},
                           json={"person": {"full_name": "Nguyễn Thị Hoà", "birth_date": "1991-03-05",
                                            "sex": "female"},
                                 "commune_code": "22366", "opened_on": date.today().isoformat()})
    assert opened.status_code == 201, opened.text
    return opened.json()


def test_the_officer_finds_the_case_opens_it_and_acknowledges_its_alert(system, officer, opened_case):
    page = officer.open("/cases")
    officer.check("cases")
    page.get_by_label("Họ tên", exact=True).fill("nguyen thi hoa")
    page.get_by_label("Mã xã/phường", exact=True).fill("22366")
    page.locator("#case-search button[type=submit]").click()
    page.wait_for_load_state()
    assert "hoa" not in page.url
    page.get_by_role("link", name=opened_case["case_number"]).click()
    page.wait_for_url(f"{PORTAL}/cases/{opened_case['id']}")
    assert page.locator("#stage").count() == 1 and page.locator("#timeline").count() == 1
    assert page.locator("#therapy").count() == 0 and page.locator("#phase").count() == 0
    facts = page.locator("#case-facts").inner_text() + page.locator("#person").inner_text()
    assert "methadone" not in facts.lower()
    officer.check("case")

    inbox = wait_for(lambda: _inbox_with(officer, opened_case["case_number"]), 30, 0.5,
                     "the case's alert on the officer's inbox page")
    before = int(inbox.locator("#unacknowledged-count").inner_text())
    officer.check("inbox")
    inbox.evaluate("() => { window.notReloaded = true; }")
    item = inbox.locator("li.alert", has_text=opened_case["case_number"]).first
    item.get_by_role("button", name=re.compile("Xác nhận")).click()
    inbox.locator("#unacknowledged-count", has_text=str(before - 1)).wait_for()
    assert inbox.evaluate("() => window.notReloaded === true")
    done = inbox.locator("li.alert", has_text=opened_case["case_number"]).first
    assert "Đã xác nhận cảnh báo" in done.inner_text() and "ca.thanh" in done.inner_text()
    assert done.get_by_role("button").count() == 0
    officer.check("inbox-acknowledged")


def _inbox_with(tab: Tab, text: str):
    page = tab.open("/inbox")
    return page if page.locator("li.alert", has_text=text).count() else None


def test_the_case_and_inbox_pages_fit_a_360_pixel_phone(officer, opened_case):
    page = officer.page
    page.set_viewport_size(PHONE)
    try:
        for name, path in (("case-phone", f"/cases/{opened_case['id']}"), ("inbox-phone", "/inbox")):
            officer.open(path)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], name
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    finally:
        page.set_viewport_size({"width": 1280, "height": 720})
