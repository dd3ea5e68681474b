"""The plans pages against the plans API faked by a real HTTP server (pytest-httpserver): the plan list, the plan
page with its roll-up drawn as an SVG chart and given as a table (figures with Vietnamese separators, dates as
dd/mm/yyyy), a report submitted through the page with If-Match, Idempotency-Key and its figures, a 422 named next
to the form in Vietnamese with what was typed kept, a 403 as "not permitted" and a failing service as a message."""
from __future__ import annotations

import json
import re
import time

import pytest
from werkzeug import Response

from tests.integration.portal.conftest import PASSWORD, csrf_of, enrolled, form
from tests.integration.portal.pages.test_pages import COUNTS, problem

PLAN = {"id": "p-1", "version": 4, "status": "in_progress", "title": "Kế hoạch tháng hành động phòng, chống ma túy",
        "kind": "action_month", "area_code": "56", "starts_on": "2026-06-01", "ends_on": "2026-06-30",
        "document_number": "88/KH-BCĐ", "document_date": "2026-05-20", "revisions": [],
        "indicators": [{"code": "outreach_sessions", "name_vi": "Buổi tuyên truyền", "name_en": "Outreach sessions",
                        "measure": "sessions", "target": 1234.5, "actual": None, "counted_from": None},
                       {"code": "people_newly_managed", "name_vi": "Người được quản lý mới",
                        "name_en": "People newly managed", "measure": "people", "target": 50, "actual": 7,
                        "counted_from": "cases.case.opened"}],
        "reporting_periods": [{"code": "W1", "kind": "week", "starts_on": "2026-06-01", "ends_on": "2026-06-07",
                               "due_on": "2026-06-08"},
                              {"code": "final", "kind": "final", "starts_on": "2026-06-01",
                               "ends_on": "2026-06-30", "due_on": "2026-07-03"}]}
TASK = {"id": "t-1", "version": 3, "plan_id": "p-1", "title": "Tuyên truyền tại khu dân cư", "lead_unit": "CA-T56-PC04",
        "supporting_units": ["CAX-22366"], "areas": [], "place_types": [], "starts_on": "2026-06-01",
        "due_on": "2026-06-25", "indicators": [{"code": "outreach_sessions", "target": 1234.5}], "tags": [],
        "announced": True, "status": "on_track", "unassigned": {},
        "assignments": [{"unit_code": "UBX-22366", "area_code": "22366", "shares": {"outreach_sessions": 1000},
                         "assigned_on": "2026-05-21", "status": "on_track"}]}
ROLLUP = {"plan_id": "p-1", "by": "unit", "period": "all", "periods": ["W1", "final", "all"], "as_of": None,
          "rows": [], "total": {"kind": "total", "code": "56", "status": "on_track", "indicators": [
              {"code": "outreach_sessions", "target": 1234.5, "reported": 600.25, "pending": 10, "computed": None,
               "percentage": 48.62},
              {"code": "people_newly_managed", "target": 50, "reported": 0, "pending": 0, "computed": 7,
               "percentage": 14}]}}
REPORT = {"id": "r-1", "version": 2, "plan_id": "p-1", "task_id": "t-1", "unit_code": "UBX-22366",
          "area_code": "22366", "period": "W1", "status": "draft", "revision": 0, "late": False,
          "due_on": "2026-06-08", "submitted_on": None, "values": {"outreach_sessions": 3}, "approved_values": None,
          "narrative": None, "documents": [], "reviews": [], "revisions": []}
REPORT_PATH = "/api/v1/tasks/t-1/assignments/UBX-22366/reports/W1"
PAGE = "/plans/p-1/reports/t-1/UBX-22366/W1"


@pytest.fixture
def reporter(client, clock, make_account):
    make_account(username="ubx-mai", roles=("unit_reporter",), full_name="Phạm Thị Mai", unit="UBX-22366")
    return signed_in(client, clock, "ubx-mai")


def signed_in(client, clock, username):
    """Roles that see no clinical or contact data sign in without a second factor; the others enrol one."""
    answer = form(client, "/login", {"username": username, "password": PASSWORD})
    if answer.headers["Location"] != "/":
        enrolled(client, clock, username=username)
    return client


def fake_plan(services, report=REPORT):
    services.expect_request("/api/v1/inbox/counts").respond_with_json(COUNTS)
    services.expect_request("/api/v1/plans/p-1", method="GET").respond_with_json(PLAN, headers={"ETag": '"4"'})
    services.expect_request("/api/v1/plans/p-1/tasks").respond_with_json([TASK])
    services.expect_request("/api/v1/plans/p-1/reports").respond_with_json([REPORT])
    services.expect_request("/api/v1/plans/p-1/rollup").respond_with_json(ROLLUP)
    services.expect_request("/api/v1/tasks/t-1", method="GET").respond_with_json(TASK)
    if report is None:
        services.expect_request(REPORT_PATH, method="GET").respond_with_response(problem(404, "Not Found"))
    else:
        services.expect_request(REPORT_PATH, method="GET").respond_with_json(report, headers={"ETag": '"2"'})


