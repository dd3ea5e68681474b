"""The case pages against the cases API faked by a real HTTP server (pytest-httpserver): the search terms are
posted and passed to the API as typed, never put in an address the portal makes; the case page shows what the API
answered for the role, its stage by the workflow's name, due dates as dd/mm/yyyy and the timeline; a refusal or a
failing service is a message on the page."""
from __future__ import annotations

import re

import pytest

from tests.integration.portal.conftest import csrf_of
from tests.integration.portal.pages.test_pages import COUNTS, problem

WORKFLOWS = [{"regime": "law-73-2021", "title_vi": "Luật 73", "title_en": "Law 73", "stages": [
    {"name": "community_rehab", "vi": "Cai nghiện tại cộng đồng", "en": "Community rehabilitation", "phases": []},
    {"name": "aftercare", "vi": "Quản lý sau cai", "en": "Aftercare", "phases": []}], "transitions": []}]
SUMMARY = {"id": "c-7f3a", "version": 2, "case_number": "HS-22366-0007", "commune_code": "22366",
           "stage": "community_rehab", "opened_on": "2026-11-02", "assigned_worker": "ubx.lan"}
CASE = {**SUMMARY, "person_code": "P-1", "regime": "law-73-2021", "phase": None,
        "due": {"term_end": "2027-05-02", "review": "2026-12-03"}, "drug_tests": [], "shares": {},
        "person": {"person_code": "P-1", "full_name": "Lê Văn Hùng", "birth_date": "1990-04-02", "sex": "male",
                   "residence_code": "22366"}}
HISTORY = [{"version": 1, "type": "cases.case.opened", "occurred_at": "2026-11-02T02:00:00+00:00",
            "actor": {"id": "ubx.lan", "role": "caseworker", "unit": "UBX-22366"},
            "changes": {"stage": [None, "community_rehab"], "commune_code": [None, "22366"]}, "decision": {}}]
NAME = "Lê Văn Hùng"


def fake_cases(services, listing=(SUMMARY,)):
    services.expect_request("/api/v1/workflows").respond_with_json(WORKFLOWS)
    services.expect_request("/api/v1/inbox/counts").respond_with_json(COUNTS)
    services.expect_request("/api/v1/cases", method="GET").respond_with_json(
        list(listing), headers={"X-Pagination": '{"total": 1, "total_pages": 1}'})


def search(officer, **terms):
    form = officer.get("/cases")
    assert form.status_code == 200, form.get_data(as_text=True)
    return officer.post("/cases", data={"csrf_token": csrf_of(form), **terms})


def addresses(text: str) -> list[str]:
    return re.findall(r'(?:href|action|src)="([^"]*)"', text)


def test_the_search_posts_the_terms_to_the_cases_api_and_links_the_results(officer, services):
    fake_cases(services)
    found = search(officer, q="le van hung", national_id="", case_number="HS-22366", commune_code="22366",
                   stage="community_rehab", page="1")
    text = found.get_data(as_text=True)
    assert found.status_code == 200, text
    assert 'href="/cases/c-7f3a"' in text and "HS-22366-0007" in text and "Cai nghiện tại cộng đồng" in text
    assert "02/11/2026" in text and 'value="le van hung"' in text
    sent = [r.args.to_dict() for r, _ in services.log if r.path == "/api/v1/cases"]
    assert sent == [{"q": "le van hung", "case_number": "HS-22366", "commune_code": "22366",
                     "stage": "community_rehab", "page": "1", "page_size": "25"}]
    for request, _response in services.log:
        assert request.headers["Authorization"].startswith("Bearer ")


def test_the_search_terms_are_in_no_address_the_portal_makes(officer, services):
    fake_cases(services)
    form = officer.get("/cases")
    found = officer.post("/cases", data={"csrf_token": csrf_of(form), "q": NAME, "national_id": "056090001234"})
    text = found.get_data(as_text=True)
    assert found.status_code == 200 and "Location" not in found.headers
    for address in addresses(text) + addresses(form.get_data(as_text=True)):
        assert "090001234" not in address and "H%C3%B9ng" not in address and "Hùng" not in address, address
    assert 'method="post"' in text and 'name="csrf_token"' in text


def test_a_search_without_the_forms_token_is_refused_and_not_sent(officer, services):
    fake_cases(services)
    refused = officer.post("/cases", data={"csrf_token": "giả", "q": NAME})
    assert refused.status_code == 400
    assert not [r for r, _ in services.log if r.path == "/api/v1/cases"]


