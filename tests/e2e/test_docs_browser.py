"""Each service's docs page, opened by a real headless Chromium from a real gunicorn, lists the API's operations
without fetching anything from anywhere but the service: Swagger UI is served from the packaged copy."""
from __future__ import annotations

import pytest
import requests

from tests.support import SERVICES

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
"""Debian's chromium (deploy/lib.sh installs it); Playwright never downloads a browser of its own."""
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
KNOWN_PATH = {"plans": "/api/v1/plans/{plan_id}/tasks", "cases": "/api/v1/cases/{case_id}/transitions",
              "notifications": "/api/v1/inbox/{alert_id}/acknowledgement"}
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def operation_count(origin: str) -> int:
    document = requests.get(f"{origin}/api/v1/openapi.json", timeout=15).json()
    return sum(1 for item in document["paths"].values() for method in item if method in METHODS)


@pytest.mark.parametrize("service", SERVICES)
def test_the_docs_page_lists_every_operation_with_nothing_fetched_from_elsewhere(system, browser, service):
    origin = system.urls[service]
    elsewhere: list[str] = []

    def only_the_service(route):
        if route.request.url.startswith(origin + "/"):
            return route.continue_()
        elsewhere.append(route.request.url)
        return route.abort()

    page = browser.new_page()
    try:
        page.route("**/*", only_the_service)
        page.goto(f"{origin}/api/v1/docs")
        page.wait_for_selector(f'.opblock-summary-path[data-path="{KNOWN_PATH[service]}"]', timeout=30_000)
        assert page.locator(".opblock").count() == operation_count(origin)
    finally:
        page.close()
    assert elsewhere == []
