"""The three services' APIs faked by one real HTTP server (pytest-httpserver) for the portal's page tests, and a
police liaison officer signed in to the portal."""
from __future__ import annotations

import pytest

from tests.integration.portal.conftest import enrolled, faked_services_env


@pytest.fixture
def portal_env(portal_env, services):
    return faked_services_env(portal_env, services)


@pytest.fixture
def officer(client, clock, make_account):
    make_account(username="ca-hung", roles=("police_liaison",), full_name="Trần Văn Hùng", unit="CAX-22366")
    enrolled(client, clock, username="ca-hung")
    return client
