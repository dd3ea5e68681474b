"""The portal's pages against the services' APIs faked by a real HTTP server (pytest-httpserver): the person's own
token goes to the services, the inbox lists urgent unacknowledged alerts first and acknowledges with If-Match, My
work shows what is due; a 403, a 5xx or a timeout of a service is a clear message on the page, never a 500."""
from __future__ import annotations

import time

import pytest
from werkzeug import Response

from shared.auth import TokenVerifier
from services.roles import ROLES
from tests.integration.portal.conftest import csrf_of

RAISED = "2026-11-28T17:30:00+00:00"
URGENT = {"id": "a1", "version": 3, "category": "absconded", "subject_type": "case", "subject_id": "c1",
          "urgent": True, "title_vi": "Học viên bỏ trốn: HS-0001", "title_en": "Resident absconded: HS-0001",
          "raised_at": RAISED, "ack_required": True, "acknowledged_by": None, "acknowledged_at": None,
          "open": True, "state": "unread"}
ROUTINE = {**URGENT, "id": "a2", "version": 1, "category": "case_opened", "urgent": False, "ack_required": False,
           "title_vi": "Hồ sơ mới: HS-0002", "title_en": "Case opened: HS-0002", "raised_at": "2026-11-29T01:00:00Z"}
COUNTS = {"unread": 2, "read": 0, "archived": 0, "unacknowledged": 1, "urgent_unacknowledged": 1}
PROBLEM = "application/problem+json"


def problem(status, title, detail="", errors=None):
    return Response(f'{{"type": "about:blank", "title": "{title}", "status": {status}, "detail": "{detail}"'
                    + (f', "errors": {errors}' if errors else "") + "}", status=status, content_type=PROBLEM)


def inbox(services, alerts, urgent=(URGENT,), counts=COUNTS):
    services.expect_request("/api/v1/inbox", query_string={"urgent": "true", "unacknowledged": "true",
                                                           "page_size": "100"}).respond_with_json(list(urgent))
    services.expect_request("/api/v1/inbox").respond_with_json(alerts)
    services.expect_request("/api/v1/inbox/counts").respond_with_json(counts)


def test_the_inbox_shows_urgent_alerts_first_with_the_persons_own_token(officer, services, portal):
    inbox(services, [ROUTINE, URGENT])
    page = officer.get("/inbox")
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text
    assert text.index("Học viên bỏ trốn") < text.index("Hồ sơ mới") and text.count('id="alert-a1"') == 1
    assert "29/11/2026 00:30" in text and "29/11/2026 08:00" in text
    assert 'id="unacknowledged-count"' in text and ">1</span>" in text
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"] and "style=" not in text
    settings = portal.extensions["portal_settings"]
    verifier = TokenVerifier("donghanh", settings.public_url, str(settings.public_key_file), roles=ROLES)
    for request, _response in services.log:
        principal = verifier.verify(request.headers["Authorization"].removeprefix("Bearer "))
        assert (principal.subject, principal.roles, principal.unit) == ("ca-hung", ("police_liaison",), "CAX-22366")


