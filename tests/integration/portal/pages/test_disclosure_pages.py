"""The inspectorate's accounting of disclosures of a case in the portal: the cases API's entries and the
notifications API's deliveries (two real HTTP servers, pytest-httpserver, as the two services are) in one list,
oldest first, times in the province's; the same list as a workbook to hand to the person, formula-looking text
kept as text; deliveries that cannot be read leave the page with a message and no partial workbook; a case the
cases API refuses is refused."""
from __future__ import annotations

import io
from datetime import datetime

import openpyxl
import pytest
from pytest_httpserver import HTTPServer

from tests.integration.portal.conftest import enrolled
from tests.integration.portal.pages.test_pages import COUNTS, problem

CASE_DISCLOSURES = "/api/v1/cases/c-7f3a/disclosures"
CASE_ENTRIES = [
    {"at": "2026-11-20T03:00:00+00:00", "kind": "read", "action": "read_case", "subject": "ca-hung",
     "roles": ["police_liaison"], "unit": "CAX-22366", "sections": ["identity", "legal"], "purpose": None},
    {"at": "2026-11-20T01:00:00+00:00", "kind": "alert", "action": "raised", "subject": None, "roles": [],
     "unit": "PK-MMT-01", "sections": [], "purpose": "relapse"},
    {"at": "2026-11-21T02:30:00+00:00", "kind": "export", "action": "export", "subject": "=HYPERLINK(\"x\")",
     "roles": ["caseworker"], "unit": "UBX-22366", "sections": ["contact"], "purpose": "reporting"},
]
DELIVERIES = [[{"case_id": "c-7f3a", "to": "member:ca-hung", "channel": "sms", "rule_id": "relapse-to-police",
                "alert_id": "a-1", "delivery_id": "d-1", "at": "2026-11-20T01:00:05+00:00"}],
              [{"case_id": "c-7f3a", "to": "endpoint:pk-mmt-webhook", "channel": "webhook", "rule_id": "relapse-clinic",
                "alert_id": "a-1", "delivery_id": "d-2", "at": "2026-11-20T01:00:07+00:00"}]]
PAGE = "/cases/c-7f3a/disclosures"


@pytest.fixture
def notifications():
    """The notifications API on a server of its own: its path for a case's deliveries is the cases API's too."""
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    server.expect_request("/api/v1/inbox/counts").respond_with_json(COUNTS)
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def portal_env(portal_env, notifications):
    return {**portal_env, "NOTIFICATIONS_URL": notifications.url_for("").rstrip("/")}


@pytest.fixture
def inspector(client, clock, make_account):
    make_account(username="tt-mai", roles=("auditor",), full_name="Đỗ Thị Mai", unit="TTR-TINH", areas=("56",))
    enrolled(client, clock, username="tt-mai")
    return client


def fake_accounting(services, notifications):
    services.expect_request(CASE_DISCLOSURES).respond_with_json(CASE_ENTRIES)
    for page, deliveries in enumerate(DELIVERIES, start=1):
        notifications.expect_request(CASE_DISCLOSURES, query_string={"page": str(page), "page_size": "100"}) \
            .respond_with_json(deliveries, headers={"X-Pagination": f'{{"total": 2, "total_pages": 2, "page": {page}}}'})


