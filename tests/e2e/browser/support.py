"""What the browser modules share: where the one running system answers, a Tab (a page in its own browser context
that records what the Content-Security-Policy refused and checks a page with axe-core and a screenshot), signing
in through the browser, and the agency systems (client credentials) a test calls the APIs with, outside the portal.
"""
from __future__ import annotations

import pyotp
import requests

from services.portal.assets.vendor import AXE
from tests.e2e.test_portal_pages import PASSWORD, cli
from tests.support import SLOT, VAR

BASE_PORT = 18180 + 100 * SLOT
PORTAL = f"http://127.0.0.1:{BASE_PORT + 4}"
AXE_URL = f"{PORTAL}/__tests__/axe.min.js"
"""Where the test answers axe-core itself: the portal never serves it."""
SCREENSHOTS = VAR / "artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}
TIMEOUT_MS = 15_000


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


def signed_in_tab(browser, system, username: str, role: str, unit: str, areas) -> Tab:
    """A person with an enrolled authenticator (created by the portal's CLI), signed in with password and code
    through the browser, on My work; the caller closes the Tab."""
    areas = [areas] if isinstance(areas, str) else list(areas)
    secret = cli(system.env, "create-account", username, "--name", username, "--unit", unit, "--role", role,
                 *[arg for area in areas for arg in ("--area", area)], "--password-stdin", "--enrol-totp",
                 password=PASSWORD + "\n")["totp_secret"]
    tab = Tab(browser)
    page = sign_in(tab, username)
    page.wait_for_url(f"{PORTAL}/login/code")
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    page.locator("form[action='/login/code'] button[type=submit]").click()
    page.wait_for_url(f"{PORTAL}/")
    return tab


def agency(system, client_id: str, role: str, unit: str, area: str, service: str):
    """An agency system of the unit (client credentials) calling `service`'s API: what a test does outside the
    portal, as the other end-to-end tests do."""
    client = cli(system.env, "create-client", client_id, "--name", client_id, "--unit", unit, "--role", role,
                 "--area", area)
    answer = requests.post(f"{PORTAL}/oauth/token", data={"grant_type": "client_credentials"}, timeout=10,
                           auth=(client["client_id"], client["client_secret"]))
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]

    def call(method: str, path: str, **kwargs):
        return requests.request(method, f"{system.urls[service]}/api/v1{path}", timeout=15,
                                headers={"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}, **kwargs)
    return call
