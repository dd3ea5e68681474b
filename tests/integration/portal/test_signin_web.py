"""The web sign-in against the real FerretDB: password, then enrolment or the one-time code; lockout, replay,
CSRF, rate limits, idle timeout; the session's access token."""
from shared.auth import TokenVerifier
from services.roles import ROLES
import pytest

from services.portal.entrypoints.app import create_app
from services.portal.settings import PortalSettings
from tests.integration.portal.conftest import CHEAP, PASSWORD, code_at, csrf_of, enrolled, form

PUBLIC_HTTPS = "https://portal.donghanh.example.gov.vn"


def test_a_first_sign_in_enrols_the_authenticator_and_shows_the_home_page(client, clock, make_account, portal):
    make_account()
    login = client.get("/login")
    assert "default-src 'none'" in login.headers["Content-Security-Policy"] and "unsafe-inline" not in \
        login.headers["Content-Security-Policy"]
    assert 'lang="vi"' in login.get_data(as_text=True) and "Đăng nhập" in login.get_data(as_text=True)
    enrolled(client, clock)
    home = client.get("/")
    page = home.get_data(as_text=True)
    assert home.status_code == 200 and "Nguyễn Thị Lan" in page and "UBX-22366" in page and \
        'data-role="caseworker"' in page
    cookie = client.get_cookie("dh_session")
    assert cookie.http_only and cookie.same_site == "Lax"
    token = client.post("/session/token", data={"csrf_token": csrf_of(home)})
    assert token.status_code == 200, token.get_json()
    settings = portal.extensions["portal_settings"]
    principal = TokenVerifier("donghanh", settings.public_url, str(settings.public_key_file), roles=ROLES).verify(
        token.get_json()["access_token"])
    assert (principal.subject, principal.roles, principal.unit, principal.areas) == \
        ("cb-lan", ("caseworker",), "UBX-22366", ("22366",))
    assert token.get_json()["expires_in"] == 300


def test_a_code_is_good_once(client, clock, make_account):
    make_account()
    secret = enrolled(client, clock)
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/"))})
    assert form(client, "/login", {"username": "cb-lan", "password": PASSWORD}).headers["Location"].endswith(
        "/login/code")
    replayed = form(client, "/login/code", {"code": code_at(secret, clock)}, page="/login/code")
    assert replayed.status_code == 401 and "đã được sử dụng" in replayed.get_data(as_text=True)
    clock.advance(seconds=30)
    fresh = form(client, "/login/code", {"code": code_at(secret, clock)}, page="/login/code")
    assert fresh.status_code == 302 and client.get("/").status_code == 200


def test_an_old_code_is_called_expired(client, clock, make_account):
    make_account()
    secret = enrolled(client, clock)
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/"))})
    old = code_at(secret, clock)
    clock.advance(seconds=120)
    form(client, "/login", {"username": "cb-lan", "password": PASSWORD})
    expired = form(client, "/login/code", {"code": old}, page="/login/code")
    assert expired.status_code == 401 and "đã hết hạn" in expired.get_data(as_text=True)


def test_five_wrong_passwords_lock_the_account_for_15_minutes(client, clock, make_account):
    make_account(username="ubnd-reporter", roles=("unit_reporter",))
    for attempt in range(5):
        answer = form(client, "/login", {"username": "ubnd-reporter", "password": f"sai mật khẩu {attempt}"})
    assert answer.status_code == 401 and "Tài khoản tạm khoá" in answer.get_data(as_text=True)
    right = form(client, "/login", {"username": "ubnd-reporter", "password": PASSWORD})
    assert "Tài khoản tạm khoá" in right.get_data(as_text=True)
    clock.advance(minutes=15)
    again = form(client, "/login", {"username": "ubnd-reporter", "password": PASSWORD})
    assert again.status_code == 302 and client.get("/").status_code == 200


def test_a_forged_csrf_token_is_refused_and_nothing_happens(client, make_account, bus):
    make_account()
    client.get("/login")
    forged = client.post("/login", data={"username": "cb-lan", "password": PASSWORD, "csrf_token": "forged"})
    assert forged.status_code == 400 and "Biểu mẫu đã hết hạn" in forged.get_data(as_text=True)
    assert client.get_cookie("dh_session") is None
    assert bus.dependencies["login_log"].recent("cb-lan", 10) == []


