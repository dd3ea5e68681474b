"""Benchmark of the portal's case page against the cases API call it wraps, measured in the same run.

A caseworker signed in with password and code opens a case page (GET /cases/<id> on the portal, which reads the
case with its history and the steps the person may take in one cases API call, with the person's own token). The
baseline is the same person's token making that call directly
(GET /api/v1/cases/<id>?include=history&include=transitions). Goal (issue 10): the portal adds no more than 2x.

Usage: .venv/bin/python -m bench.portal [--seconds 8] [--concurrency 4] [--samples 60]
Starts its own FerretDB (port 27219), RabbitMQ vhost, the portal and the three APIs, and stops what it started.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import threading
import time
from datetime import date

import pyotp
import requests

from bench.common import fresh_ferretdb, percentile, timed
from tests.support import ROOT, System, fresh_vhost, wait_for

BASE_PORT = 19300
PORTAL = f"http://127.0.0.1:{BASE_PORT + 4}"
PASSWORD = "cùng nhau đi qua mùa mưa dài"
SERVICES_READ = ("plans", "cases", "notifications")
"""As in production: the case page's header counts and referral units come from the other two."""
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def cli(env, *args, password=None) -> dict:
    done = subprocess.run([sys.executable, "-m", "services.portal.entrypoints.cli", *args], cwd=ROOT, env=env,
                          input=password, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def signed_in(env) -> requests.Session:
    secret = cli(env, "create-account", "lan.bench", "--name", "Nguyễn Thị Lan", "--unit", "UBX-22366",
                 "--role", "caseworker", "--area", "22366", "--password-stdin", "--enrol-totp",
                 password=PASSWORD + "\n")["totp_secret"]
    browser = requests.Session()
    login = browser.get(f"{PORTAL}/login", timeout=10).text
    browser.post(f"{PORTAL}/login", data={"username": "lan.bench", "password": PASSWORD,
                                          "csrf_token": CSRF.search(login).group(1)}, timeout=10)
    code = browser.get(f"{PORTAL}/login/code", timeout=10).text
    done = browser.post(f"{PORTAL}/login/code", data={"code": pyotp.TOTP(secret).now(),
                                                      "csrf_token": CSRF.search(code).group(1)}, timeout=10,
                        allow_redirects=False)
    assert done.status_code == 302 and done.headers["Location"] == "/", done.text
    return browser


def access_token(browser: requests.Session) -> str:
    home = browser.get(f"{PORTAL}/", timeout=10).text
    answer = browser.post(f"{PORTAL}/session/token", data={"csrf_token": CSRF.search(home).group(1)}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def open_case(system: System, token: str) -> str:
    opened = requests.post(f"{system.urls['cases']}/api/v1/cases", timeout=15,
                           headers={"Authorization": f"Bearer {token}"},
                           json={"person": {"full_name": "Lê Văn Hùng", "birth_date": "1990-04-02", "sex": "male"},
                                 "commune_code": "22366", "opened_on": date.today().isoformat()})
    assert opened.status_code == 201, opened.text
    return opened.json()["id"]


def throughput(get, seconds: float, concurrency: int) -> float:
    """Pages (or API answers) per second, `concurrency` callers each with its own `get()` session."""
    counts = [0] * concurrency
    deadline = time.perf_counter() + seconds

    def hammer(slot):
        call = get()
        while time.perf_counter() < deadline:
            call()
            counts[slot] += 1

    threads = [threading.Thread(target=hammer, args=(slot,)) for slot in range(concurrency)]
    started = time.perf_counter()
    [thread.start() for thread in threads]
    [thread.join() for thread in threads]
    return sum(counts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args()
    ferretdb = fresh_ferretdb(27219, 28290, "ferretdb-portal")
    amqp_url = fresh_vhost("donghanh_bench_portal")
    system = System(ferretdb.uri, amqp_url, "benchportal", base_port=BASE_PORT, extra_env={
        "OIDC_DISCOVERY_URL": f"{PORTAL}/.well-known/openid-configuration", "JWT_ISSUER": PORTAL,
        "PORTAL_PUBLIC_URL": PORTAL, "DONGHANH_ENV": "development", "LOG_LEVEL": "WARNING",
        "CASES_URL": f"http://127.0.0.1:{BASE_PORT + 2}", "PLANS_URL": f"http://127.0.0.1:{BASE_PORT + 1}",
        "NOTIFICATIONS_URL": f"http://127.0.0.1:{BASE_PORT + 3}"})
    try:
        subprocess.run([sys.executable, "-m", "services.topology", "declare", "--amqp-url", amqp_url], check=True)
        system.apis["portal"] = system._spawn("portal", [
            "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "services.portal.entrypoints.app:create_app()"],
            {**system.env, "SERVICE_PORT": str(BASE_PORT + 4)})
        system.urls["portal"] = PORTAL
        for service in SERVICES_READ:
            system.start_api(service)
        for service in ("portal", *SERVICES_READ):
            wait_for(lambda: system.ready(service), 60, 0.2, f"{service} to be ready")
        browser = signed_in(system.env)
        token = access_token(browser)
        case_id = open_case(system, token)
        page_url = f"{PORTAL}/cases/{case_id}"
        api_url = f"{system.urls['cases']}/api/v1/cases/{case_id}?include=history&include=transitions"
        cookies = browser.cookies.get_dict()

        def portal_session():
            session = requests.Session()
            session.cookies.update(cookies)
            return lambda: _ok(session.get(page_url, timeout=15), "the case page")

        def api_session():
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            return lambda: _ok(session.get(api_url, timeout=15), "the case")

        for make in (portal_session, api_session):
            timed(make(), 10)
        page_samples = timed(portal_session(), args.samples)
        api_samples = timed(api_session(), args.samples)
        page_rate = throughput(portal_session, args.seconds, args.concurrency)
        api_rate = throughput(api_session, args.seconds, args.concurrency)
    finally:
        system.stop()
        ferretdb.stop()
    page_p50, api_p50 = statistics.median(page_samples), statistics.median(api_samples)
    print(f"case page through the portal: p50 {page_p50 * 1000:.1f} ms, p95 "
          f"{percentile(page_samples, 95) * 1000:.1f} ms, {page_rate:.1f} pages/s at concurrency {args.concurrency}")
    print(f"the cases API call it wraps:  p50 {api_p50 * 1000:.1f} ms, p95 "
          f"{percentile(api_samples, 95) * 1000:.1f} ms, {api_rate:.1f} answers/s")
    print(f"portal / API: latency p50 {page_p50 / api_p50:.2f}x, throughput {api_rate / page_rate:.2f}x "
          f"(goal <= 2x)")


def _ok(response: requests.Response, what: str) -> None:
    if response.status_code != 200:
        raise SystemExit(f"{what} answered {response.status_code}: {response.text[:300]}")


if __name__ == "__main__":
    main()
