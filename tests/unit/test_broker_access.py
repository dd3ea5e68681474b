"""Least privilege on the broker: each service's broker permissions (checked here as RabbitMQ reads them: anchored
regular expressions on names), amqps:// connections that check the broker's certificate and host name, each
supervised program's own broker user."""
import importlib.util
import re
import ssl
from pathlib import Path

import pytest
from werkzeug import Response

from services import permissions
from services.topology import SUBSCRIPTIONS_OF
from shared import bus
from shared.settings import SERVICES

ROOT = Path(__file__).resolve().parents[2]
GRANTS = {grant.user.removeprefix("donghanh_"): grant for grant in permissions.grants(SUBSCRIPTIONS_OF)}


def allows(expression: str, name: str) -> bool:
    return re.search(expression, name) is not None


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_may_publish_only_to_its_own_exchange(service):
    grant = GRANTS[service]
    assert allows(grant.write, f"{service}.events")
    for other in set(SERVICES) - {service}:
        assert not allows(grant.write, f"{other}.events")
        assert not allows(grant.configure, f"{other}.events")
    assert not allows(grant.write, "amq.default"), "publishing straight to a queue through the default exchange"
    assert not allows(grant.write, f"x{service}.events") and not allows(grant.write, f"{service}.events.x")


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_declares_binds_and_consumes_its_own_queues_only(service):
    grant = GRANTS[service]
    for sub in SUBSCRIPTIONS_OF[service]:
        for name in (sub.queue, sub.dead_letter_name):
            assert allows(grant.configure, name) and allows(grant.write, name) and allows(grant.read, name)
        for source, _ in sub.bindings:
            assert allows(grant.read, f"{source}.events")
    for other, subs in SUBSCRIPTIONS_OF.items():
        if other != service:
            for sub in subs:
                assert not any(allows(getattr(grant, kind), sub.queue) for kind in ("configure", "write", "read"))


def test_the_notifications_user_cannot_publish_cases_or_plans_events():
    grant = GRANTS["notifications"]
    assert not allows(grant.write, "cases.events") and not allows(grant.write, "plans.events")


def test_the_exported_definitions_carry_each_services_permissions_but_no_users():
    from services.topology import definitions
    exported = definitions("v")
    assert "users" not in exported
    assert {(p["user"], p["vhost"]) for p in exported["permissions"]} == {(f"donghanh_{s}", "v") for s in SERVICES}


def test_plain_amqp_has_no_tls_and_amqps_checks_the_certificate_and_the_host_name():
    assert bus.tls_options("amqp://u:p@broker:5672/v") is None
    options = bus.tls_options("amqps://u:p@broker.example.vn:5671/v", "/etc/ca.pem")
    assert options == {"cert_reqs": ssl.CERT_REQUIRED, "server_hostname": "broker.example.vn",
                       "ca_certs": "/etc/ca.pem"}
    assert "ca_certs" not in bus.tls_options("amqps://u:p@broker.example.vn/v")
    connection = bus.connect("amqps://u:p@broker.example.vn:5671/v", ca_file="/etc/ca.pem")
    assert connection.ssl == options and connection.port == 5671
    assert not bus.connect("amqp://u:p@broker:5672/v").ssl


def _supervisor_conf():
    spec = importlib.util.spec_from_file_location("supervisor_conf", ROOT / "deploy" / "supervisor_conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_supervised_program_connects_as_its_services_own_broker_user():
    supervisor_conf = _supervisor_conf()
    programs = {"plans-api": ({}, "x"), "plans-worker": ({}, "x"), "cases-worker": ({}, "x"), "portal": ({}, "x"),
                "outbox": ({}, "x")}
    env = {"AMQP_URL_PLANS": "amqp://donghanh_plans:p@h/v", "AMQP_URL_CASES": "amqp://donghanh_cases:c@h/v"}
    supervisor_conf.with_service_brokers(programs, env)
    assert programs["plans-api"][0] == programs["plans-worker"][0] == {"AMQP_URL": env["AMQP_URL_PLANS"]}
    assert programs["cases-worker"][0] == {"AMQP_URL": env["AMQP_URL_CASES"]}
    assert programs["portal"][0] == programs["outbox"][0] == {}


def test_compose_makes_each_services_user_with_its_permissions_through_the_management_api(httpserver):
    """`python -m services.topology users`: one PUT of the user and one of its permissions a service, as the
    admin; a password not given stops it before anything is made."""
    from services.topology import SUBSCRIPTIONS_OF, make_users
    expected = {g.user: g for g in permissions.grants(SUBSCRIPTIONS_OF)}
    made = {}

    def record(request):
        assert request.authorization.username == "donghanh" and request.authorization.password == "s3cret/+"
        made[request.path] = request.get_json()
        return Response("", 204)

    httpserver.expect_request(re.compile("/api/.*"), method="PUT").respond_with_handler(record)
    env = {f"AMQP_PASSWORD_{s.upper()}": f"pw-{s}" for s in ("plans", "cases", "notifications")}
    assert make_users(httpserver.url_for("").rstrip("/"), "amqp://donghanh:s3cret%2F%2B@rabbitmq:5672/donghanh",
                      "donghanh", permissions.USER_PREFIX, {**env, "AMQP_PASSWORD_CASES": ""}) == 2
    assert made == {}
    assert make_users(httpserver.url_for("").rstrip("/"), "amqp://donghanh:s3cret%2F%2B@rabbitmq:5672/donghanh",
                      "donghanh", permissions.USER_PREFIX, env) == 0
    for user, grant in expected.items():
        service = user.removeprefix(permissions.USER_PREFIX)
        assert made[f"/api/users/{user}"] == {"password": f"pw-{service}", "tags": ""}
        assert made[f"/api/permissions/donghanh/{user}"] == {"configure": grant.configure, "write": grant.write,
                                                             "read": grant.read}
