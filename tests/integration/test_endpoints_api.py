"""Agency webhook endpoints and the dead-letter list through the notifications API in-process against the real
FerretDB: an endpoint's signing secret shown once and never listed, a URL to an internal address refused naming
`url` with nothing stored unless allow-listed, a rotated secret signing beside the new one until its grace ends
(checked with standardwebhooks against a real local receiver), If-Match, re-enabling an endpoint a 410 disabled,
admins of the unit's areas only; parked deliveries listed with masked addresses and resent."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from services.notifications.adapters.channels.webhooks import WebhookChannel
from services.notifications.adapters.deliveries import DeliveryDocument
from services.notifications.adapters.directory import UnitDirectory
from services.notifications.adapters.endpoints import EndpointDocument, WebhookEndpoints
from services.notifications.domain.deliveries import ALERT, PARKED, QUEUED, Delivery, RetryPolicy, after_attempt
from services.notifications.domain.messages import Message, Outcome
from services.notifications.entrypoints.app import create_app
from tests.problem import check_problem

UNIT, FAR_UNIT = "TTYT-22366", "CAX-01001"


@pytest.fixture
def app(settings, httpserver, monkeypatch):
    monkeypatch.setenv("NOTIFY_WEBHOOK_ALLOW", f"{httpserver.host}:{httpserver.port}")
    app = create_app(settings("notifications"))
    UnitDirectory().keep(UNIT, "health_center", ["22366"], 1)
    UnitDirectory().keep(FAR_UNIT, "commune_police", ["01001"], 1)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def bus(app):
    return app.extensions["service_layer"]


@pytest.fixture
def admin(auth):
    return auth(subject="admin-1", roles=["admin"], unit="UBND-T56", areas=["56"])


@pytest.fixture
def hook_url(httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_data("", status=204)
    return httpserver.url_for("/hook")


def refused(response, status, field=None):
    problem = check_problem(response.status_code, response.content_type, response.data, status)
    if field is not None:
        assert field in problem.get("errors", {}), problem
    return problem


def created(client, admin, url, name="Hệ thống TTYT"):
    response = client.post("/api/v1/endpoints", headers=admin, json={"unit_code": UNIT, "name": name, "url": url})
    assert response.status_code == 201 and response.headers["ETag"] == '"1"', response.get_json()
    return response.get_json()


def signed_to(httpserver, endpoint) -> tuple[bytes, dict]:
    """What a webhook signed with the endpoint's current secrets looks like at the receiver."""
    channel = WebhookChannel(timeout=5, url_check=lambda url: None)
    message = Message(delivery_id="dlv-rotation", channel="webhook", address=endpoint.url, text="",
                      secrets=endpoint.secrets, payload={"alert_id": "a-1"},
                      event_type="notifications.alert.raised")
    assert channel.send(message).status == "sent"
    request = httpserver.log[-1][0]
    return request.get_data(), dict(request.headers)


def test_an_endpoint_shows_its_secret_once_and_never_again(client, admin, hook_url):
    endpoint = created(client, admin, hook_url)
    assert endpoint["secret"].startswith("whsec_") and endpoint["status"] == "active"
    assert endpoint["live_secrets"] == 1 and endpoint["url"] == hook_url
    listed = client.get(f"/api/v1/endpoints?unit_code={UNIT}", headers=admin)
    read = client.get(f"/api/v1/endpoints/{endpoint['id']}", headers=admin)
    assert listed.status_code == 200 and [e["id"] for e in listed.get_json()] == [endpoint["id"]]
    assert read.status_code == 200 and read.headers["ETag"] == '"1"'
    for answer in (listed, read):
        assert "whsec_" not in answer.get_data(as_text=True) and endpoint["secret"] not in answer.get_data(True)
    assert "secret" not in read.get_json() and read.get_json()["live_secrets"] == 1
    assert endpoint["secret"] not in str(EndpointDocument._get_collection().find_one({"_id": endpoint["id"]}))


@pytest.mark.parametrize("url", ["http://10.1.2.3/hook", "http://127.0.0.1:1/hook", "http://169.254.169.254/",
                                 "http://100.64.0.7/hook", "http://[::1]/hook", "http://192.168.1.10:8080/x",
                                 "ftp://203.0.113.9/hook", "https://user:pw@10.0.0.1/"])
def test_a_url_to_an_internal_address_is_refused_naming_url_and_nothing_is_stored(client, admin, url):
    refused(client.post("/api/v1/endpoints", headers=admin, json={"unit_code": UNIT, "name": "x", "url": url}),
            422, "url")
    assert EndpointDocument.objects.count() == 0


