"""The portal's adapter to the services' APIs, against a real HTTP server: a page's independent reads go out at
once and come back in order, each answer or its refusal in its place; the answers every caller gets alike (the
legal workflows, the unit directory) are asked once a while, any other every time."""
from __future__ import annotations

import threading

from pytest_httpserver import HTTPServer
from werkzeug import Response

from services.portal.adapters.services_api import HttpServicesApi, ServiceUrls
from services.portal.domain.pages import ServiceProblem


def api_of(server: HTTPServer) -> HttpServicesApi:
    base = server.url_for("").rstrip("/")
    return HttpServicesApi(ServiceUrls(plans=base, cases=base, notifications=base, timeout=5))


def test_independent_reads_are_in_flight_together_and_answer_in_order(services):
    """Each of the three answers waits until all three requests have arrived: read one after another, they would
    time out instead."""
    httpserver = services
    arrived = threading.Barrier(3, timeout=3)

    def answer(body, status=200):
        def respond(_request):
            arrived.wait()
            return Response(body, status=status, content_type="application/json")
        return respond

    httpserver.expect_request("/api/v1/cases/c1").respond_with_handler(answer('{"id": "c1"}'))
    httpserver.expect_request("/api/v1/cases/c1/history").respond_with_handler(answer('[{"type": "x"}]'))
    httpserver.expect_request("/api/v1/cases/c1/transitions").respond_with_handler(
        answer('{"type": "about:blank", "title": "Forbidden", "status": 403}', 403))
    case, history, steps = api_of(httpserver).get_many(
        [("cases", "/cases/c1", None), ("cases", "/cases/c1/history", None),
         ("cases", "/cases/c1/transitions", None)], "token")
    assert case[0] == {"id": "c1"} and history[0] == [{"type": "x"}]
    assert isinstance(steps, ServiceProblem) and steps.status == 403


def test_answers_alike_for_every_caller_are_asked_once_a_while_and_others_every_time(httpserver):
    httpserver.expect_request("/api/v1/workflows").respond_with_json([{"regime": "law-73"}])
    httpserver.expect_request("/api/v1/units").respond_with_json([{"unit_code": "PK-1"}])
    httpserver.expect_request("/api/v1/cases/c1").respond_with_json({"id": "c1"})
    api = api_of(httpserver)
    for _ in range(3):
        assert api.get("cases", "/workflows", "token")[0] == [{"regime": "law-73"}]
        assert api.get("plans", "/units", "token", {"page_size": 100})[0] == [{"unit_code": "PK-1"}]
        assert api.get("cases", "/cases/c1", "token")[0] == {"id": "c1"}
    asked = [request.path for request, _ in httpserver.log]
    assert asked.count("/api/v1/workflows") == 1 and asked.count("/api/v1/units") == 1
    assert asked.count("/api/v1/cases/c1") == 3


def test_a_read_started_ahead_is_taken_by_the_same_requests_get_only(httpserver):
    """The header's counts start as soon as a page has its token: the page's own `get` of them takes that answer
    (asked once); another request (another token) asks for its own."""
    httpserver.expect_request("/api/v1/inbox/counts").respond_with_json({"unacknowledged": 2})
    api = api_of(httpserver)
    api.ahead([("notifications", "/inbox/counts", None)], "token-1")
    assert api.get("notifications", "/inbox/counts", "token-1")[0] == {"unacknowledged": 2}
    assert api.get("notifications", "/inbox/counts", "token-2")[0] == {"unacknowledged": 2}
    assert [request.headers["Authorization"] for request, _ in httpserver.log] == ["Bearer token-1", "Bearer token-2"]
