"""Security keys (WebAuthn) in the web sign-in against the real FerretDB: registering one while signed in, signing
in with it after the password, and every bad answer (garbled, forged, replayed, cloned, unknown, another session's
challenge, no CSRF token) refused as problem+json naming its field, with nothing stored; failures counted towards
the lockout like wrong codes."""
import re
from collections import Counter
from zoneinfo import ZoneInfo

from webauthn.helpers import base64url_to_bytes

from shared.errors import ConcurrencyConflict

from tests.integration.portal.authenticator import SoftKey
from tests.integration.portal.conftest import PASSWORD, code_at, csrf_of, enrolled, form


KEY_CSRF = re.compile(r'data-csrf="([^"]+)"')


def call(client, path, token, body=None):
    return client.post(path, json=body or {}, headers={"X-CSRFToken": token})


def registered(client, key: SoftKey, name="Khoá xanh"):
    """A key registered from the keys page of the signed-in `client`: the page's CSRF token."""
    token = csrf_of(client.get("/account/keys"))
    options = call(client, "/account/keys/options", token)
    assert options.status_code == 200, options.get_json()
    done = call(client, "/account/keys", token, {"name": name, "credential": key.create(options.get_json())})
    assert done.status_code == 201, done.get_json()
    return token


def at_second_step(client, username="cb-lan"):
    """Signed out, the password given again: the code page's CSRF token."""
    home = client.get("/")
    if home.status_code == 200:
        client.post("/logout", data={"csrf_token": csrf_of(home)})
    answer = form(client, "/login", {"username": username, "password": PASSWORD})
    assert answer.headers["Location"].endswith("/login/code"), answer.get_data(as_text=True)
    return KEY_CSRF.search(client.get("/login/code").get_data(as_text=True)).group(1)


def key_options(client, token):
    options = call(client, "/login/key/options", token)
    assert options.status_code == 200, options.get_json()
    return options.get_json()


def refused_naming(answer, field, status=422):
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == "application/problem+json" and field in answer.get_json()["errors"], answer.get_json()


def failures(bus, username="cb-lan"):
    record = bus.dependencies["signins"].get(username)
    return record.failures if record else 0


def outcomes(bus, username="cb-lan") -> Counter:
    """The login log's outcomes (the tests' clock stands still, so their order is not the log's)."""
    return Counter(e["outcome"] for e in bus.dependencies["login_log"].recent(username, 100))


def test_a_registered_key_signs_in_after_the_password(client, clock, make_account, bus):
    make_account()
    enrolled(client, clock)
    key = SoftKey()
    registered(client, key)
    page = client.get("/account/keys").get_data(as_text=True)
    today = clock.now().astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y")
    assert "Khoá xanh" in page and today in page and 'for="key-name"' in page
    token = at_second_step(client)
    code_page = client.get("/login/code").get_data(as_text=True)
    assert "Dùng khoá bảo mật của bạn" in code_page and 'name="code"' in code_page
    assert "/assets/webauthn.js" in code_page
    options = key_options(client, token)
    assert [c["id"] for c in options["allowCredentials"]] == [key.credential_id]
    done = call(client, "/login/key", token, {"credential": key.get(options)})
    assert done.status_code == 200 and done.get_json()["next"] == "/", done.get_json()
    assert client.get("/").status_code == 200
    assert outcomes(bus) == Counter({"password_ok": 2, "signed_in": 2, "security_key_added": 1})


def test_a_replayed_or_cloned_answer_and_an_unknown_key_are_refused_and_counted(client, clock, make_account, bus):
    make_account()
    enrolled(client, clock)
    key = SoftKey()
    registered(client, key)
    clone = key.copy()
    token = at_second_step(client)
    first = key.get(key_options(client, token))
    assert call(client, "/login/key", token, {"credential": first}).status_code == 200
    token = at_second_step(client)
    key_options(client, token)
    refused_naming(call(client, "/login/key", token, {"credential": first}), "credential")
    refused_naming(call(client, "/login/key", token, {"credential": first}), "credential")
    copied = clone.get(key_options(client, token))
    answer = call(client, "/login/key", token, {"credential": copied})
    refused_naming(answer, "credential")
    assert "counter" in answer.get_json()["errors"]["credential"][0]
    refused_naming(call(client, "/login/key", token, {"credential": SoftKey().get(key_options(client, token))}),
                   "credential")
    assert failures(bus) == 4
    assert {k: v for k, v in outcomes(bus).items() if k.endswith("_key")} == {
        "unknown_key": 1, "replayed_key": 1, "wrong_key": 2}
    assert client.get("/").status_code == 302