def sent(services, path, method="POST"):
    return [request for request, _ in services.log if request.path == path and request.method == method]


def test_the_plan_list_links_each_plan_with_its_year_kind_and_status(reporter, services):
    services.expect_request("/api/v1/inbox/counts").respond_with_json(COUNTS)
    services.expect_request("/api/v1/plans").respond_with_json([PLAN], headers={"X-Pagination": '{"total": 1}'})
    page = reporter.get("/plans")
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text
    assert 'href="/plans/p-1"' in text and PLAN["title"] in text and "2026" in text
    assert "Tháng hành động" in text and "Đang thực hiện" in text and 'href="/plans"' in text
    assert sent(services, "/api/v1/plans", "GET")[0].headers["Authorization"].startswith("Bearer ")


def test_the_plan_page_draws_the_rollup_and_gives_its_figures_in_vietnamese(reporter, services):
    fake_plan(services)
    page = reporter.get("/plans/p-1")
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text
    chart = re.search(r'<svg id="rollup-chart".*?</svg>', text, re.S).group(0)
    assert "<title" in chart and "<desc" in chart and chart.count("<rect") == 6 and "style=" not in text
    assert 'width="300.0"' in chart and "1.234,5" in chart
    table = re.search(r'<table id="rollup-table">.*?</table>', text, re.S).group(0)
    for figure in ("1.234,5", "600,25", "48,62", "Buổi tuyên truyền", "Người được quản lý mới"):
        assert figure in table, figure
    assert "25/06/2026" in text and "CA-T56-PC04" in text and "UBX-22366: Buổi tuyên truyền 1.000" in text
    assert f'href="{PAGE}"' in text