def test_bad_names_and_units_are_refused_naming_the_field(client, admin, hook_url):
    refused(client.post("/api/v1/endpoints", headers=admin, json={"unit_code": UNIT, "name": "  ", "url": hook_url}),
            422, "name")
    refused(client.post("/api/v1/endpoints", headers=admin,
                        json={"unit_code": "NOWHERE", "name": "x", "url": hook_url}), 422, "unit_code")
    refused(client.post("/api/v1/endpoints", headers=admin, json={"unit_code": UNIT, "name": "x"}), 422, "url")
    assert EndpointDocument.objects.count() == 0


def test_only_admins_of_the_units_areas_manage_its_endpoints(client, admin, auth, hook_url):
    endpoint = created(client, admin, hook_url)
    worker = auth(subject="cb-1", roles=["health_worker"], unit=UNIT, areas=["22366"])
    far_admin = auth(subject="admin-2", roles=["admin"], unit="UBND-T01", areas=["01"])
    body = {"unit_code": UNIT, "name": "x", "url": hook_url}
    refused(client.post("/api/v1/endpoints", headers=worker, json=body), 403)
    refused(client.post("/api/v1/endpoints", headers=far_admin, json=body), 403)
    refused(client.get(f"/api/v1/endpoints?unit_code={UNIT}", headers=worker), 403)
    refused(client.get(f"/api/v1/endpoints?unit_code={UNIT}", headers=far_admin), 403)
    refused(client.get(f"/api/v1/endpoints/{endpoint['id']}", headers=worker), 403)
    refused(client.get(f"/api/v1/endpoints/{endpoint['id']}", headers=far_admin), 404)
    refused(client.put(f"/api/v1/endpoints/{endpoint['id']}", headers=far_admin, json={"status": "disabled"}), 404)
    refused(client.post(f"/api/v1/endpoints/{endpoint['id']}/secret-rotation", headers=worker, json={}), 403)
    assert EndpointDocument.objects.count() == 1 and EndpointDocument.objects.first().version == 1