def test_garbled_forged_and_another_sessions_answers_are_refused(client, portal, clock, make_account, bus):
    make_account()
    enrolled(client, clock)
    key = SoftKey()
    registered(client, key)
    token = at_second_step(client)
    other = portal.test_client()
    other_token = at_second_step(other)
    theirs = key.get(key_options(other, other_token))
    key_options(client, token)
    refused_naming(call(client, "/login/key", token, {"credential": theirs}), "credential")
    for garbled in ({"id": "x"}, "not an object", {"id": key.credential_id, "rawId": key.credential_id,
                                                   "type": "public-key", "response": {"clientDataJSON": "%%"}}):
        key_options(client, token)
        refused_naming(call(client, "/login/key", token, {"credential": garbled}), "credential")
    forged = key.get(key_options(client, token))
    forged["response"]["signature"] = SoftKey().get({"challenge": "AAAA"})["response"]["signature"]
    refused_naming(call(client, "/login/key", token, {"credential": forged}), "credential")
    assert failures(bus) == 4, "a credential that is not an object is refused before it is read"
    elsewhere = key.get(key_options(client, token), origin="http://localhost.evil.example")
    locked = call(client, "/login/key", token, {"credential": elsewhere})
    assert locked.status_code == 401 and locked.get_json()["next"] == "/login", locked.get_json()
    assert locked.get_json()["reason"] == "locked" and "Tài khoản tạm khoá" in locked.get_json()["message"]
    assert client.get("/login/code").headers["Location"].endswith("/login")


def test_without_the_csrf_header_nothing_is_done(client, clock, make_account, bus):
    make_account()
    enrolled(client, clock)
    key = SoftKey()
    token = registered(client, key)
    options = call(client, "/account/keys/options", token).get_json()
    for path, body in (("/account/keys/options", {}), ("/account/keys", {"name": "x", "credential": key.create(
            options)})):
        answer = client.post(path, json=body)
        refused_naming(answer, "X-CSRFToken", 400)
    assert len(bus.dependencies["accounts"].get("cb-lan").security_keys) == 1
    token = at_second_step(client)
    options = key_options(client, token)
    refused_naming(client.post("/login/key", json={"credential": key.get(options)}), "X-CSRFToken", 400)
    refused_naming(client.post("/login/key", json={"credential": key.get(options)},
                               headers={"X-CSRFToken": "forged"}), "X-CSRFToken", 400)
    assert failures(bus) == 0 and client.get("/").status_code == 302


def test_bad_registrations_store_nothing(client, clock, make_account, bus):
    make_account()
    enrolled(client, clock)
    key = SoftKey()
    token = csrf_of(client.get("/account/keys"))
    options = call(client, "/account/keys/options", token).get_json()
    refused_naming(call(client, "/account/keys", token, {"name": " ", "credential": key.create(options)}), "name")
    refused_naming(call(client, "/account/keys", token, {"name": "x" * 61, "credential": key.create(options)}),
                   "name")
    for name in (5, ["Khoá"], "Khoá\x07xanh", "Khoá\nxanh"):
        refused_naming(call(client, "/account/keys", token, {"name": name, "credential": key.create(options)}),
                       "name")
    garbled = key.create(options)
    garbled["response"]["attestationObject"] = "AAAA"
    refused_naming(call(client, "/account/keys", token, {"name": "Khoá", "credential": garbled}), "credential")
    refused_naming(call(client, "/account/keys", token, {"name": "Khoá", "credential": key.create(options)}),
                   "credential")
    options = call(client, "/account/keys/options", token).get_json()
    refused_naming(call(client, "/account/keys", token, {"name": "Khoá", "credential": key.create(
        options, origin="https://evil.example")}), "credential")
    refused_naming(client.post("/account/keys", data="{", content_type="application/json",
                               headers={"X-CSRFToken": token}), "_body", 400)
    assert bus.dependencies["accounts"].get("cb-lan").security_keys == []
    registered(client, key)
    options = call(client, "/account/keys/options", token).get_json()
    assert [c["id"] for c in options["excludeCredentials"]] == [key.credential_id]
    answer = call(client, "/account/keys", token, {"name": "Lần nữa", "credential": key.create(options)})
    assert answer.status_code == 409 and "credential" in answer.get_json()["errors"]
    assert len(bus.dependencies["accounts"].get("cb-lan").security_keys) == 1
    options = call(client, "/account/keys/options", token).get_json()
    clock.advance(minutes=6)
    late = call(client, "/account/keys", token, {"name": "Khoá", "credential": SoftKey().create(options)})
    refused_naming(late, "session", 403)
    assert len(bus.dependencies["accounts"].get("cb-lan").security_keys) == 1
    client.post("/logout", data={"csrf_token": token})
    assert call(client, "/account/keys/options", token).status_code in (400, 401)


