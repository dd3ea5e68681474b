"""The three services' APIs faked by one real HTTP server (pytest-httpserver) for the portal's page tests, and a
police liaison officer signed in to the portal."""
from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from tests.integration.portal.conftest import enrolled


@pytest.fixture
def services():
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def portal_env(portal_env, services):
    base = services.url_for("").rstrip("/")
    return {**portal_env, "CASES_URL": base, "NOTIFICATIONS_URL": base, "PLANS_URL": base,
            "PORTAL_SERVICE_TIMEOUT_SECONDS": "0.5"}


@pytest.fixture
def officer(client, clock, make_account):
    make_account(username="ca-hung", roles=("police_liaison",), full_name="Trần Văn Hùng", unit="CAX-22366")
    enrolled(client, clock, username="ca-hung")
    return client