def test_a_rotated_secret_signs_beside_the_new_one_until_its_grace_ends(client, admin, bus, httpserver, hook_url):
    endpoint = created(client, admin, hook_url)
    old = endpoint["secret"]
    stale = client.post(f"/api/v1/endpoints/{endpoint['id']}/secret-rotation",
                        headers={**admin, "If-Match": '"0"'}, json={"grace_hours": 24})
    assert refused(stale, 412)["current_version"] == 1
    refused(client.post(f"/api/v1/endpoints/{endpoint['id']}/secret-rotation", headers=admin,
                        json={"grace_hours": 169}), 422, "grace_hours")
    rotated = client.post(f"/api/v1/endpoints/{endpoint['id']}/secret-rotation",
                          headers={**admin, "If-Match": '"1"'}, json={"grace_hours": 24})
    assert rotated.status_code == 200 and rotated.headers["ETag"] == '"2"', rotated.get_json()
    new = rotated.get_json()["secret"]
    assert new.startswith("whsec_") and new != old and rotated.get_json()["live_secrets"] == 2
    read = client.get(f"/api/v1/endpoints/{endpoint['id']}", headers=admin).get_json()
    assert read["live_secrets"] == 2 and sum(s["expires_at"] is None for s in read["secrets"]) == 1

    [now_live] = bus.dependencies["endpoints"].named([endpoint["id"]])
    body, headers = signed_to(httpserver, now_live)
    assert len(headers["Webhook-Signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers)["data"] == {"alert_id": "a-1"}

    after_grace = datetime.now(timezone.utc) + timedelta(hours=24, minutes=1)
    [later] = WebhookEndpoints(bus.dependencies["cipher"], lambda: after_grace).named([endpoint["id"]])
    body, headers = signed_to(httpserver, later)
    assert Webhook(new).verify(body, headers)["data"] == {"alert_id": "a-1"}
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, headers)


def test_changes_take_if_match_and_an_endpoint_a_410_disabled_is_enabled_again(client, admin, bus, hook_url):
    endpoint = created(client, admin, hook_url)
    path = f"/api/v1/endpoints/{endpoint['id']}"
    stale = client.put(path, headers={**admin, "If-Match": '"0"'}, json={"name": "Đổi tên"})
    assert refused(stale, 412)["current_version"] == 1
    assert client.get(path, headers=admin).get_json()["name"] == "Hệ thống TTYT"
    refused(client.put(path, headers=admin, json={"url": "http://10.0.0.8/hook"}), 422, "url")
    refused(client.put(path, headers=admin, json={"status": "paused"}), 422, "status")
    renamed = client.put(path, headers={**admin, "If-Match": '"1"'}, json={"name": "Đổi tên"})
    assert renamed.status_code == 200 and renamed.headers["ETag"] == '"2"' and renamed.get_json()["url"] == hook_url

    bus.dependencies["endpoints"].disable(endpoint["id"], "HTTP 410 Gone")
    gone = client.get(path, headers=admin)
    assert gone.get_json()["status"] == "disabled" and gone.get_json()["disabled_reason"] == "HTTP 410 Gone"
    assert gone.headers["ETag"] == '"3"'
    enabled = client.put(path, headers={**admin, "If-Match": '"3"'}, json={"status": "active"})
    assert enabled.status_code == 200 and enabled.headers["ETag"] == '"4"', enabled.get_json()
    assert enabled.get_json()["status"] == "active" and enabled.get_json()["disabled_reason"] is None
    assert bus.dependencies["endpoints"].named([endpoint["id"]])[0].active


def test_a_rule_may_name_a_stored_endpoint_and_no_other(client, admin, hook_url):
    endpoint = created(client, admin, hook_url)
    rule = {"id": "relapse_to_clinic", "event_type": "cases.case.relapse_suspected", "category": "relapse_suspected",
            "subject_type": "case", "subject_field": "case_id", "template": "relapse_suspected",
            "channels": ["in_app", "webhook"]}
    refused(client.post("/api/v1/rules", headers=admin, json={**rule, "endpoints": ["not-stored"]}), 422,
            "endpoints")
    saved = client.post("/api/v1/rules", headers=admin, json={**rule, "endpoints": [endpoint["id"]]})
    assert saved.status_code == 201, saved.get_json()


def parked(bus, address="nguyen.van.an@example.vn", channel="email") -> Delivery:
    store, now = bus.dependencies["delivery_queue"], datetime.now(timezone.utc)
    delivery = Delivery(id=f"dlv-{channel}", channel=channel, target="member:cb-1", address=address, language="vi",
                        purpose=ALERT, not_before=now, created_at=now, alert_ids=["alert-1"])
    store.add([delivery])
    assert store.claim_attempt(delivery, "worker-1", now)
    outcome = Outcome("failed", "550 5.1.1 No such mailbox here", permanent=True)
    after_attempt(delivery, outcome, now, RetryPolicy())
    store.record_outcome(delivery, outcome, now)
    return delivery


def test_a_parked_delivery_is_listed_masked_with_its_attempts_and_resent(client, admin, bus, auth):
    delivery = parked(bus)
    listed = client.get("/api/v1/deliveries/dead-letters", headers=admin)
    assert listed.status_code == 200, listed.get_json()
    [row] = listed.get_json()
    assert row["id"] == delivery.id and row["address"] == "n***@example.vn" and row["status"] == PARKED
    assert (row["channel"], row["target"], row["purpose"], row["alert_ids"], row["attempts"]) == (
        "email", "member:cb-1", ALERT, ["alert-1"], 1)
    assert row["last_answer"].startswith("550") and row["created_at"]
    assert "nguyen.van.an" not in listed.get_data(as_text=True)

    detail = client.get(f"/api/v1/deliveries/{delivery.id}", headers=admin)
    assert detail.status_code == 200 and "nguyen.van.an" not in detail.get_data(as_text=True)
    [attempt] = detail.get_json()["attempt_log"]
    assert attempt["number"] == 1 and attempt["outcome"] == "failed" and attempt["answer"].startswith("550")
    assert attempt["claimed_at"] and attempt["finished_at"]

    worker = auth(subject="cb-1", roles=["caseworker"], unit="UBX-22366", areas=["22366"])
    refused(client.get("/api/v1/deliveries/dead-letters", headers=worker), 403)
    refused(client.post(f"/api/v1/deliveries/{delivery.id}/resend", headers=worker), 403)
    resent = client.post(f"/api/v1/deliveries/{delivery.id}/resend", headers=admin)
    assert resent.status_code == 200 and resent.get_json()["status"] == QUEUED, resent.get_json()
    assert DeliveryDocument.objects(id=delivery.id).first().status == QUEUED
    assert client.get("/api/v1/deliveries/dead-letters", headers=admin).get_json() == []
    refused(client.post(f"/api/v1/deliveries/{delivery.id}/resend", headers=admin), 409)
    refused(client.post("/api/v1/deliveries/no-such/resend", headers=admin), 404)
    refused(client.get("/api/v1/deliveries/no-such", headers=admin), 404)


def test_phone_numbers_and_endpoint_urls_are_masked_too(client, admin, bus):
    parked(bus, "+84912345678", "sms")
    parked(bus, "https://his.ttyt.example.vn/hooks/secret-path", "webhook")
    rows = {row["channel"]: row["address"] for row in
            client.get("/api/v1/deliveries/dead-letters", headers=admin).get_json()}
    assert rows == {"sms": "+84 91* *** 678", "webhook": "https://his.ttyt.example.vn/***"}
