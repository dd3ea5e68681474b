"""The three services' HTTP APIs as the portal calls them: with the signed-in person's own access token, a
timeout on every call, and every refusal or silence turned into a `ServiceProblem` (never an exception the pages
would answer with a 500)."""
from __future__ import annotations

from dataclasses import dataclass

import requests

from shared.settings import SettingsError, _number

from services.portal.domain.pages import UNAVAILABLE, ServiceProblem

DEFAULT_URLS = {"plans": "http://127.0.0.1:8101", "cases": "http://127.0.0.1:8102",
                "notifications": "http://127.0.0.1:8103"}


@dataclass(frozen=True)
class ServiceUrls:
    """PLANS_URL, CASES_URL, NOTIFICATIONS_URL (loopback ports 8101-8103 by default) and
    PORTAL_SERVICE_TIMEOUT_SECONDS (5): a page waits no longer than that for a service (connect and read each)."""
    plans: str = DEFAULT_URLS["plans"]
    cases: str = DEFAULT_URLS["cases"]
    notifications: str = DEFAULT_URLS["notifications"]
    timeout: float = 5.0

    @classmethod
    def from_env(cls, env) -> "ServiceUrls":
        urls = {name: (env.get(f"{name.upper()}_URL") or default).rstrip("/") for name, default in DEFAULT_URLS.items()}
        for name, url in urls.items():
            if not url.startswith(("http://", "https://")):
                raise SettingsError(f"{name.upper()}_URL={url!r} must be an http(s) URL")
        timeout = _number(env, "PORTAL_SERVICE_TIMEOUT_SECONDS", 5.0, kind=float, minimum=0.1)
        return cls(**urls, timeout=timeout)

    def base(self, service: str) -> str:
        return getattr(self, service)


class HttpServicesApi:
    """One pooled `requests` session per process; no retries: a person retries by reloading, and a write is never
    sent twice behind their back."""

    def __init__(self, urls: ServiceUrls, session: requests.Session | None = None):
        self.urls, self.session = urls, session or requests.Session()

    def get(self, service: str, path: str, token: str, params: dict | None = None) -> tuple[object, dict]:
        response = self._send("GET", service, path, token, params=params)
        return self._body(service, response), dict(response.headers)

    def put(self, service: str, path: str, token: str, headers: dict | None = None) -> object:
        return self._body(service, self._send("PUT", service, path, token, headers=headers))

    def write(self, method: str, service: str, path: str, token: str, body: dict | None = None,
              headers: dict | None = None) -> tuple[object, dict]:
        """A write with a JSON body; the answer's headers carry its ETag."""
        response = self._send(method, service, path, token, headers=headers, body=body)
        return self._body(service, response), dict(response.headers)

    def _send(self, method: str, service: str, path: str, token: str, params=None, headers=None, body=None):
        try:
            response = self.session.request(
                method, f"{self.urls.base(service)}/api/v1{path}", params=params, timeout=self.urls.timeout,
                json=body,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json", **(headers or {})})
        except requests.RequestException:
            raise ServiceProblem(service, UNAVAILABLE) from None
        if response.status_code >= 400:
            raise ServiceProblem.of_answer(service, response.status_code, _json(response))
        return response

    @staticmethod
    def _body(service: str, response):
        document = _json(response)
        if document is None:
            raise ServiceProblem(service, UNAVAILABLE, response.status_code)
        return document


def _json(response):
    try:
        return response.json()
    except ValueError:
        return None
