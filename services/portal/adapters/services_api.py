"""The three services' HTTP APIs as the portal calls them: with the signed-in person's own access token, a
timeout on every call, and every refusal or silence turned into a `ServiceProblem` (never an exception the pages
would answer with a 500)."""
from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import requests
from urllib3.filepost import encode_multipart_formdata

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


SHARED_ANSWERS = {("cases", "/workflows"): 300.0, ("plans", "/units"): 60.0}
"""Answers that are the same for every caller and seldom change, kept by each process for that many seconds: the
legal workflows (they change with a deployment), which name every case page's stages, and the unit directory,
which every case page offers to refer to (a unit registered since shows within a minute)."""
CALLS_AT_ONCE = 16
STARTED_KEPT_SECONDS = 60.0
"""A read started ahead and never taken (its page failed first) is forgotten after this long."""


class HttpServicesApi:
    """One pooled `requests` session per process; no retries: a person retries by reloading, and a write is never
    sent twice behind their back."""

    def __init__(self, urls: ServiceUrls, session: requests.Session | None = None):
        self.urls, self.session = urls, session or requests.Session()
        self._environment = {service: _environment(self.session, urls.base(service)) for service in DEFAULT_URLS}
        self.session.trust_env = False
        self._shared: dict[tuple, tuple[float, object, dict]] = {}
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._started: dict[tuple, tuple[float, Future]] = {}

    def ahead(self, calls: list[tuple[str, str, dict | None]], token: str) -> None:
        """Start reads a page makes later (its header's counts) so that they run beside its own: the `get` of the
        same call with the same token (one a request) takes the answer."""
        now = time.monotonic()
        with self._lock:
            for key in [key for key, (at, _) in self._started.items() if now - at > STARTED_KEPT_SECONDS]:
                del self._started[key]
        for service, path, params in calls:
            future = self._pool().submit(self._fetch, service, path, token, params)
            with self._lock:
                self._started[(service, path, _params_key(params), token)] = (now, future)

    def get(self, service: str, path: str, token: str, params: dict | None = None) -> tuple[object, dict]:
        with self._lock:
            started = self._started.pop((service, path, _params_key(params), token), None)
        return started[1].result() if started else self._fetch(service, path, token, params)

    def _fetch(self, service: str, path: str, token: str, params: dict | None) -> tuple[object, dict]:
        kept_for, key = SHARED_ANSWERS.get((service, path)), (service, path, _params_key(params))
        if kept_for is not None:
            kept = self._shared.get(key)
            if kept is not None and kept[0] > time.monotonic():
                return kept[1], kept[2]
        response = self._send("GET", service, path, token, params=params)
        answer = self._body(service, response), dict(response.headers)
        if kept_for is not None:
            self._shared[key] = (time.monotonic() + kept_for, *answer)
        return answer

    def get_many(self, calls: list[tuple[str, str, dict | None]], token: str) -> list:
        """A page's independent reads at once (service, path, params each): in order, each answer as `get` gives
        it or the ServiceProblem it raised. The page waits for the slowest, not for their sum."""
        futures = [self._pool().submit(self.get, service, path, token, params) for service, path, params in calls]
        return [_outcome(future) for future in futures]

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(CALLS_AT_ONCE, thread_name_prefix="portal-services")
            return self._executor

    def put(self, service: str, path: str, token: str, headers: dict | None = None) -> object:
        return self._body(service, self._send("PUT", service, path, token, headers=headers))

    def write(self, method: str, service: str, path: str, token: str, body: dict | None = None,
              headers: dict | None = None) -> tuple[object, dict]:
        """A write with a JSON body; the answer's headers carry its ETag."""
        response = self._send(method, service, path, token, headers=headers, body=body)
        return self._body(service, response), dict(response.headers)

    def upload(self, service: str, path: str, token: str, field: str, filename: str, content: bytes,
               boundary: str, headers: dict | None = None) -> tuple[object, dict]:
        """A file POSTed as multipart/form-data, framed with the caller's `boundary` (requests draws a random one,
        which would make a resent form a different request to an Idempotency-Key)."""
        safe_name = "".join(c for c in filename if c.isprintable() and c not in '"\\\r\n')[:100] or "register"
        body, content_type = encode_multipart_formdata({field: (safe_name, content, "application/octet-stream")},
                                                       boundary=boundary)
        response = self._send("POST", service, path, token, data=body,
                              headers={**(headers or {}), "Content-Type": content_type})
        return self._body(service, response), dict(response.headers)

    def download(self, service: str, path: str, token: str, params: dict) -> tuple[object, dict]:
        """A file answered by a GET, passed on in chunks as it arrives (the answer is checked before the first)."""
        response = self._send("GET", service, path, token, params=params, stream=True)
        return response.iter_content(64 * 1024), dict(response.headers)

    def _send(self, method: str, service: str, path: str, token: str, params=None, headers=None, body=None,
              data=None, stream=False):
        try:
            response = self.session.request(
                method, f"{self.urls.base(service)}/api/v1{path}", params=params, timeout=self.urls.timeout,
                json=body, data=data, stream=stream, **self._environment[service],
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


def _environment(session: requests.Session, base_url: str) -> dict:
    """The proxies and CA bundle the environment gives a service's URL (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE),
    read once: left to `requests`, every call would read them again and look for a .netrc file (py-spy: 5 % of the
    portal's time serving case pages). A CA bundle only for https: given for http too, every call would still ask
    the file system whether it is a directory."""
    settings = session.merge_environment_settings(base_url, {}, None, None, None)
    return {"proxies": settings["proxies"], "verify": settings["verify"] if base_url.startswith("https") else True}


def _params_key(params: dict | None) -> tuple:
    """A hashable key of the parameters; a list (a repeated parameter) as a tuple."""
    return tuple(sorted((name, tuple(value) if isinstance(value, list) else value)
                        for name, value in (params or {}).items()))


def _outcome(future):
    error = future.exception()
    if error is None:
        return future.result()
    if isinstance(error, ServiceProblem):
        return error
    raise error


def _json(response):
    try:
        return response.json()
    except ValueError:
        return None