def test_a_key_is_removed_from_its_page_and_an_admin_reset_removes_every_key(client, clock, make_account, bearer,
                                                                               bus):
    make_account()
    enrolled(client, clock)
    first, second = SoftKey(), SoftKey()
    registered(client, first, "Khoá một")
    registered(client, second, "Khoá hai")
    page = client.get("/account/keys")
    version = bus.dependencies["accounts"].get("cb-lan").version
    stale = client.post("/account/keys/remove", data={"csrf_token": csrf_of(page), "credential_id":
                                                      first.credential_id, "version": str(version - 1)})
    assert stale.status_code == 409 and "Khoá một" in stale.get_data(as_text=True)
    removed = client.post("/account/keys/remove", data={"csrf_token": csrf_of(page), "credential_id":
                                                        first.credential_id, "version": str(version)})
    assert removed.status_code == 302 and removed.headers["Location"].endswith("/account/keys?done=removed")
    page = client.get(removed.headers["Location"]).get_data(as_text=True)
    assert "Khoá một" not in page and "Khoá hai" in page and "Đã gỡ khoá bảo mật." in page
    assert client.post("/api/v1/accounts/cb-lan/second-factor-reset", headers=bearer(), json={}).status_code == 200
    assert bus.dependencies["accounts"].get("cb-lan").security_keys == []
    assert form(client, "/login", {"username": "cb-lan", "password": PASSWORD}).headers["Location"].endswith("/enrol")


def test_a_person_with_a_key_and_no_code_uses_the_key_only(client, clock, make_account, bus):
    make_account(username="dieu-phoi", roles=("plan_coordinator",), areas=("56",), unit="UBND-T56")
    assert form(client, "/login", {"username": "dieu-phoi", "password": PASSWORD}).headers["Location"].endswith("/")
    key = SoftKey()
    registered(client, key)
    token = at_second_step(client, "dieu-phoi")
    page = client.get("/login/code").get_data(as_text=True)
    assert 'name="code"' not in page and "Dùng khoá bảo mật của bạn" in page
    guessed = client.post("/login/code", data={"code": code_at("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", clock),
                                               "csrf_token": token})
    assert guessed.status_code == 401 and failures(bus, "dieu-phoi") == 1
    done = call(client, "/login/key", token, {"credential": key.get(key_options(client, token))})
    assert done.status_code == 200 and client.get("/").status_code == 200


def test_the_key_challenge_expires_with_the_second_step(client, clock, make_account):
    make_account()
    enrolled(client, clock)
    key = SoftKey()
    registered(client, key)
    token = at_second_step(client)
    options = key_options(client, token)
    clock.advance(minutes=6)
    late = call(client, "/login/key", token, {"credential": key.get(options)})
    assert late.status_code == 401 and late.get_json()["next"] == "/login" and late.mimetype == \
        "application/problem+json"


