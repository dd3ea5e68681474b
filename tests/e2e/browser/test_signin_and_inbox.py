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

import pyotp
import pytest
from shared.clock import province_today

from tests.e2e.browser.support import PHONE, PORTAL, SCREENSHOTS, Tab, sign_in
from tests.e2e.test_portal_pages import PASSWORD, cli
from tests.support import wait_for

pytestmark = pytest.mark.e2e


def test_a_caseworker_signs_in_enrols_an_authenticator_and_reaches_my_work(browser_system, browser):
    cli(browser_system.env, "create-account", "lan.tran", "--name", "Trần Thị Lan", "--unit", "UBX-22366",
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


def test_five_wrong_passwords_show_the_lockout_message(browser_system, browser):
    cli(browser_system.env, "create-account", "bao.le", "--name", "Lê Văn Bảo", "--unit", "UBX-22366",
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
def officer(browser_system, browser):
    """The commune police liaison officer, signed in with password and code in a context of their own."""
    secret = cli(browser_system.env, "create-account", "ca.thanh", "--name", "Võ Văn Thành", "--unit", "CAX-22366",
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
def opened_case(browser_system, officer, cases_committee):
    """A case opened through the cases API by the commune committee's agency system (client credentials)."""
    opened = cases_committee("POST", "/cases", json={
        "person": {"full_name": "Nguyễn Thị Hoà", "birth_date": "1991-03-05", "sex": "female"},
        "commune_code": "22366", "opened_on": province_today().isoformat()})
    assert opened.status_code == 201, opened.text
    return opened.json()


def test_the_officer_finds_the_case_opens_it_and_acknowledges_its_alert(browser_system, officer, opened_case):
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