def test_a_report_is_submitted_with_if_match_idempotency_key_and_its_figures(reporter, services):
    fake_plan(services)
    services.expect_request(REPORT_PATH, method="PUT", headers={"If-Match": '"2"'}).respond_with_json(
        {**REPORT, "version": 3, "values": {"outreach_sessions": 1234.5}}, headers={"ETag": '"3"'})
    services.expect_request(f"{REPORT_PATH}/submit", method="POST", headers={"If-Match": '"3"'}).respond_with_json(
        {**REPORT, "version": 4, "status": "submitted"}, headers={"ETag": '"4"'})
    form = reporter.get(PAGE)
    text = form.get_data(as_text=True)
    assert form.status_code == 200, text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', text).group(1)
    assert 'name="version" value="2"' in text and '<label for="value_outreach_sessions">' in text
    done = reporter.post(f"{PAGE}/submission", data={"csrf_token": csrf_of(form), "version": "2",
                                                      "idempotency_key": key, "value_outreach_sessions": "1234,5",
                                                      "narrative": "Đã tổ chức 12 buổi"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"{PAGE}?done=submitted"), done.data
    saved = sent(services, REPORT_PATH, "PUT")
    assert [json.loads(r.get_data()) for r in saved] == [{"values": {"outreach_sessions": 1234.5},
                                                          "narrative": "Đã tổ chức 12 buổi"}]
    assert sent(services, f"{REPORT_PATH}/submit")[0].headers["Idempotency-Key"] == key


def test_a_first_report_is_created_at_version_0(reporter, services):
    """If-Match "0": the plans API creates the report only if nobody of the unit saved one meanwhile (412 then),
    so a colleague's draft is never overwritten unseen."""
    fake_plan(services, report=None)
    services.expect_request(REPORT_PATH, method="PUT").respond_with_json(REPORT, status=201, headers={"ETag": '"1"'})
    services.expect_request(f"{REPORT_PATH}/submit", method="POST", headers={"If-Match": '"1"'}).respond_with_json(
        {**REPORT, "status": "submitted"})
    form = reporter.get(PAGE)
    assert 'name="version" value="0"' in form.get_data(as_text=True)
    done = reporter.post(f"{PAGE}/submission", data={"csrf_token": csrf_of(form), "version": "0",
                                                      "idempotency_key": "k1", "value_outreach_sessions": "4"})
    assert done.status_code == 302, done.data
    assert sent(services, REPORT_PATH, "PUT")[0].headers["If-Match"] == '"0"'


def test_a_refused_field_is_named_in_vietnamese_next_to_the_form_and_the_figures_kept(reporter, services):
    fake_plan(services)
    services.expect_request(REPORT_PATH, method="PUT").respond_with_response(problem(
        422, "Unprocessable Entity", "invalid fields", '{"values.outreach_sessions": ["must be a number from 0"]}'))
    form = reporter.get(PAGE)
    refused = reporter.post(f"{PAGE}/submission", data={"csrf_token": csrf_of(form), "version": "2",
                                                         "idempotency_key": "k2", "value_outreach_sessions": "77",
                                                         "narrative": "Ghi chú giữ lại"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422, text
    assert 'id="submit-error">Buổi tuyên truyền: must be a number from 0' in text
    assert 'value="77"' in text and "Ghi chú giữ lại" in text
    assert not sent(services, f"{REPORT_PATH}/submit")


def test_a_figure_that_is_not_a_number_is_named_and_nothing_is_sent(reporter, services):
    fake_plan(services)
    form = reporter.get(PAGE)
    refused = reporter.post(f"{PAGE}/submission", data={"csrf_token": csrf_of(form), "version": "2",
                                                         "idempotency_key": "k3", "value_outreach_sessions": "mười"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="submit-error">Buổi tuyên truyền:' in text and 'value="mười"' in text
    assert not sent(services, REPORT_PATH, "PUT")


def test_a_stale_report_shows_the_fresh_page(reporter, services):
    fake_plan(services)
    services.expect_request(REPORT_PATH, method="PUT").respond_with_response(problem(412, "Precondition Failed"))
    form = reporter.get(PAGE)
    stale = reporter.post(f"{PAGE}/submission", data={"csrf_token": csrf_of(form), "version": "1",
                                                       "idempotency_key": "k4", "value_outreach_sessions": "5"})
    text = stale.get_data(as_text=True)
    assert stale.status_code == 412 and "đã được người khác thay đổi" in text and 'name="version" value="2"' in text


def test_a_coordinator_approves_a_submitted_report_with_if_match_and_idempotency_key(client, clock, make_account,
                                                                                    services):
    make_account(username="so-binh", roles=("plan_coordinator",), full_name="Võ Văn Bình", unit="UBND-T56")
    signed_in(client, clock, "so-binh")
    fake_plan(services, report={**REPORT, "status": "submitted", "version": 5})
    services.expect_request(f"{REPORT_PATH}/approve", method="POST", headers={"If-Match": '"5"'}).respond_with_json(
        {**REPORT, "status": "approved", "version": 6})
    form = client.get(PAGE)
    text = form.get_data(as_text=True)
    assert 'id="review-form"' in text and 'id="submit-form"' not in text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', text).group(1)
    done = client.post(f"{PAGE}/review", data={"csrf_token": csrf_of(form), "version": "5", "idempotency_key": key,
                                               "outcome": "approve", "comments": ""})
    assert done.status_code == 302 and done.headers["Location"].endswith("done=approve"), done.data
    approved = sent(services, f"{REPORT_PATH}/approve")[0]
    assert approved.headers["Idempotency-Key"] == key and json.loads(approved.get_data()) == {}


def test_a_refused_read_is_not_permitted_on_the_page(reporter, services):
    services.expect_request("/api/v1/inbox/counts").respond_with_json(COUNTS)
    services.expect_request("/api/v1/hotspots").respond_with_response(problem(403, "Forbidden"))
    page = reporter.get("/plans/hotspots")
    assert page.status_code == 403 and "Bạn không được phép" in page.get_data(as_text=True)


def test_the_hotspots_of_the_callers_areas_are_listed(reporter, services):
    services.expect_request("/api/v1/inbox/counts").respond_with_json(COUNTS)
    services.expect_request("/api/v1/hotspots").respond_with_json([{
        "id": "h-1", "version": 1, "place_name": "Quán karaoke Biển Xanh", "commune_code": "22366",
        "commune_name": "Phường Nha Trang", "kind": "karaoke", "activity": "use", "level": "high",
        "status": "identified", "found_on": "2026-05-02", "coordinates": None, "task_ids": []}])
    page = reporter.get("/plans/hotspots")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Quán karaoke Biển Xanh" in text and "02/05/2026" in text


def slow(_request):
    time.sleep(1)
    return Response("{}", content_type="application/json")


@pytest.mark.parametrize("answer", [problem(503, "Service Unavailable"), slow])
def test_a_failing_plans_service_is_a_message(reporter, services, answer):
    services.expect_request("/api/v1/inbox/counts").respond_with_json(COUNTS)
    if callable(answer):
        services.expect_request("/api/v1/plans/p-1").respond_with_handler(answer)
    else:
        services.expect_request("/api/v1/plans/p-1").respond_with_response(answer)
    page = reporter.get("/plans/p-1")
    assert page.status_code == 503 and "Dịch vụ kế hoạch" in page.get_data(as_text=True)


def test_a_failing_rollup_leaves_the_rest_of_the_plan_page(reporter, services):
    services.expect_request("/api/v1/inbox/counts").respond_with_json(COUNTS)
    services.expect_request("/api/v1/plans/p-1").respond_with_json(PLAN)
    services.expect_request("/api/v1/plans/p-1/tasks").respond_with_json([TASK])
    services.expect_request("/api/v1/plans/p-1/reports").respond_with_json([])
    services.expect_request("/api/v1/plans/p-1/rollup").respond_with_response(problem(500, "Internal Server Error"))
    page = reporter.get("/plans/p-1")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and TASK["title"] in text and "Dịch vụ kế hoạch" in text
