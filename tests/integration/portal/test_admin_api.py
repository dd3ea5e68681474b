"""Admins create, disable and reset accounts and service clients: bad input is refused naming the field and
stores nothing; writes to an existing account take If-Match and answer its ETag."""
import base64
import threading

import pytest

from shared.auth import TokenVerifier
from services.portal.domain.commands import SignInWithPassword
from services.portal.domain.errors import SignInRefused
from services.roles import ROLES
from tests.integration.portal.conftest import PASSWORD, csrf_of, enrolled, form

ACCOUNT = {"username": "ca-hung", "full_name": "Trần Văn Hùng", "unit": "CAX-22366", "roles": ["police_liaison"],
           "areas": ["22366"], "password": PASSWORD}


@pytest.mark.parametrize("change,field", [
    ({"username": "Ca Hung"}, "username"), ({"roles": ["emperor"]}, "roles.0"), ({"roles": ["system"]}, "roles.0"),
    ({"areas": ["99999"]}, "areas"), ({"areas": []}, "areas"), ({"password": "ngắn quá"}, "password"),
    ({"password": "password1234"}, "password"), ({"password": "ca-hung-2026-mật-khẩu"}, "password"),
    ({"full_name": "  "}, "full_name"), ({"extra": 1}, "extra"), ({"unit": "CA X"}, "unit"),
])
def test_bad_input_names_the_field_and_stores_nothing(client, bearer, change, field):
    response = client.post("/api/v1/accounts", headers=bearer(), json={**ACCOUNT, **change})
    assert response.status_code in (400, 422) and response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"], response.get_json()
    assert client.get(f"/api/v1/accounts/{ACCOUNT['username']}", headers=bearer()).status_code in (404, 405)


def test_only_admins_within_their_areas_manage_accounts(client, bearer):
    assert client.post("/api/v1/accounts", json=ACCOUNT).status_code == 401
    worker = bearer(subject="cb", roles=("caseworker",), areas=("22366",))
    assert client.post("/api/v1/accounts", headers=worker, json=ACCOUNT).status_code == 403
    commune_admin = bearer(subject="qt-xa", roles=("admin",), areas=("22333",))
    assert client.post("/api/v1/accounts", headers=commune_admin, json=ACCOUNT).status_code == 403
    assert client.get("/api/v1/accounts/ca-hung", headers=bearer()).status_code == 404


def test_writes_take_if_match_and_answer_the_new_etag(client, bearer):
    created = client.post("/api/v1/accounts", headers=bearer(), json=ACCOUNT)
    assert created.status_code == 201 and created.headers["ETag"] == '"1"'
    assert created.get_json()["second_factor"] == "required" and "password" not in created.get_json()
    again = client.post("/api/v1/accounts", headers=bearer(), json=ACCOUNT)
    assert again.status_code == 409 and "username" in again.get_json()["errors"]
    stale = client.put("/api/v1/accounts/ca-hung/status", headers={**bearer(), "If-Match": '"0"'},
                       json={"status": "disabled", "reason": "Nghỉ hưu"})
    assert stale.status_code == 412 and client.get("/api/v1/accounts/ca-hung", headers=bearer()).get_json()[
        "status"] == "active"
    done = client.post("/api/v1/accounts/ca-hung/password-reset", headers={**bearer(), "If-Match": '"1"'},
                       json={"password": "một mật khẩu mới dài hơn"})
    assert done.status_code == 200 and done.headers["ETag"] == '"2"'
    assert client.post("/api/v1/accounts/ca-hung/second-factor-reset", headers=bearer(), json={}).status_code == 200
    assert [a["username"] for a in client.get("/api/v1/accounts?unit=CAX-22366", headers=bearer()).get_json()] == \
        ["ca-hung"]


