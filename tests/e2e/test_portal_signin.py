"""The portal under gunicorn, end to end: an account made with the CLI signs in through the HTML forms with its
password and a TOTP code, takes an access token, and a real cases API (configured with OIDC_DISCOVERY_URL at the
portal) accepts it; disabled, its session and refresh end. Lockout, a forged CSRF token and a replayed code are
refused."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import uuid

import jwt
import pyotp
import pytest
import requests

from shared.auth import DiscoveryRefused, TokenVerifier
from services.roles import ROLES
from tests.support import ROOT, SLOT, VAR, wait_for

PORTAL_PORT, CASES_PORT = 18104 + 100 * SLOT + 50, 18102 + 100 * SLOT + 50
PORTAL = f"http://127.0.0.1:{PORTAL_PORT}"
CASES = f"http://127.0.0.1:{CASES_PORT}"
DISCOVERY = f"{PORTAL}/.well-known/openid-configuration"
PASSWORD = "đi cùng nhau trên đường dài"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def env(ferretdb, broker):
    environment = {**os.environ, "MONGODB_URI": ferretdb.uri, "AMQP_URL": broker, "DH_VAR_DIR": str(VAR),
                   "MONGODB_DB_PREFIX": f"e2eportal{uuid.uuid4().hex[:6]}", "PORTAL_PUBLIC_URL": PORTAL,
                   "GUNICORN_WORKERS": "2", "LOG_LEVEL": "WARNING", "DONGHANH_ENV": "development"}
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return environment


def _serve(app: str, port: int, env: dict, log_name: str) -> subprocess.Popen:
    log = open(VAR / "log" / f"{log_name}-{SLOT}.log", "ab")
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", app], cwd=ROOT,
                            env={**env, "SERVICE_PORT": str(port)}, stdout=log, stderr=log, start_new_session=True)


def _ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def system(env):
    """The portal, and the cases API verifying tokens through the portal's discovery (started at once: it waits
    for the portal)."""
    processes = [_serve("services.portal.entrypoints.app:create_app()", PORTAL_PORT, env, "e2e-portal"),
                 _serve("services.cases.entrypoints.app:create_app()", CASES_PORT,
                        {**env, "OIDC_DISCOVERY_URL": DISCOVERY, "JWT_ISSUER": PORTAL}, "e2e-portal-cases")]
    try:
        wait_for(lambda: _ready(PORTAL) and _ready(CASES), 60, 0.2, "the portal and the cases API")
        yield
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(15)


def cli(env, *args, password=None):
    done = subprocess.run([sys.executable, "-m", "services.portal.entrypoints.cli", *args], cwd=ROOT, env=env,
                          input=password, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def csrf(session, path="/login") -> str:
    return CSRF.search(session.get(f"{PORTAL}{path}", timeout=10).text).group(1)


def post(session, path, data, page=None):
    return session.post(f"{PORTAL}{path}", data={**data, "csrf_token": csrf(session, page or path)}, timeout=10,
                        allow_redirects=False)


def test_sign_in_with_password_and_code_then_call_the_cases_api(system, env):
    cli(env, "create-account", "lan.nguyen", "--name", "Nguyễn Thị Lan", "--unit", "UBX-22366",
        "--role", "caseworker", "--area", "22366", "--password-stdin", password=PASSWORD + "\n")
    browser = requests.Session()
    assert post(browser, "/login", {"username": "lan.nguyen", "password": PASSWORD}).headers["Location"] == \
        "/enrol"
    enrolment = browser.get(f"{PORTAL}/enrol", timeout=10).text
    secret = re.search(r'id="secret">([A-Z2-7]+)<', enrolment).group(1)
    code = pyotp.TOTP(secret).now()
    assert post(browser, "/enrol", {"code": code}, page="/enrol").headers["Location"] == "/"
    home = browser.get(f"{PORTAL}/", timeout=10)
    assert "Nguyễn Thị Lan" in home.text and "UBX-22366" in home.text and "Cán bộ công tác xã hội" in home.text
    token = post(browser, "/session/token", {}, page="/").json()
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 300 and claims["iss"] == PORTAL
    cases = requests.get(f"{CASES}/api/v1/cases", headers={"Authorization": f"Bearer {token['access_token']}"},
                         timeout=10)
    assert cases.status_code == 200, cases.text
    forged = requests.get(f"{CASES}/api/v1/cases", headers={"Authorization": "Bearer x.y.z"}, timeout=10)
    assert forged.status_code == 401

    replaying = requests.Session()
    assert post(replaying, "/login", {"username": "lan.nguyen", "password": PASSWORD}).headers["Location"] == \
        "/login/code"
    replayed = post(replaying, "/login/code", {"code": code})
    assert replayed.status_code == 401 and "đã được sử dụng" in replayed.text

    cli(env, "disable", "lan.nguyen", "--reason", "Chuyển công tác")
    assert post(browser, "/session/token", {}, page="/login").status_code == 401
    assert browser.get(f"{PORTAL}/", timeout=10, allow_redirects=False).headers["Location"] == "/login"


def test_the_cli_refuses_bad_input_naming_the_field_and_stores_nothing(system, env):
    refused = subprocess.run([sys.executable, "-m", "services.portal.entrypoints.cli", "create-account", "yeu",
                              "--name", "Phạm Yếu", "--role", "caseworker", "--area", "22366", "--password-stdin"],
                             cwd=ROOT, env=env, input="password1234\n", capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and '"password"' in refused.stderr
    missing = subprocess.run([sys.executable, "-m", "services.portal.entrypoints.cli", "disable", "yeu", "--reason",
                              "không có"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and '"status": 404' in missing.stderr


def test_five_wrong_passwords_lock_and_a_forged_form_is_refused(system, env):
    cli(env, "create-account", "bao-cao.xa", "--name", "Lê Văn Bảo", "--unit", "UBX-22333",
        "--role", "unit_reporter", "--area", "22333", "--password-stdin", password=PASSWORD + "\n")
    browser = requests.Session()
    forged = browser.post(f"{PORTAL}/login", data={"username": "bao-cao.xa", "password": PASSWORD,
                                                   "csrf_token": "giả mạo"}, timeout=10, allow_redirects=False)
    assert forged.status_code == 400 and "Biểu mẫu đã hết hạn" in forged.text and "dh_session" not in browser.cookies
    for attempt in range(5):
        answer = post(browser, "/login", {"username": "bao-cao.xa", "password": f"sai lần {attempt}"})
    assert answer.status_code == 401 and "Tài khoản tạm khoá" in answer.text
    assert "Tài khoản tạm khoá" in post(browser, "/login", {"username": "bao-cao.xa", "password": PASSWORD}).text


def test_the_services_refuse_a_provider_naming_another_issuer(system):
    with pytest.raises(DiscoveryRefused, match="configured issuer"):
        TokenVerifier("donghanh", "https://sso.khanhhoa.gov.vn", discovery_url=DISCOVERY, roles=ROLES)
