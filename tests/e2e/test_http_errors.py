"""Errors from a real gunicorn: those gunicorn raises before any application runs, werkzeug's routing and size
errors, and bodies nested too deep, are all application/problem+json (RFC 9457) on every service."""
from __future__ import annotations

import socket

import pytest
import requests

from tests.problem import check_problem
from tests.support import SERVICES

pytestmark = pytest.mark.e2e


def exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes (what no HTTP client library would send) and read one answer, by its Content-Length."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed before an answer: {data!r}"
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {name.strip().lower(): value.strip() for name, value in (line.split(":", 1) for line in lines[1:])}
        while len(body) < int(headers["content-length"]):
            chunk = sock.recv(65536)
            assert chunk, "connection closed before the whole body"
            body += chunk
    return int(lines[0].split()[1]), headers, body


def raw_problem(port: int, request: bytes, expected: int) -> dict:
    status, headers, body = exchange(port, request)
    return check_problem(status, headers.get("content-type"), body, expected)


def problem_of(response: requests.Response, expected: int) -> dict:
    return check_problem(response.status_code, response.headers.get("Content-Type"), response.content, expected)


@pytest.mark.parametrize("service", SERVICES)
def test_a_query_string_of_10000_characters_is_a_414_problem(system, service):
    response = requests.get(f"{system.urls[service]}/api/v1/openapi.json", params={"q": "x" * 10_000}, timeout=15)
    assert "Request Line is too large" in problem_of(response, 414)["detail"]


@pytest.mark.parametrize("service", SERVICES)
def test_a_header_too_large_and_too_many_headers_are_431_problems(system, service):
    url = f"{system.urls[service]}/healthz"
    problem_of(requests.get(url, headers={"X-Note": "x" * 10_000}, timeout=15), 431)
    problem_of(requests.get(url, headers={f"X-Note-{i}": "x" for i in range(120)}, timeout=15), 431)


@pytest.mark.parametrize("service", SERVICES)
def test_malformed_request_lines_and_headers_are_400_problems(system, service):
    port = system.ports[service]
    assert "Invalid HTTP request line" in raw_problem(port, b"NONSENSE\r\n\r\n", 400)["detail"]
    raw_problem(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Name: 1\r\n\r\n", 400)
    raw_problem(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n", 400)


@pytest.mark.parametrize("service", SERVICES)
def test_werkzeug_errors_are_problems_and_a_405_says_what_is_allowed(system, service, auth):
    base = system.urls[service]
    headers = auth(subject="e2e", roles=["caseworker"], unit="UBX-22366", areas=["56"])
    problem_of(requests.get(f"{base}/api/v1/no-such-thing", headers=headers, timeout=15), 404)
    not_allowed = requests.delete(f"{base}/healthz", timeout=15)
    problem_of(not_allowed, 405)
    assert {m.strip() for m in not_allowed.headers["Allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}
    too_large = (f"POST /api/v1/anything HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                 f"Content-Type: application/json\r\nContent-Length: {3 * 1024 * 1024}\r\n\r\n").encode()
    raw_problem(system.ports[service], too_large, 413)


DEEP = "[" * 1000 + "]" * 1000
WRITES = {"plans": ("POST", "/api/v1/units"), "cases": ("POST", "/api/v1/cases"),
          "notifications": ("PUT", "/api/v1/inbox/any/acknowledgement")}


@pytest.mark.parametrize("service", SERVICES)
def test_a_body_nested_1000_deep_is_a_400_problem_naming_the_body(system, service, auth):
    method, path = WRITES[service]
    headers = {**auth(subject="e2e", roles=["caseworker", "plan_coordinator"], unit="UBX-22366", areas=["56"]),
               "Content-Type": "application/json"}
    response = requests.request(method, f"{system.urls[service]}{path}", data=DEEP, headers=headers, timeout=15)
    assert "_body" in problem_of(response, 400)["errors"]