def test_a_term_the_api_refuses_is_named_by_its_label(officer, services):
    services.expect_request("/api/v1/workflows").respond_with_json(WORKFLOWS)
    services.expect_request("/api/v1/inbox/counts").respond_with_json(COUNTS)
    services.expect_request("/api/v1/cases").respond_with_response(
        problem(422, "Unprocessable Entity", "", '{"national_id": ["not a national ID number"]}'))
    refused = search(officer, national_id="12")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Số định danh: not a national ID number" in text


def test_the_case_page_shows_the_person_stage_due_dates_and_timeline(officer, services):
    services.expect_request("/api/v1/workflows").respond_with_json(WORKFLOWS)
    services.expect_request("/api/v1/inbox/counts").respond_with_json(COUNTS)
    services.expect_request("/api/v1/cases/c-7f3a").respond_with_json({**CASE, "history": HISTORY},
                                                                      headers={"ETag": '"2"'})
    page = officer.get("/cases/c-7f3a")
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text
    assert NAME in text and "02/04/1990" in text and "Nam" in text and "Cai nghiện tại cộng đồng" in text
    assert text.index("03/12/2026") < text.index("02/05/2027") and "02/11/2026 09:00" in text
    assert "Mở hồ sơ" in text and "(Cán bộ công tác xã hội)" in text
    assert 'id="therapy"' not in text and "Điện thoại" not in text and "style=" not in text
    [read] = [r for r, _ in services.log if r.path.startswith("/api/v1/cases/c-7f3a")]
    assert read.path == "/api/v1/cases/c-7f3a" and read.args.getlist("include") == ["history", "transitions"], \
        "one read of the case with its history and steps"


def test_the_case_page_shows_only_what_the_api_answered_for_the_role(officer, services):
    services.expect_request("/api/v1/workflows").respond_with_json(WORKFLOWS)
    services.expect_request("/api/v1/inbox/counts").respond_with_json(COUNTS)
    services.expect_request("/api/v1/cases/c-7f3a").respond_with_json({**CASE, "person": None, "due": {},
                                                                       "history": []})
    text = officer.get("/cases/c-7f3a").get_data(as_text=True)
    assert NAME not in text and "Vai trò của bạn không được xem thông tin về người này." in text


def test_the_stage_is_its_code_when_the_workflows_do_not_answer(officer, services):
    services.expect_request("/api/v1/workflows").respond_with_response(problem(503, "Service Unavailable"))
    services.expect_request("/api/v1/inbox/counts").respond_with_json(COUNTS)
    services.expect_request("/api/v1/cases/c-7f3a").respond_with_json({**CASE, "history": HISTORY})
    page = officer.get("/cases/c-7f3a")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="stage">community_rehab<' in text and NAME in text


@pytest.mark.parametrize("status,title,shown,message", [
    (403, "Forbidden", 403, "Bạn không được phép xem hoặc làm việc này."),
    (404, "Not Found", 404, "không tồn tại"),
    (500, "Internal Server Error", 503, "Dịch vụ hồ sơ không phản hồi"),
    (502, "Bad Gateway", 503, "Dịch vụ hồ sơ không phản hồi")])
def test_a_case_refused_or_failing_is_a_message(officer, services, status, title, shown, message):
    services.expect_request("/api/v1/workflows").respond_with_json(WORKFLOWS)
    services.expect_request("/api/v1/inbox/counts").respond_with_json(COUNTS)
    services.expect_request("/api/v1/cases/c-elsewhere").respond_with_response(problem(status, title))
    page = officer.get("/cases/c-elsewhere")
    text = page.get_data(as_text=True)
    assert page.status_code == shown and message in text and "Trần Văn Hùng" in text


def test_a_failing_search_is_a_message_and_keeps_the_form(officer, services):
    services.expect_request("/api/v1/workflows").respond_with_json(WORKFLOWS)
    services.expect_request("/api/v1/inbox/counts").respond_with_json(COUNTS)
    services.expect_request("/api/v1/cases").respond_with_response(problem(503, "Service Unavailable"))
    failed = search(officer, case_number="HS-22366-0007")
    text = failed.get_data(as_text=True)
    assert failed.status_code == 503 and "Dịch vụ hồ sơ không phản hồi" in text
    assert 'value="HS-22366-0007"' in text


def test_the_header_links_my_work_cases_and_the_inbox(officer, services):
    fake_cases(services)
    text = officer.get("/cases").get_data(as_text=True)
    nav = re.search(r"<nav.*?</nav>", text, re.S).group(0)
    assert nav.index("Việc của tôi") < nav.index(">Hồ sơ<") < nav.index("Hộp thư")
    assert 'for="q"' in text and 'for="stage"' in text and "<select" in text and "Quản lý sau cai" in text


def test_signed_out_people_are_sent_to_the_sign_in(client):
    assert client.get("/cases").headers["Location"].endswith("/login")
    assert client.get("/cases/c-7f3a").headers["Location"].endswith("/login")