def test_an_idle_session_ends_after_30_minutes(client, clock, make_account):
    make_account(username="dieu-phoi", roles=("plan_coordinator",), areas=("56",), unit="UBND-T56")
    assert form(client, "/login", {"username": "dieu-phoi", "password": PASSWORD}).headers["Location"].endswith("/")
    clock.advance(minutes=29)
    assert client.get("/").status_code == 200
    clock.advance(minutes=31)
    assert client.get("/").headers["Location"].endswith("/login")


def test_attempts_over_the_limit_answer_429_with_retry_after(portal_env, clock):
    from services.portal.entrypoints.app import create_app
    from services.portal.settings import PortalSettings
    from tests.integration.portal.conftest import CHEAP
    client = create_app(PortalSettings.from_env({**portal_env, "PORTAL_ATTEMPTS_PER_ACCOUNT": "3"}), hasher=CHEAP,
                        clock=clock).test_client()
    answers = [form(client, "/login", {"username": "ai-do", "password": "không biết gì cả"}) for _ in range(4)]
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    assert "Quá nhiều lần thử" in answers[-1].get_data(as_text=True)


def test_disabling_an_account_ends_its_session_and_refresh(client, clock, make_account, bearer):
    make_account()
    enrolled(client, clock)
    home = client.get("/")
    response = client.put("/api/v1/accounts/cb-lan/status", headers=bearer(),
                          json={"status": "disabled", "reason": "Chuyển công tác"})
    assert response.status_code == 200 and response.get_json()["status"] == "disabled"
    assert client.post("/session/token", data={"csrf_token": csrf_of(home)}).status_code == 401
    assert client.get("/").headers["Location"].endswith("/login")
    refused = form(client, "/login", {"username": "cb-lan", "password": PASSWORD})
    assert "vô hiệu hoá" in refused.get_data(as_text=True)


def test_english_pages_on_request(client):
    client.get("/language/en")
    assert "Sign in" in client.get("/login").get_data(as_text=True)


def test_the_stylesheet_is_served_with_the_pages_headers(client):
    page = client.get("/login").get_data(as_text=True)
    stylesheet = client.get("/assets/portal.css")
    assert 'href="/assets/portal.css"' in page and stylesheet.status_code == 200
    assert "max-width" in stylesheet.get_data(as_text=True) and "Content-Security-Policy" in stylesheet.headers


@pytest.mark.parametrize("tls", ["at the portal", "at a proxy"])
def test_over_https_a_form_is_taken_with_a_same_origin_referer_only(tls, portal_env, clock, make_account, bus):
    """flask-wtf refuses a secure POST without a same-origin Referer (WTF_CSRF_SSL_STRICT): the pages' policy
    `same-origin` lets browsers send it to the portal itself, and no further."""
    make_account()
    env = {**portal_env, "PORTAL_PUBLIC_URL": PUBLIC_HTTPS, "PORTAL_PROXY_HOPS": "1" if tls == "at a proxy" else "0"}
    client = create_app(PortalSettings.from_env(env), hasher=CHEAP, clock=clock).test_client()
    if tls == "at the portal":
        via = {"base_url": PUBLIC_HTTPS}
    else:
        via = {"base_url": PUBLIC_HTTPS.replace("https:", "http:"),
               "headers": {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}}

    def posted(referer: str | None):
        headers = {**via.get("headers", {}), **({"Referer": referer} if referer else {})}
        token = csrf_of(client.get("/login", **via))
        return client.post("/login", base_url=via["base_url"], headers=headers,
                           data={"username": "cb-lan", "password": PASSWORD, "csrf_token": token})
    page = client.get("/login", **via)
    assert page.headers["Referrer-Policy"] == "same-origin"
    for foreign in ("https://evil.example/login", f"http://{PUBLIC_HTTPS[8:]}/login", None):
        refused = posted(foreign)
        assert refused.status_code == 400 and "Biểu mẫu đã hết hạn" in refused.get_data(as_text=True), foreign
    assert bus.dependencies["login_log"].recent("cb-lan", 10) == [] and client.get_cookie("dh_session") is None
    taken = posted(f"{PUBLIC_HTTPS}/login")
    assert taken.status_code == 302 and taken.headers["Location"].endswith("/enrol"), taken.get_data(as_text=True)
    cookie = client.get_cookie("dh_session", domain=PUBLIC_HTTPS[8:])
    assert cookie is not None and cookie.secure