def test_acknowledging_through_the_page_sends_the_alerts_version_as_if_match(officer, services):
    inbox(services, [URGENT])
    services.expect_request("/api/v1/inbox/a1/acknowledgement", method="PUT", headers={"If-Match": '"3"'}) \
        .respond_with_json({**URGENT, "version": 4, "acknowledged_by": "ca-hung", "acknowledged_at": RAISED})
    page = officer.get("/inbox")
    done = officer.post("/inbox/a1/acknowledgement", data={"csrf_token": csrf_of(page), "version": "3",
                                                          "back": "inbox"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/inbox?done=acknowledged")
    assert "Đã xác nhận cảnh báo" in officer.get(done.headers["Location"]).get_data(as_text=True)
    assert [r.method for r, _ in services.log].count("PUT") == 1


def test_an_acknowledgement_without_the_forms_token_is_refused_and_not_sent(officer, services):
    inbox(services, [URGENT])
    refused = officer.post("/inbox/a1/acknowledgement", data={"csrf_token": "giả", "version": "3"})
    assert refused.status_code == 400
    assert not [r for r, _ in services.log if r.method == "PUT"]


def test_an_alert_acknowledged_meanwhile_is_a_message(officer, services):
    inbox(services, [URGENT])
    services.expect_request("/api/v1/inbox/a1/acknowledgement", method="PUT").respond_with_response(
        problem(409, "Conflict", "already acknowledged"))
    page = officer.get("/inbox")
    answer = officer.post("/inbox/a1/acknowledgement", data={"csrf_token": csrf_of(page), "version": "3"})
    assert answer.status_code == 409 and "đã được xác nhận hoặc đã đóng" in answer.get_data(as_text=True)


@pytest.mark.parametrize("status,title,message", [
    (403, "Forbidden", "Bạn không được phép xem hoặc làm việc này."),
    (500, "Internal Server Error", "Dịch vụ cảnh báo không phản hồi"),
    (503, "Service Unavailable", "Dịch vụ cảnh báo không phản hồi")])
def test_a_refusing_or_failing_notifications_service_is_a_message(officer, services, status, title, message):
    services.expect_request("/api/v1/inbox").respond_with_response(problem(status, title))
    services.expect_request("/api/v1/inbox/counts").respond_with_response(problem(status, title))
    page = officer.get("/inbox")
    text = page.get_data(as_text=True)
    assert page.status_code == (403 if status == 403 else 503) and message in text
    assert 'id="unacknowledged-count"' not in text and "Trần Văn Hùng" in text


def test_a_silent_service_times_out_into_a_message(officer, services):
    def slow(request):
        time.sleep(1.5)
        return Response("[]", content_type="application/json")
    services.expect_request("/api/v1/inbox").respond_with_handler(slow)
    services.expect_request("/api/v1/inbox/counts").respond_with_handler(slow)
    started = time.monotonic()
    page = officer.get("/inbox")
    assert page.status_code == 503 and "không phản hồi" in page.get_data(as_text=True)
    assert time.monotonic() - started < 1.5


def test_my_work_shows_what_is_due_and_the_urgent_alerts(officer, services):
    inbox(services, [URGENT])
    services.expect_request("/api/v1/cases/my-work").respond_with_json({
        "overdue": [{"case_id": "c1", "case_number": "HS-22366-0001", "stage": "aftercare",
                     "next_due_on": "2026-11-20", "due": {"followup": "2026-11-20"}}],
        "due_soon": [{"case_id": "c2", "case_number": "HS-22366-0002", "stage": "community_rehab",
                      "next_due_on": "2026-12-03", "due": {"term_end": "2026-12-03"}}],
        "termination_proposals": []})
    home = officer.get("/")
    text = home.get_data(as_text=True)
    assert home.status_code == 200, text
    assert text.index("HS-22366-0001") < text.index("HS-22366-0002") and "20/11/2026" in text and \
        "03/12/2026" in text
    assert "Học viên bỏ trốn" in text and 'value="home"' in text and "Trần Văn Hùng" in text


def test_my_work_keeps_what_one_service_answered_when_the_other_fails(officer, services):
    services.expect_request("/api/v1/cases/my-work").respond_with_response(problem(403, "Forbidden"))
    services.expect_request("/api/v1/inbox").respond_with_response(problem(502, "Bad Gateway"))
    services.expect_request("/api/v1/inbox/counts").respond_with_response(problem(502, "Bad Gateway"))
    home = officer.get("/")
    text = home.get_data(as_text=True)
    assert home.status_code == 200
    assert "Bạn không được phép xem hoặc làm việc này." in text and "Dịch vụ cảnh báo không phản hồi" in text


def test_a_token_a_service_refuses_is_a_message_and_the_session_lives_on(officer, services):
    services.expect_request("/api/v1/inbox").respond_with_response(problem(401, "Unauthorized"))
    services.expect_request("/api/v1/inbox/counts").respond_with_response(problem(401, "Unauthorized"))
    page = officer.get("/inbox")
    assert page.status_code == 401 and "không chấp nhận phiên đăng nhập" in page.get_data(as_text=True)
    assert "Trần Văn Hùng" in page.get_data(as_text=True)


def test_the_filter_form_is_posted_and_answered_with_the_filtered_page(officer, services):
    inbox(services, [ROUTINE])
    page = officer.get("/inbox")
    moved = officer.post("/inbox", data={"csrf_token": csrf_of(page), "box": "unread", "urgent": "false",
                                         "unacknowledged": "true"})
    assert moved.status_code == 302 and "box=unread" in moved.headers["Location"]
    officer.get(moved.headers["Location"])
    sent = [r.args.to_dict() for r, _ in services.log if r.path == "/api/v1/inbox" and "box" in r.args]
    assert sent[-1] == {"box": "unread", "urgent": "false", "unacknowledged": "true", "page": "1", "page_size": "25"}


def test_signed_out_people_are_sent_to_the_sign_in(client):
    assert client.get("/inbox").headers["Location"].endswith("/login")
    assert client.get("/").headers["Location"].endswith("/login")


def test_my_work_names_stages_and_due_dates_links_each_case_and_lists_proposals_for_a_clinic(officer, services):
    """The workflow's Vietnamese names, not codes; each case a link to its page (by its opaque id); a clinic's
    termination proposals to decide, each a link to the methadone page."""
    from tests.integration.portal.pages.test_case_pages import WORKFLOWS
    inbox(services, [])
    services.expect_request("/api/v1/workflows").respond_with_json(WORKFLOWS)
    services.expect_request("/api/v1/cases/my-work").respond_with_json({
        "overdue": [],
        "due_soon": [{"case_id": "c2", "case_number": "HS-22366-0002", "stage": "community_rehab",
                      "next_due_on": "2026-12-03", "due": {"term_ends_on": "2026-12-03"}}],
        "termination_proposals": [{"case_id": "c3", "case_number": "HS-22366-0003", "proposal_id": "p1",
                                   "ground": "opioid_positive_tests", "proposed_on": "2026-11-25"}]})
    text = officer.get("/").get_data(as_text=True)
    due_soon = text[text.index('id="due-soon"'):]
    assert 'href="/cases/c2"' in due_soon and "Cai nghiện tại cộng đồng" in due_soon
    assert "Hết thời hạn cai nghiện: 03/12/2026" in due_soon and "term_ends_on" not in due_soon
    proposals = text[text.index('id="termination-proposals"'):]
    assert 'href="/cases/c3/methadone"' in proposals and "Xét nghiệm dương tính với chất dạng thuốc phiện" in proposals
    assert "25/11/2026" in proposals


def test_the_headers_counts_are_asked_afresh_by_pages_listing_alerts_and_kept_briefly_by_the_others(officer,
                                                                                                     services):
    inbox(services, [URGENT])

    def counts_asked() -> int:
        return sum(1 for request, _ in services.log if request.path == "/api/v1/inbox/counts")
    assert 'id="unacknowledged-count"' in officer.get("/inbox").get_data(as_text=True)
    assert counts_asked() == 1
    for _ in range(2):
        page = officer.get("/cases").get_data(as_text=True)
        assert 'id="unacknowledged-count" title=' in page and ">1</span>" in page
    assert counts_asked() == 1
    officer.get("/inbox")
    assert counts_asked() == 2
