"""The inbox's acknowledgement sent by htmx (HX-Request): the portal answers the alert alone and the header's count
out of band, a refusal in the alert's place, and a sign-in that ended as a redirect htmx follows; without
JavaScript the same form posts the page (tests/integration/portal/pages/test_pages.py)."""
from __future__ import annotations

from tests.integration.portal.conftest import csrf_of
from tests.integration.portal.pages.test_pages import RAISED, URGENT, inbox, problem

HTMX = {"HX-Request": "true"}


def test_the_page_works_without_javascript_and_loads_htmx_from_the_portal(officer, services):
    inbox(services, [URGENT])
    text = officer.get("/inbox").get_data(as_text=True)
    assert 'action="/inbox/a1/acknowledgement"' in text and 'hx-post="/inbox/a1/acknowledgement"' in text
    assert 'src="/assets/vendor/htmx.min.js"' in text and 'src="http' not in text and "axe" not in text


def test_an_acknowledgement_by_htmx_answers_the_alert_and_the_count(officer, services):
    inbox(services, [URGENT])
    services.expect_request("/api/v1/inbox/a1/acknowledgement", method="PUT", headers={"If-Match": '"3"'}) \
        .respond_with_json({**URGENT, "version": 4, "acknowledged_by": "ca-hung", "acknowledged_at": RAISED})
    page = officer.get("/inbox")
    done = officer.post("/inbox/a1/acknowledgement", headers=HTMX,
                        data={"csrf_token": csrf_of(page), "version": "3", "back": "inbox"})
    text = done.get_data(as_text=True)
    assert done.status_code == 200, text
    assert "<html" not in text and text.count('id="alert-a1"') == 1 and "Đã xác nhận cảnh báo" in text
    assert "Đã xác nhận bởi ca-hung" in text and "<button" not in text
    assert 'id="unacknowledged-count" hx-swap-oob="true"' in text
    assert [r.method for r, _ in services.log].count("PUT") == 1


def test_a_refused_acknowledgement_by_htmx_answers_the_message_in_the_alerts_place(officer, services):
    inbox(services, [URGENT])
    services.expect_request("/api/v1/inbox/a1/acknowledgement", method="PUT").respond_with_response(
        problem(409, "Conflict", "already acknowledged"))
    page = officer.get("/inbox")
    answer = officer.post("/inbox/a1/acknowledgement", headers=HTMX,
                          data={"csrf_token": csrf_of(page), "version": "3"})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 409 and "<html" not in text and 'id="alert-a1"' in text
    assert "đã được xác nhận hoặc đã đóng" in text and 'href="/inbox"' in text


def test_an_ended_sign_in_sends_htmx_to_the_sign_in_page(client, services):
    login = client.get("/login")
    answer = client.post("/inbox/a1/acknowledgement", headers=HTMX,
                         data={"csrf_token": csrf_of(login), "version": "3"})
    assert answer.status_code == 204 and answer.headers["HX-Redirect"] == "/login"
    assert not services.log
