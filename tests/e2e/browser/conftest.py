"""One running system for every browser module of this package (each start costs ~20 s of CI's budget), stopped
when the package's tests end: its workers share the test broker's queues, so no other module's system may run
beside it (each would consume some of the other's events). The system: the portal, the plans, cases and
notifications APIs and their workers under gunicorn, the services verifying tokens through the portal's discovery,
the unit directory registered through the plans API and copied into cases and notifications by their consumers;
and one headless Chromium (Debian's, driven by Playwright)."""
from __future__ import annotations

import uuid

import pymongo
import pytest

from services.portal.assets.vendor import AXE
from tests.e2e.browser.support import BASE_PORT, PORTAL, SCREENSHOTS, agency
from tests.e2e.test_docs_browser import CHROMIUM, FLAGS
from tests.support import System, wait_for

UNITS = [("CAX-22366", "Công an phường Nha Trang", "commune_police", "22366"),
         ("UBX-22366", "UBND phường Nha Trang", "commune_committee", "22366"),
         ("CA-T56-PC04", "Phòng PC04", "provincial_police", "56")]
APIS = ("plans", "cases", "notifications")


@pytest.fixture(scope="package")
def browser_processes(ferretdb, broker):
    """The processes, before the unit directory: use `browser_system`."""
    system = System(ferretdb.uri, broker, db_prefix=f"e2ebrowser{uuid.uuid4().hex[:6]}", base_port=BASE_PORT,
                    extra_env={"OIDC_DISCOVERY_URL": f"{PORTAL}/.well-known/openid-configuration",
                               "JWT_ISSUER": PORTAL, "PORTAL_PUBLIC_URL": PORTAL, "DONGHANH_ENV": "development",
                               "LOG_LEVEL": "WARNING", "PLANS_URL": f"http://127.0.0.1:{BASE_PORT + 1}",
                               "CASES_URL": f"http://127.0.0.1:{BASE_PORT + 2}",
                               "NOTIFICATIONS_URL": f"http://127.0.0.1:{BASE_PORT + 3}"})
    system.apis["portal"] = system._spawn("portal", [
        "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "services.portal.entrypoints.app:create_app()"],
        {**system.env, "SERVICE_PORT": str(BASE_PORT + 4)})
    for service in APIS:
        system.start_api(service)
        system.start_worker(service)
    system.urls["portal"] = PORTAL
    try:
        for service in ("portal", *APIS):
            wait_for(lambda: system.ready(service), 60, 0.2, f"{service} to be ready")
        yield system
    finally:
        system.stop()


@pytest.fixture(scope="package")
def plans_coordinator(browser_processes):
    """The province's coordinating agency system on the plans API (each client costs a CLI start: share it)."""
    return agency(browser_processes, "ubnd-t56-app", "plan_coordinator", "UBND-T56", "56", "plans")


@pytest.fixture(scope="package")
def cases_committee(browser_processes):
    """The commune committee's agency system on the cases API: it opens the cases the tests work on."""
    return agency(browser_processes, "ubx-22366-app", "caseworker", "UBX-22366", "22366", "cases")


@pytest.fixture(scope="package")
def browser_system(browser_processes, plans_coordinator):
    """The running system with its unit directory registered through the plans API, as the province's coordinator
    does, and copied into cases and notifications by their consumers."""
    for code, name, kind, area in UNITS:
        registered = plans_coordinator("POST", "/units", json={"unit_code": code, "name": name, "kind": kind,
                                                               "area_code": area})
        assert registered.status_code == 201, registered.text
    client = pymongo.MongoClient(browser_processes.env["MONGODB_URI"], serverSelectionTimeoutMS=3000)
    try:
        for service in ("cases", "notifications"):
            units = client[f"{browser_processes.env['MONGODB_DB_PREFIX']}_{service}"]["units"]
            wait_for(lambda: units.count_documents({}) == len(UNITS), 30, 0.2, f"the unit directory in {service}")
    finally:
        client.close()
    return browser_processes


@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import sync_playwright

    assert AXE.exists(), "axe-core is not installed: ./deploy/test.sh runs npm ci (deploy/lib.sh install_assets)"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()