def test_both_accountings_in_one_list_oldest_first(inspector, services, notifications):
    fake_accounting(services, notifications)
    home = inspector.get("/").get_data(as_text=True)
    assert 'action="/disclosures"' in home and 'name="case"' in home
    found = inspector.get("/disclosures?case=c-7f3a")
    assert found.status_code == 302 and found.headers["Location"].endswith(PAGE)
    assert inspector.get("/disclosures?case=../../x").status_code == 404
    assert inspector.get("/disclosures?case=..").status_code == 404, "a step up the services' paths"
    shown = inspector.get(PAGE)
    text = shown.get_data(as_text=True)
    assert shown.status_code == 200, text
    order = ["Đã phát cảnh báo", "relapse-to-police", "pk-mmt-webhook", "Đã xem", "Có trong tệp xuất"]
    assert [text.index(label) for label in order] == sorted(text.index(label) for label in order)
    assert "20/11/2026 10:00" in text and "21/11/2026 09:30" in text, "times in Asia/Ho_Chi_Minh"
    assert "ca-hung (police_liaison)" in text and "Nhân thân, Hồ sơ pháp lý" in text and "sms" in text
    assert 'href="/cases/c-7f3a/disclosures.xlsx"' in text
    for request, _response in [*services.log, *notifications.log]:
        assert request.headers["Authorization"].startswith("Bearer ")


def test_the_workbook_for_the_person_holds_every_entry_with_formulas_as_text(inspector, services, notifications):
    fake_accounting(services, notifications)
    answer = inspector.get(f"{PAGE}.xlsx")
    assert answer.status_code == 200 and "ke-khai-tiet-lo-c-7f3a.xlsx" in answer.headers["Content-Disposition"]
    assert answer.headers["Cache-Control"] == "no-store"
    sheet = openpyxl.load_workbook(io.BytesIO(answer.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Thời điểm", "Loại", "Người thực hiện") and len(rows) == 1 + 5
    assert rows[1][0] == datetime(2026, 11, 20, 8, 0) and rows[1][1] == "Đã phát cảnh báo"
    viewed = next(row for row in rows if row[1] == "Đã xem")
    assert viewed[2] == "ca-hung (police_liaison)" and viewed[4] == "Nhân thân, Hồ sơ pháp lý"
    assert viewed[6] == "read_case"
    formula_like = next(row for row in sheet.iter_rows(min_row=2) if (row[2].value or "").startswith("=HYPERLINK"))
    assert formula_like[2].data_type == "s"


def test_deliveries_not_read_leave_the_page_with_a_message_and_no_partial_workbook(inspector, services,
                                                                                  notifications):
    services.expect_request(CASE_DISCLOSURES).respond_with_json(CASE_ENTRIES)
    notifications.expect_request(CASE_DISCLOSURES).respond_with_response(problem(503, "Service Unavailable"))
    text = inspector.get(PAGE).get_data(as_text=True)
    assert "Đã xem" in text and 'role="alert"' in text and "disclosures.xlsx" not in text
    workbook = inspector.get(f"{PAGE}.xlsx")
    assert workbook.status_code == 503 and workbook.mimetype == "text/html"
    assert 'role="alert"' in workbook.get_data(as_text=True)


def test_more_deliveries_than_a_page_reads_are_a_message_not_a_list_that_looks_whole(inspector, services,
                                                                                    notifications):
    services.expect_request(CASE_DISCLOSURES).respond_with_json(CASE_ENTRIES)
    notifications.expect_request(CASE_DISCLOSURES).respond_with_json(
        DELIVERIES[0], headers={"X-Pagination": '{"total": 5001, "total_pages": 51, "page": 1}'})
    text = inspector.get(PAGE).get_data(as_text=True)
    assert 'role="alert"' in text and "5000" in text and "disclosures.xlsx" not in text
    assert inspector.get(f"{PAGE}.xlsx").status_code == 503
    asked = [request.args.get("page") for request, _ in notifications.log if request.path == CASE_DISCLOSURES]
    assert asked == ["1", "1"], "no page past the first is read"


def test_a_case_the_cases_api_refuses_is_refused(inspector, services, notifications):
    services.expect_request(CASE_DISCLOSURES).respond_with_response(problem(403, "Forbidden"))
    notifications.expect_request(CASE_DISCLOSURES).respond_with_json([])
    refused = inspector.get(PAGE)
    assert refused.status_code == 403 and "Đã xem" not in refused.get_data(as_text=True)
    assert inspector.get(f"{PAGE}.xlsx").status_code == 403