def test_bodies_the_apis_refuse_are_refused_here_too(client, clock, make_account, bus):
    """shared/request_checks.py's checks of every body under /api/: too deep, NUL, operator-looking keys."""
    make_account()
    enrolled(client, clock)
    key = SoftKey()
    token = csrf_of(client.get("/account/keys"))
    options = call(client, "/account/keys/options", token).get_json()
    answer = key.create(options)
    for path in ("/account/keys/options", "/account/keys", "/login/key/options", "/login/key"):
        deep = client.post(path, data="[" * 1000 + "]" * 1000, content_type="application/json",
                           headers={"X-CSRFToken": token})
        refused_naming(deep, "_body", 400)
        refused_naming(call(client, path, token, {"name": "Khoá\x00", "credential": answer}), "name", 400)
        refused_naming(call(client, path, token, {"name": "Khoá", "credential": {**answer, "$where": "1"}}),
                       "credential.$where", 400)
    assert bus.dependencies["accounts"].get("cb-lan").security_keys == []


def test_a_session_past_the_password_only_cannot_add_a_key(client, clock, make_account, bus):
    make_account()
    enrolled(client, clock)
    key = SoftKey()
    home = client.get("/account/keys")
    options = call(client, "/account/keys/options", csrf_of(home)).get_json()
    client.post("/logout", data={"csrf_token": csrf_of(home)})
    assert form(client, "/login", {"username": "cb-lan", "password": PASSWORD}).headers["Location"].endswith(
        "/login/code")
    token = csrf_of(client.get("/login/code"))
    asked = call(client, "/account/keys/options", token)
    assert asked.status_code == 401 and asked.mimetype == "application/problem+json", asked.get_data(as_text=True)
    added = call(client, "/account/keys", token, {"name": "Khoá", "credential": key.create(options)})
    assert added.status_code == 401 and added.mimetype == "application/problem+json", added.get_data(as_text=True)
    assert bus.dependencies["accounts"].get("cb-lan").security_keys == []
    assert client.get("/account/keys").status_code == 302


def test_a_key_is_added_only_within_five_minutes_of_the_second_step(client, clock, make_account, bus):
    make_account()
    secret = enrolled(client, clock)
    key = SoftKey()
    token = csrf_of(client.get("/account/keys"))
    options = call(client, "/account/keys/options", token).get_json()
    clock.advance(minutes=5, seconds=1)
    page = client.get("/account/keys").get_data(as_text=True)
    assert "hãy đăng nhập lại" in page and 'id="key-register"' not in page
    for path, body in (("/account/keys/options", {}), ("/account/keys", {"name": "Khoá",
                                                                         "credential": key.create(options)})):
        late = call(client, path, token, body)
        refused_naming(late, "session", 403)
        assert "hãy đăng nhập lại" in late.get_json()["message"]
    assert bus.dependencies["accounts"].get("cb-lan").security_keys == []
    assert outcomes(bus)["security_key_added"] == 0
    client.post("/logout", data={"csrf_token": token})
    form(client, "/login", {"username": "cb-lan", "password": PASSWORD})
    assert form(client, "/login/code", {"code": code_at(secret, clock)}, page="/login/code").status_code == 302
    assert 'id="key-register"' in client.get("/account/keys").get_data(as_text=True)
    registered(client, key)


def test_an_answer_is_taken_once_even_from_a_counterless_key_given_the_same_challenge_twice(client, clock,
                                                                                             make_account, bus):
    """The session's challenge store handing the same challenge out again (as a take that is not atomic could, to
    two requests at once): the sign-in record, under its compare-and-set, takes the answer once."""
    make_account()
    enrolled(client, clock)
    key = SoftKey(counter=False)
    registered(client, key)
    token = at_second_step(client)
    options = key_options(client, token)
    answer = key.get(options)
    assert call(client, "/login/key", token, {"credential": answer}).status_code == 200
    token = at_second_step(client)
    key_options(client, token)
    bus.dependencies["challenges"].keep(client.get_cookie("dh_session").value, "authenticate",
                                        base64url_to_bytes(options["challenge"]), clock.now())
    replayed = call(client, "/login/key", token, {"credential": answer})
    refused_naming(replayed, "credential")
    assert "already used" in replayed.get_json()["errors"]["credential"][0]
    assert failures(bus) == 1 and outcomes(bus)["replayed_key"] == 1 and client.get("/").status_code == 302
    fresh = key.get(key_options(client, token))
    assert call(client, "/login/key", token, {"credential": fresh}).status_code == 200


