"""The demo's people: accounts in the portal, each signed in through its web pages (password, then an
authenticator code) for the 5-minute access tokens the demo loader calls the services with, as a person's browser
would get them. Their passwords and authenticator secrets are kept in var/secrets/demo-accounts.json, so a second
run signs the same people in and ./deploy/run.sh can print them.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pyotp
import requests

from shared.auth import Principal
from shared.errors import Conflict

from services.portal.bootstrap import bootstrap
from services.portal.domain.commands import CreateAccount, CreateClient, EnrolSecondFactorDirectly, ResetPassword
from services.portal.domain.policy import needs_second_factor
from services.portal.settings import PortalSettings

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class DemoAccount:
    username: str
    full_name: str
    role: str
    unit: str | None
    areas: list[str]
    password: str
    totp_secret: str | None = None


class DemoPeople:
    def __init__(self, portal_url: str, kept: Path):
        self.portal_url, self.kept = portal_url, kept
        self.settings = PortalSettings.from_env()
        self.bus = bootstrap(self.settings)
        self.operator = Principal(subject="demo-loader", roles=("admin",), unit=None,
                                  areas=(self.settings.base.province_code,))
        self.accounts = {name: DemoAccount(**fields) for name, fields in self._read().get("accounts", {}).items()}
        self.signed_in: dict[str, tuple[requests.Session, str]] = {}
        self.tokens: dict[str, tuple[str, float]] = {}

    def _read(self) -> dict:
        return json.loads(self.kept.read_text()) if self.kept.exists() else {}

    def _keep(self, clients: dict | None = None) -> None:
        kept = {"accounts": {name: asdict(a) for name, a in self.accounts.items()},
                "clients": self._read().get("clients", {}) if clients is None else clients}
        self.kept.parent.mkdir(parents=True, exist_ok=True)
        fresh = self.kept.with_suffix(".new")
        with os.fdopen(os.open(fresh, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600), "w") as out:
            out.write(json.dumps(kept, ensure_ascii=False, indent=1))
        fresh.chmod(0o600)
        os.replace(fresh, self.kept)

    def token(self, username: str, full_name: str, role: str, unit: str | None, areas: list[str]) -> str:
        """An access token of this person, signing them in once per run (an account made at first) and asking
        their session for a fresh one when it is four minutes old (tokens live five)."""
        if username not in self.signed_in:
            wanted = DemoAccount(username, full_name, role, unit, list(areas), f"dh-demo-{secrets.token_urlsafe(12)}")
            session = self._sign_in(self._ensure(wanted))
            if session is None:
                self.accounts.pop(username, None)
                session = self._sign_in(self._ensure(wanted))
            if session is None:
                raise SystemExit(f"the demo account {username} could not sign in; see var/log/portal.log")
            self.signed_in[username] = session
        token, fetched = self.tokens.get(username, (None, None))
        if fetched is None or time.monotonic() - fetched > 240:
            browser, csrf = self.signed_in[username]
            answer = browser.post(f"{self.portal_url}/session/token", data={"csrf_token": csrf}, timeout=10)
            answer.raise_for_status()
            token, fetched = answer.json()["access_token"], time.monotonic()
            self.tokens[username] = (token, fetched)
        return token

    def _ensure(self, wanted: DemoAccount) -> DemoAccount:
        """The kept account of that name, or one made (or, when the database has one the file does not know,
        given a new password and authenticator secret)."""
        if wanted.username in self.accounts:
            return self.accounts[wanted.username]
        try:
            self.bus.handle(CreateAccount(wanted.username, wanted.full_name, wanted.unit, (wanted.role,),
                                          tuple(wanted.areas), wanted.password), self.operator)
        except Conflict:
            self.bus.handle(ResetPassword(wanted.username, wanted.password), self.operator)
        if needs_second_factor([wanted.role]):
            wanted.totp_secret = self.bus.handle(EnrolSecondFactorDirectly(wanted.username), self.operator)
        self.accounts[wanted.username] = wanted
        self._keep()
        return wanted

    def _sign_in(self, account: DemoAccount) -> tuple[requests.Session, str] | None:
        """A signed-in browser session and its form token; None when the portal refused the account (a kept
        account another database does not know)."""
        browser = requests.Session()
        csrf = CSRF.search(browser.get(f"{self.portal_url}/login", timeout=10).text).group(1)

        def post(path: str, data: dict) -> requests.Response:
            return browser.post(f"{self.portal_url}{path}", data={**data, "csrf_token": csrf}, timeout=10,
                                allow_redirects=False)

        step = post("/login", {"username": account.username, "password": account.password})
        if step.headers.get("Location") == "/login/code":
            step = post("/login/code", {"code": pyotp.TOTP(account.totp_secret).now()})
        if step.headers.get("Location") != "/":
            return None
        return browser, csrf

    def agency_client(self, client_id: str, name: str, role: str, unit: str, areas: list[str]) -> dict:
        """A service client for trying the APIs by hand (client credentials), kept with the accounts: its secret
        is shown only when it is made."""
        kept = self._read().get("clients", {})
        if client_id not in kept:
            try:
                view = self.bus.handle(CreateClient(client_id, name, unit, (role,), tuple(areas)), self.operator)
            except Conflict:
                return {"client_id": client_id, "client_secret": None, "role": role, "unit": unit}
            kept[client_id] = {"client_id": view.client_id, "client_secret": view.client_secret, "role": role,
                               "unit": unit}
            self._keep(clients=kept)
        return kept[client_id]
