"""The portal app on the tests' FerretDB, with cheap argon2 parameters and a clock the tests move."""
from __future__ import annotations

import os
import re
from datetime import datetime, timedelta, timezone

import pyotp
import pytest
from pytest_httpserver import HTTPServer

from services.portal.adapters.secrets import Argon2Passwords
from services.portal.domain.tokens import access_claims
from services.portal.entrypoints.app import create_app
from services.portal.settings import PortalSettings
from tests.support import VAR

CHEAP = Argon2Passwords(time_cost=1, memory_cost=1024, parallelism=1)
PUBLIC_URL = "http://127.0.0.1:8104"
PASSWORD = "sông Cái chảy qua Nha Trang 2026"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class MovableClock:
    """Starts at most 35 seconds ago (tokens it times must verify), 5 seconds into a code's 30-second step."""

    def __init__(self):
        now = int(datetime.now(timezone.utc).timestamp())
        start = now - now % 30 + 5
        self.moment = datetime.fromtimestamp(start if start <= now else start - 30, timezone.utc)

    def now(self):
        return self.moment

    def today(self):
        return self.moment.date()

    def advance(self, **delta):
        self.moment += timedelta(**delta)


@pytest.fixture
def clock():
    return MovableClock()


@pytest.fixture
def portal_env(ferretdb, db_prefix):
    return {**os.environ, "MONGODB_URI": ferretdb.uri, "MONGODB_DB_PREFIX": db_prefix, "DH_VAR_DIR": str(VAR),
            "PORTAL_PUBLIC_URL": PUBLIC_URL}


@pytest.fixture
def portal(portal_env, clock):
    return create_app(PortalSettings.from_env(portal_env), hasher=CHEAP, clock=clock)


@pytest.fixture
def client(portal):
    return portal.test_client()


@pytest.fixture
def bus(portal):
    return portal.extensions["service_layer"]


@pytest.fixture
def bearer(portal):
    """Authorization headers of a token the portal signed, with these claims."""
    signer = portal.extensions["service_layer"].dependencies["signer"]

    def make(subject="admin-56", roles=("admin",), unit="SO-TU-PHAP-56", areas=("56",)):
        claims = access_claims(subject=subject, roles=roles, unit=unit, areas=areas, audience=signer.audience,
                               issuer=signer.issuer, now=datetime.now(timezone.utc), ttl_seconds=300)
        return {"Authorization": f"Bearer {signer.sign(claims)}"}
    return make


@pytest.fixture
def make_account(client, bearer):
    def make(username="cb-lan", roles=("caseworker",), full_name="Nguyễn Thị Lan", unit="UBX-22366",
             areas=("22366",), password=PASSWORD):
        response = client.post("/api/v1/accounts", headers=bearer(), json={
            "username": username, "full_name": full_name, "unit": unit, "roles": list(roles),
            "areas": list(areas), "password": password})
        assert response.status_code == 201, response.get_json()
        return response.get_json()
    return make


def csrf_of(response) -> str:
    return CSRF.search(response.get_data(as_text=True)).group(1)


def form(client, path, data, page="/login"):
    """Post `data` to `path` with the CSRF token of `page`, as a browser would."""
    token = csrf_of(client.get(page))
    return client.post(path, data={**data, "csrf_token": token})


def code_at(secret: str, clock) -> str:
    return pyotp.TOTP(secret).at(clock.now())


def secret_on(response) -> str:
    return re.search(r'id="secret">([A-Z2-7]+)<', response.get_data(as_text=True)).group(1)


def enrolled(client, clock, username="cb-lan", password=PASSWORD) -> str:
    """Sign in a first time, enrolling the authenticator: its secret."""
    answer = form(client, "/login", {"username": username, "password": password})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/enrol"), answer.get_data(as_text=True)
    page = client.get("/enrol")
    secret = secret_on(page)
    done = client.post("/enrol", data={"code": code_at(secret, clock), "csrf_token": csrf_of(page)})
    assert done.status_code == 302 and done.headers["Location"].endswith("/"), done.get_data(as_text=True)
    return secret


@pytest.fixture
def services():
    """The three services' APIs faked by one real HTTP server (pytest-httpserver), answering concurrently as the
    real ones do (a page reads several at once)."""
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


def faked_services_env(portal_env: dict, services) -> dict:
    """The portal's environment with every service at the fake `services`, and a short timeout for silence."""
    base = services.url_for("").rstrip("/")
    return {**portal_env, "CASES_URL": base, "NOTIFICATIONS_URL": base, "PLANS_URL": base,
            "PORTAL_SERVICE_TIMEOUT_SECONDS": "0.5"}
