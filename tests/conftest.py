from __future__ import annotations

import os
import uuid

import mongoengine
import pytest

from shared.auth import mint
from shared.settings import Settings
from tests.support import PRIVATE_KEY, SLOT, FerretDB, broker_start, fresh_vhost, rabbitmqctl

TEST_VHOST = "donghanh_test" if not SLOT else f"donghanh_test_{SLOT}"


@pytest.fixture(scope="session")
def ferretdb():
    server = FerretDB()
    server.stop() if server.process else None
    server.wipe()
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="session")
def broker():
    try:
        rabbitmqctl("await_startup")
    except Exception:
        broker_start()
    return fresh_vhost(TEST_VHOST)


@pytest.fixture
def amqp_url(broker):
    return broker


def settings_for(service: str, mongodb_uri: str, amqp_url: str, db_prefix: str, **extra) -> Settings:
    env = {**os.environ, "MONGODB_URI": mongodb_uri, "AMQP_URL": amqp_url, "MONGODB_DB_PREFIX": db_prefix,
           "DH_VAR_DIR": os.path.join(os.path.dirname(os.path.dirname(__file__)), "var"), **extra}
    return Settings.from_env(service, env)


@pytest.fixture
def db_prefix(ferretdb):
    """A database of this test's own, dropped afterwards."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    yield prefix
    client = mongoengine.connection.get_connection() if mongoengine.connection._connections else None
    if client is not None:
        for name in client.list_database_names():
            if name.startswith(prefix):
                client.drop_database(name)
    mongoengine.disconnect()


@pytest.fixture
def settings(ferretdb, broker, db_prefix):
    return lambda service, **extra: settings_for(service, ferretdb.uri, broker, db_prefix, **extra)


@pytest.fixture(scope="session")
def token():
    def make(subject="tester", roles=("caseworker",), unit=None, areas=("56",), **kwargs):
        return mint(PRIVATE_KEY, subject=subject, roles=list(roles), unit=unit, areas=list(areas), **kwargs)
    return make


@pytest.fixture(scope="session")
def auth(token):
    def make(**kwargs):
        return {"Authorization": f"Bearer {token(**kwargs)}"}
    return make