def test_adding_answers_the_accounts_version_and_a_removal_needs_the_version_it_read(client, clock, make_account,
                                                                                    bus, monkeypatch):
    make_account()
    enrolled(client, clock)
    key = SoftKey()
    accounts = bus.dependencies["accounts"]
    token = csrf_of(client.get("/account/keys"))
    options = call(client, "/account/keys/options", token).get_json()
    done = call(client, "/account/keys", token, {"name": "Khoá", "credential": key.create(options)})
    assert done.status_code == 201 and done.headers["ETag"] == f'"{accounts.get("cb-lan").version}"', done.headers
    page = client.get("/account/keys")
    for version in ({}, {"version": ""}, {"version": "x1"}):
        unversioned = client.post("/account/keys/remove", data={"csrf_token": csrf_of(page),
                                                                "credential_id": key.credential_id, **version})
        text = unversioned.get_data(as_text=True)
        assert unversioned.status_code == 422 and unversioned.mimetype == "text/html", text
        assert "phiên bản" in text and 'name="version"' in text
    assert len(accounts.get("cb-lan").security_keys) == 1

    def raced(account, actor):
        raise ConcurrencyConflict(account.id, account.version)
    monkeypatch.setattr(accounts, "save", raced)
    version = accounts.get("cb-lan").version
    stale = client.post("/account/keys/remove", data={"csrf_token": csrf_of(page), "credential_id":
                                                      key.credential_id, "version": str(version)})
    text = stale.get_data(as_text=True)
    assert stale.status_code == 409 and stale.mimetype == "text/html" and "Khoá" in text, text
    assert "ở một trang khác" in text


def test_the_options_are_rate_limited_per_session_and_address(client, clock, make_account, bus):
    make_account()
    enrolled(client, clock)
    limit = bus.dependencies["limits"].per_account
    token = csrf_of(client.get("/account/keys"))
    for _ in range(limit):
        assert call(client, "/account/keys/options", token).status_code == 200
    over = call(client, "/account/keys/options", token)
    assert over.status_code == 429 and over.mimetype == "application/problem+json", over.get_data(as_text=True)
    assert int(over.headers["Retry-After"]) > 0 and "thử lại sau" in over.get_json()["message"]
    registered_key = SoftKey()
    clock.advance(minutes=1)
    registered(client, registered_key)
    token = at_second_step(client)
    for _ in range(limit):
        key_options(client, token)
    over = call(client, "/login/key/options", token)
    assert over.status_code == 429 and over.mimetype == "application/problem+json" and "Retry-After" in over.headers


def test_the_webauthn_user_handle_is_random_and_kept_on_the_account(client, portal, clock, make_account, bus):
    make_account()
    make_account(username="cb-hoa", full_name="Trần Thị Hoà")
    enrolled(client, clock)
    token = csrf_of(client.get("/account/keys"))
    options = call(client, "/account/keys/options", token).get_json()
    handle = options["user"]["id"]
    key = SoftKey()
    assert call(client, "/account/keys", token, {"name": "Khoá", "credential": key.create(options)}).status_code \
        == 201
    assert bus.dependencies["accounts"].get("cb-lan").user_handle == handle and handle != "Y2ItbGFu"
    assert call(client, "/account/keys/options", token).get_json()["user"]["id"] == handle
    page = client.get("/account/keys")
    client.post("/account/keys/remove", data={"csrf_token": csrf_of(page), "credential_id": key.credential_id,
                                              "version": str(bus.dependencies["accounts"].get("cb-lan").version)})
    assert call(client, "/account/keys/options", token).get_json()["user"]["id"] == handle
    other = portal.test_client()
    enrolled(other, clock, username="cb-hoa")
    theirs = call(other, "/account/keys/options", csrf_of(other.get("/account/keys"))).get_json()["user"]["id"]
    assert theirs != handle and len(theirs) == len(handle)
