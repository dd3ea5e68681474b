"""A security key in a real browser: Chromium's virtual authenticator (Chrome DevTools' WebAuthn domain) registers
a key on the keys page and signs in with it after the password, through static/webauthn.js under the portal's
strict Content-Security-Policy, on the package's one running system.

WebAuthn takes no IP address as its relying party, so these pages are browsed at http://localhost:<port> (a
secure context); the portal's PORTAL_PUBLIC_URL is http://127.0.0.1:<port>, from which it derives
WEBAUTHN_RP_ID=localhost and WEBAUTHN_ORIGIN=http://localhost:<port> (services/portal/settings.py)."""
from __future__ import annotations

import pyotp
import pytest

from services.portal.assets.vendor import AXE
from tests.e2e.browser.support import BASE_PORT, SCREENSHOTS, Tab
from tests.e2e.test_portal_pages import PASSWORD, cli

pytestmark = pytest.mark.e2e

LOCAL = f"http://localhost:{BASE_PORT + 4}"
LOCAL_AXE = f"{LOCAL}/__tests__/axe.min.js"
AUTHENTICATOR = {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
                 "isUserVerified": True, "automaticPresenceSimulation": True}


def checked(tab: Tab, name: str) -> None:
    """Tab.check at the localhost address: a screenshot, no serious axe-core violation, nothing refused by CSP."""
    tab.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    tab.page.add_script_tag(url=LOCAL_AXE)
    found = tab.page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    serious = [(v["id"], [node["target"] for node in v["nodes"]][:3]) for v in found["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{name}: {serious}"
    assert tab.refused == [], f"{name}: {tab.refused}"


def password_step(page, username: str):
    page.goto(f"{LOCAL}/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_url(f"{LOCAL}/login/code")


def test_a_key_registered_on_the_keys_page_signs_in_after_the_password(browser_system, browser):
    secret = cli(browser_system.env, "create-account", "khoa.pham", "--name", "Phạm Văn Khoa", "--unit",
                 "UBX-22366", "--role", "caseworker", "--area", "22366", "--password-stdin", "--enrol-totp",
                 password=PASSWORD + "\n")["totp_secret"]
    tab = Tab(browser)
    tab.context.route(LOCAL_AXE, lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
    page = tab.page
    try:
        cdp = page.context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})["authenticatorId"]
        password_step(page, "khoa.pham")
        assert page.locator("#key-sign-in").is_hidden(), "no key yet: only the code"
        page.locator("#code").fill(pyotp.TOTP(secret).now())
        page.locator("form[action='/login/code'] button[type=submit]").click()
        page.wait_for_url(f"{LOCAL}/")
        page.get_by_role("link", name="Khoá bảo mật").click()
        page.wait_for_url(f"{LOCAL}/account/keys")
        assert page.locator("#key-needs-script").is_hidden() and page.locator("#key-register").is_visible()
        page.get_by_label("Tên khoá").fill("Khoá trên máy này")
        page.locator("#add-key").click()
        page.wait_for_url(f"{LOCAL}/account/keys?done=added")
        assert "Khoá trên máy này" in page.locator("#keys").inner_text()
        assert len(cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]) == 1
        checked(tab, "security-keys")
        page.get_by_role("button", name="Đăng xuất").click()
        page.wait_for_url(f"{LOCAL}/login?signed_out=1")
        password_step(page, "khoa.pham")
        page.locator("#use-key").wait_for(state="visible")
        checked(tab, "code-with-key")
        page.get_by_role("button", name="Dùng khoá bảo mật của bạn").click()
        page.wait_for_url(f"{LOCAL}/")
        assert "Phạm Văn Khoa" in page.locator("h1").inner_text()
        assert tab.refused == []
    finally:
        tab.close()