def test_the_openapi_document_shows_if_match_on_every_write_to_an_account_or_client(client):
    from tests.integration.test_if_match import documented_writes
    document = client.get("/api/v1/openapi.json").get_json()
    assert documented_writes(document, lambda p: "{username}" in p or "{client_id}" in p) == {
        ("put", "/api/v1/accounts/{username}/status"), ("post", "/api/v1/accounts/{username}/password-reset"),
        ("post", "/api/v1/accounts/{username}/second-factor-reset"), ("put", "/api/v1/clients/{client_id}/status")}


def test_a_reset_authenticator_is_enrolled_again_at_the_next_sign_in(client, clock, make_account, bearer):
    make_account()
    enrolled(client, clock)
    assert client.post("/api/v1/accounts/cb-lan/second-factor-reset", headers=bearer(), json={}).status_code == 200
    assert client.get("/").headers["Location"].endswith("/login")
    assert form(client, "/login", {"username": "cb-lan", "password": PASSWORD}).headers["Location"].endswith("/enrol")


def test_failures_at_once_are_all_counted(bus, make_account):
    """Eight wrong passwords sent together: none is lost to a concurrent update (the lockout comes at the 5th)."""
    make_account(username="song-song", roles=("unit_reporter",))
    outcomes = []

    def attempt(n):
        try:
            bus.handle(SignInWithPassword("song-song", f"sai lần thứ {n}", "10.0.0.9"))
        except SignInRefused as refusal:
            outcomes.append(refusal.reason)
    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    record = bus.dependencies["signins"].get("song-song")
    assert record.failures == 4 and record.version == 4 and outcomes.count("wrong_credentials") == 4
    attempt(5)
    record = bus.dependencies["signins"].get("song-song")
    assert record.locked_until is not None and outcomes[-1] == "locked"


def _basic(client_id, secret):
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def test_a_service_client_takes_tokens_with_client_credentials(client, bearer, portal):
    created = client.post("/api/v1/clients", headers=bearer(), json={
        "client_id": "pc04-alerts", "name": "Hệ thống cảnh báo PC04", "unit": "CA-T56-PC04",
        "roles": ["system"], "areas": ["56"]})
    assert created.status_code == 201, created.get_json()
    secret = created.get_json()["client_secret"]
    assert "client_secret" not in client.get("/api/v1/clients/pc04-alerts", headers=bearer()).get_json()
    token = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                        headers=_basic("pc04-alerts", secret))
    assert token.status_code == 200, token.get_json()
    settings = portal.extensions["portal_settings"]
    principal = TokenVerifier("donghanh", settings.public_url, str(settings.public_key_file), roles=ROLES).verify(
        token.get_json()["access_token"])
    assert (principal.subject, principal.roles, principal.unit) == ("pc04-alerts", ("system",), "CA-T56-PC04")
    wrong = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                        headers=_basic("pc04-alerts", secret + "x"))
    assert wrong.status_code == 401 and wrong.get_json()["error"] == "invalid_client"
    client.put("/api/v1/clients/pc04-alerts/status", headers=bearer(), json={"status": "disabled",
                                                                              "reason": "Thay hệ thống"})
    assert client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": "pc04-alerts",
                                             "client_secret": secret}).status_code == 401


def test_discovery_names_the_issuer_and_the_keys(client, portal):
    document = client.get("/.well-known/openid-configuration").get_json()
    assert document["issuer"] == "http://127.0.0.1:8104" and document["jwks_uri"].endswith("/jwks.json")
    assert document["token_endpoint"].endswith("/oauth/token") and "client_credentials" in document[
        "grant_types_supported"]
    [key] = client.get("/jwks.json").get_json()["keys"]
    assert key["kty"] == "OKP" and key["alg"] == "EdDSA" and "d" not in key


def test_the_login_log_keeps_no_password(client, clock, make_account, bearer):
    make_account()
    form(client, "/login", {"username": "cb-lan", "password": "một mật khẩu sai"})
    log = client.get("/api/v1/accounts/cb-lan/sign-ins", headers=bearer()).get_json()
    assert [entry["outcome"] for entry in log] == ["wrong_password"] and log[0]["address"] == "127.0.0.1"
    assert "mật khẩu sai" not in str(log) and csrf_of(client.get("/login"))
