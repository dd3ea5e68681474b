"""The case page's action forms against the cases API faked by a real HTTP server (pytest-httpserver): one form
per step the API lists for the caller, with a control per decision field; every write carries the rendered
version as If-Match (and the form's Idempotency-Key where the API takes one); a refused field is named by its
Vietnamese label with what was typed kept; a stale case shows the fresh page; and a form posted after the sign-in
ended is kept, sealed, for the person to find filled in after signing in again, without any password."""
from __future__ import annotations

import json
import re

import pytest

from services.portal.domain.commands import TakeKeptForm
from tests.integration.portal.conftest import PASSWORD, code_at, csrf_of, enrolled, form
from tests.integration.portal.pages.test_case_pages import CASE, HISTORY, WORKFLOWS
from tests.integration.portal.pages.test_pages import COUNTS, problem

CASE_PATH = "/api/v1/cases/c-7f3a"
ALLOWED = [{"name": "register_community_rehab", "to": "community_rehab", "emits": "x",
            "requires": ["decision_number", "decision_date", "issuing_authority", "term_months"], "reasons": []},
           {"name": "refer_for_assessment", "to": "addiction_assessment", "emits": "y", "requires": [],
            "reasons": ["police_request", "self_request"]}]
NOTES = "Gặp mẹ, anh Hùng đi làm ở Cam Ranh"


@pytest.fixture
def caseworker(client, clock, make_account):
    make_account(username="cb-lan", roles=("caseworker",))
    client.secret = enrolled(client, clock, username="cb-lan")
    return client


def fake_case(services, allowed=ALLOWED):
    services.expect_request("/api/v1/workflows").respond_with_json(WORKFLOWS)
    services.expect_request("/api/v1/inbox/counts").respond_with_json(COUNTS)
    services.expect_request(f"{CASE_PATH}/transitions", method="GET").respond_with_json(
        allowed, headers={"ETag": '"2"'})
    services.expect_request(CASE_PATH, method="GET").respond_with_json(
        {**CASE, "history": HISTORY, "transitions": allowed}, headers={"ETag": '"2"'})


def posts(services, path):
    return [request for request, _response in services.log if request.method == "POST" and request.path == path]


def field(text: str, name: str) -> str:
    return re.search(rf'<(?:input|select|textarea)[^>]*name="{re.escape(name)}"[^>]*>', text).group(0)


def hidden(text: str, form_id: str, name: str) -> str:
    block = text[text.index(f'id="{form_id}-form"'):]
    return re.search(rf'name="{name}" value="([^"]*)"', block).group(1)


def send(client, path, data, page="/cases/c-7f3a"):
    shown = client.get(page).get_data(as_text=True)
    return client.post(path, data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', shown).group(1),
                                   **data}), shown


def test_one_form_per_allowed_step_with_a_control_per_decision_field(caseworker, services):
    fake_case(services)
    page = caseworker.get("/cases/c-7f3a")
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text
    assert 'action="/cases/c-7f3a/steps/register_community_rehab"' in text
    assert 'action="/cases/c-7f3a/steps/refer_for_assessment"' in text
    assert 'type="date"' in field(text, "decision.decision_date") and 'type="number"' in field(
        text, "decision.term_months")
    assert "<select" in field(text, "decision.reason_code") and 'value="police_request"' in text
    assert "Đăng ký cai nghiện tại cộng đồng" in text and "Ngày quyết định" in text and "Cơ quan ban hành" in text
    for control in re.findall(r'<(?:input|select|textarea)[^>]*id="([^"]+)"', text):
        assert f'for="{control}"' in text, control
    assert hidden(text, "step-register_community_rehab", "version") == "2"
    assert hidden(text, "visit", "idempotency_key") != hidden(text, "drug_test", "idempotency_key")
    assert 'action="/cases/c-7f3a/visits"' in text and 'action="/cases/c-7f3a/drug-tests"' in text
    assert not re.search(r"<script(?![^>]*\bsrc=)", text) and "style=" not in text


def test_no_step_forms_when_the_api_lists_none(caseworker, services):
    fake_case(services, allowed=[])
    text = caseworker.get("/cases/c-7f3a").get_data(as_text=True)
    assert 'id="no-steps"' in text and "/steps/" not in text


def test_a_step_goes_to_the_api_with_if_match_and_its_decision(caseworker, services):
    fake_case(services)
    services.expect_request(f"{CASE_PATH}/transitions", method="POST").respond_with_json(
        {**CASE, "version": 3}, headers={"ETag": '"3"'})
    taken, _page = send(caseworker, "/cases/c-7f3a/steps/register_community_rehab", {
        "version": "2", "form": "step:register_community_rehab", "effective_on": "2026-11-20",
        "decision.decision_number": "15/QĐ-UBND", "decision.decision_date": "18/11/2026",
        "decision.issuing_authority": "UBND xã", "decision.term_months": "6", "decision.reason": ""})
    assert taken.status_code == 302 and taken.headers["Location"].endswith("/cases/c-7f3a?done=step")
    [sent] = posts(services, f"{CASE_PATH}/transitions")
    assert sent.headers["If-Match"] == '"2"' and sent.headers["Authorization"].startswith("Bearer ")
    assert json.loads(sent.data) == {"transition": "register_community_rehab", "effective_on": "2026-11-20",
                                     "decision": {"decision_number": "15/QĐ-UBND", "decision_date": "2026-11-18",
                                                  "issuing_authority": "UBND xã", "term_months": 6}}
    done = caseworker.get(taken.headers["Location"]).get_data(as_text=True)
    assert "Đã thực hiện bước." in done


def test_a_refused_field_is_named_in_vietnamese_and_the_typed_values_stay(caseworker, services):
    fake_case(services)
    services.expect_request(f"{CASE_PATH}/transitions", method="POST").respond_with_response(problem(
        422, "Unprocessable Entity", "decision.decision_date: is required for register_community_rehab",
        '{"decision.decision_date": ["is required for register_community_rehab"]}'))
    refused, _page = send(caseworker, "/cases/c-7f3a/steps/register_community_rehab", {
        "version": "2", "effective_on": "2026-11-20", "decision.decision_number": "15/QĐ-UBND",
        "decision.issuing_authority": "UBND xã Cam Phúc", "decision.term_months": "6"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422, text
    assert "Ngày quyết định: bắt buộc" in text
    assert 'value="15/QĐ-UBND"' in field(text, "decision.decision_number")
    assert 'value="UBND xã Cam Phúc"' in field(text, "decision.issuing_authority")
    assert 'value="2026-11-20"' in field(text, "effective_on")


def test_a_visit_carries_if_match_and_the_forms_own_idempotency_key(caseworker, services):
    fake_case(services)
    services.expect_request(f"{CASE_PATH}/visits", method="POST").respond_with_json(
        {**CASE, "version": 3}, status=201, headers={"ETag": '"3"'})
    shown = caseworker.get("/cases/c-7f3a").get_data(as_text=True)
    key = hidden(shown, "visit", "idempotency_key")
    recorded = caseworker.post("/cases/c-7f3a/visits", data={
        "csrf_token": csrf_of(caseworker.get("/cases/c-7f3a")), "version": "2", "idempotency_key": key,
        "visited_on": "2026-11-21", "kind": "home_visit", "outcome": "met", "notes": NOTES})
    assert recorded.status_code == 302 and recorded.headers["Location"].endswith("done=visit")
    [sent] = posts(services, f"{CASE_PATH}/visits")
    assert sent.headers["If-Match"] == '"2"' and sent.headers["Idempotency-Key"] == key
    assert json.loads(sent.data) == {"visited_on": "2026-11-21", "kind": "home_visit", "outcome": "met",
                                     "notes": NOTES}


def test_a_drug_test_sends_the_substances_ticked(caseworker, services):
    fake_case(services)
    services.expect_request(f"{CASE_PATH}/drug-tests", method="POST").respond_with_json(CASE, status=201)
    shown = caseworker.get("/cases/c-7f3a")
    caseworker.post("/cases/c-7f3a/drug-tests", data={
        "csrf_token": csrf_of(shown), "version": "2", "idempotency_key": "k-1", "tested_on": "21/11/2026",
        "result": "positive", "substances": ["heroin", "methamphetamine"]})
    [sent] = posts(services, f"{CASE_PATH}/drug-tests")
    assert json.loads(sent.data) == {"tested_on": "2026-11-21", "result": "positive",
                                     "substances": ["heroin", "methamphetamine"]}


@pytest.mark.parametrize("status", [409, 412])
def test_a_case_changed_meanwhile_shows_the_fresh_page(caseworker, services, status):
    fake_case(services)
    services.expect_request(f"{CASE_PATH}/visits", method="POST").respond_with_response(
        problem(status, "Precondition Failed" if status == 412 else "Conflict", "the case changed"))
    stale, _page = send(caseworker, "/cases/c-7f3a/visits", {
        "version": "1", "visited_on": "2026-11-21", "kind": "home_visit", "outcome": "met", "notes": NOTES})
    text = stale.get_data(as_text=True)
    assert stale.status_code == status, text
    assert "đã được người khác thay đổi" in text and NOTES not in text
    assert hidden(text, "visit", "version") == "2"


def test_a_refusal_by_role_is_reported_in_the_form(caseworker, services):
    fake_case(services)
    services.expect_request(f"{CASE_PATH}/drug-tests", method="POST").respond_with_response(
        problem(403, "Forbidden", "not permitted"))
    refused, _page = send(caseworker, "/cases/c-7f3a/drug-tests", {
        "version": "2", "tested_on": "2026-11-21", "result": "negative"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 403, text
    block = text[text.index('id="drug_test-form"'):]
    assert "Bạn không được phép xem hoặc làm việc này." in block[:block.index("</form>")]


def test_a_form_posted_after_the_sign_in_ended_is_kept_and_filled_in_after_signing_in(caseworker, services, clock):
    fake_case(services)
    shown = caseworker.get("/cases/c-7f3a")
    clock.advance(minutes=31)
    late = caseworker.post("/cases/c-7f3a/visits", data={
        "csrf_token": csrf_of(shown), "version": "2", "idempotency_key": "k-2", "form": "visit",
        "form_page": "/cases/c-7f3a", "visited_on": "2026-11-21", "kind": "phone_call", "outcome": "not_home",
        "notes": NOTES})
    assert late.status_code == 302 and "/login" in late.headers["Location"]
    assert not posts(services, f"{CASE_PATH}/visits")
    handle = caseworker.get_cookie("dh_kept").value
    assert "Hùng" not in handle and "Cam Ranh" not in handle and "Cam Ranh" not in late.headers["Location"]
    assert "được giữ lại" in caseworker.get(late.headers["Location"]).get_data(as_text=True)
    signed = form(caseworker, "/login", {"username": "cb-lan", "password": PASSWORD})
    assert signed.headers["Location"].endswith("/login/code")
    back = caseworker.post("/login/code", data={"code": code_at(caseworker.secret, clock),
                                                "csrf_token": csrf_of(caseworker.get("/login/code"))})
    assert back.status_code == 302 and back.headers["Location"].endswith("/cases/c-7f3a")
    text = caseworker.get("/cases/c-7f3a").get_data(as_text=True)
    assert NOTES in text and "selected" in re.search(r'<option value="phone_call"[^>]*>', text).group(0)
    assert 'value="2026-11-21"' in field(text, "visited_on")
    again = caseworker.get("/cases/c-7f3a").get_data(as_text=True)
    assert NOTES not in again and caseworker.get_cookie("dh_kept") is None


def test_a_kept_form_never_holds_a_password_or_the_forms_token(caseworker, services, clock, bus):
    fake_case(services)
    shown = caseworker.get("/cases")
    clock.advance(minutes=31)
    caseworker.post("/cases", data={"csrf_token": csrf_of(shown), "q": "Lê Văn Hùng", "password": PASSWORD,
                                    "new_password": PASSWORD, "code": "123456"})
    handle = caseworker.get_cookie("dh_kept").value
    kept = bus.handle(TakeKeptForm(handle, "/cases", signed_in_again(caseworker, clock)), None)
    assert kept == {"q": ["Lê Văn Hùng"]}


def test_a_kept_form_lasts_30_minutes(caseworker, services, clock, bus):
    fake_case(services)
    shown = caseworker.get("/cases")
    clock.advance(minutes=31)
    caseworker.post("/cases", data={"csrf_token": csrf_of(shown), "q": "Lê Văn Hùng"})
    handle = caseworker.get_cookie("dh_kept").value
    clock.advance(minutes=31)
    assert bus.handle(TakeKeptForm(handle, "/cases", signed_in_again(caseworker, clock)), None) is None


def signed_in_again(client, clock, username="cb-lan") -> str:
    """Sign in with password and code (the account enrolled): the new session's token."""
    form(client, "/login", {"username": username, "password": PASSWORD})
    client.post("/login/code", data={"code": code_at(client.secret, clock),
                                     "csrf_token": csrf_of(client.get("/login/code"))})
    return client.get_cookie("dh_session").value


def test_a_kept_form_goes_back_only_to_the_account_it_was_kept_for(caseworker, services, clock, make_account):
    """Another person signing in on the same browser within the 30 minutes lands on My work and never sees it;
    the form stays kept for its owner."""
    fake_case(services)
    shown = caseworker.get("/cases/c-7f3a")
    clock.advance(minutes=31)
    caseworker.post("/cases/c-7f3a/visits", data={
        "csrf_token": csrf_of(shown), "version": "2", "idempotency_key": "k-3", "form": "visit",
        "form_page": "/cases/c-7f3a", "visited_on": "2026-11-21", "kind": "phone_call", "outcome": "not_home",
        "notes": NOTES})
    assert caseworker.get_cookie("dh_kept") is not None
    make_account(username="cb-minh", roles=("caseworker",), full_name="Trần Văn Minh")
    enrolled(caseworker, clock, username="cb-minh")
    assert NOTES not in caseworker.get("/cases/c-7f3a").get_data(as_text=True)
    caseworker.post("/logout", data={"csrf_token": csrf_of(caseworker.get("/"))})
    form(caseworker, "/login", {"username": "cb-lan", "password": PASSWORD})
    back = caseworker.post("/login/code", data={"code": code_at(caseworker.secret, clock),
                                                "csrf_token": csrf_of(caseworker.get("/login/code"))})
    assert back.headers["Location"].endswith("/cases/c-7f3a")
    assert NOTES in caseworker.get("/cases/c-7f3a").get_data(as_text=True)


def test_a_form_posted_with_no_sign_in_at_all_is_not_kept(client, services):
    """Nobody's form: there is no account to give it back to."""
    page = client.get("/login")
    late = client.post("/cases", data={"csrf_token": csrf_of(page), "q": "Lê Văn Hùng"})
    assert late.status_code == 302 and late.headers["Location"].endswith("/login")
    assert client.get_cookie("dh_kept") is None


def test_a_kept_search_is_filled_in_on_the_search_page(caseworker, services, clock):
    fake_case(services)
    shown = caseworker.get("/cases")
    clock.advance(minutes=31)
    caseworker.post("/cases", data={"csrf_token": csrf_of(shown), "q": "Lê Văn Hùng", "commune_code": "22366"})
    form(caseworker, "/login", {"username": "cb-lan", "password": PASSWORD})
    back = caseworker.post("/login/code", data={"code": code_at(caseworker.secret, clock),
                                                "csrf_token": csrf_of(caseworker.get("/login/code"))})
    assert back.headers["Location"].endswith("/cases")
    text = caseworker.get("/cases").get_data(as_text=True)
    assert 'value="Lê Văn Hùng"' in text and 'value="22366"' in text


def test_support_given_is_sent_with_its_amount_as_people_write_it(caseworker, services):
    """"1.500.000" (Vietnamese thousands) goes to the API as 1500000 đồng, with If-Match and the form's key."""
    fake_case(services)
    services.expect_request(f"{CASE_PATH}/support", method="POST").respond_with_json(
        {**CASE, "version": 3}, status=201, headers={"ETag": '"3"'})
    shown = caseworker.get("/cases/c-7f3a").get_data(as_text=True)
    assert 'for="support-amount_vnd"' in shown and 'inputmode="numeric"' in field(shown, "amount_vnd")
    key = hidden(shown, "support", "idempotency_key")
    recorded = caseworker.post("/cases/c-7f3a/support", data={
        "csrf_token": csrf_of(caseworker.get("/cases/c-7f3a")), "version": "2", "idempotency_key": key,
        "kind": "loan", "provided_on": "02/11/2026", "amount_vnd": "1.500.000",
        "funding_source": "social_policy_bank", "details": "Vay vốn nuôi bò"})
    assert recorded.status_code == 302 and recorded.headers["Location"].endswith("done=support")
    [sent] = posts(services, f"{CASE_PATH}/support")
    assert sent.headers["If-Match"] == '"2"' and sent.headers["Idempotency-Key"] == key
    assert json.loads(sent.data) == {"kind": "loan", "provided_on": "2026-11-02", "amount_vnd": 1500000,
                                     "funding_source": "social_policy_bank", "details": "Vay vốn nuôi bò"}


def test_an_amount_the_api_refuses_is_named_in_vietnamese_and_kept(caseworker, services):
    fake_case(services)
    services.expect_request(f"{CASE_PATH}/support", method="POST").respond_with_response(
        problem(422, "Unprocessable Entity", "amount_vnd: Not a valid integer.",
                '{"amount_vnd": ["Not a valid integer."]}'))
    refused, _page = send(caseworker, "/cases/c-7f3a/support", {
        "version": "2", "form": "support", "kind": "loan", "provided_on": "2026-11-02", "amount_vnd": "1,5 triệu"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Số tiền (đồng): không phải số nguyên" in text
    assert 'value="1,5 triệu"' in field(text, "amount_vnd")


def test_the_follow_up_plan_is_set_with_if_match_and_no_key(caseworker, services):
    """Setting the plan again sets the same plan: a PUT, which takes no Idempotency-Key."""
    fake_case(services)
    services.expect_request(f"{CASE_PATH}/follow-up", method="PUT").respond_with_json(
        {**CASE, "version": 3}, headers={"ETag": '"3"'})
    planned, _page = send(caseworker, "/cases/c-7f3a/follow-up", {
        "version": "2", "form": "follow_up", "every_days": "14", "first_on": "2026-12-01"})
    assert planned.status_code == 302 and planned.headers["Location"].endswith("done=follow_up")
    [sent] = [r for r, _ in services.log if r.method == "PUT" and r.path == f"{CASE_PATH}/follow-up"]
    assert sent.headers["If-Match"] == '"2"' and "Idempotency-Key" not in sent.headers
    assert json.loads(sent.data) == {"every_days": 14, "first_on": "2026-12-01"}


def test_the_case_page_shows_the_care_given_with_amounts_in_dong(caseworker, services):
    cared = {**CASE, "follow_up": {"every_days": 14, "planned_by": "cb-lan"},
             "visits": [{"visit_id": "v1", "visited_on": "2026-11-20", "kind": "home_visit", "outcome": "met",
                         "recorded_by": "cb-lan", "notes": None}],
             "support": [{"support_id": "s1", "kind": "loan", "provided_on": "2026-11-02", "recorded_by": "cb-lan",
                          "amount_vnd": 1500000, "funding_source": "social_policy_bank", "details": None}]}
    services.expect_request(CASE_PATH, method="GET").respond_with_json(cared, headers={"ETag": '"2"'})
    fake_case(services)
    text = caseworker.get("/cases/c-7f3a").get_data(as_text=True)
    care = text[text.index('id="care"'):text.index('id="actions"')]
    assert "Thăm mỗi 14 ngày" in care and "20/11/2026 · Thăm tại nhà · Đã gặp người đó" in care
    assert "1.500.000" in care and "₫" in care and "Ngân hàng Chính sách xã hội" in care


def test_a_form_of_a_page_that_never_fills_one_in_again_is_not_kept(caseworker, services, clock):
    """Only the pages that read a kept form back keep one (the case, methadone and search pages): the inbox's
    filter form posted after the sign-in ended is not stored for nothing."""
    fake_case(services)
    shown = caseworker.get("/cases")
    clock.advance(minutes=31)
    late = caseworker.post("/inbox", data={"csrf_token": csrf_of(shown), "box": "unread", "urgent": "true"})
    assert late.status_code == 302 and late.headers["Location"].endswith("/login")
    assert caseworker.get_cookie("dh_kept") is None


def test_forms_drawn_once_follow_the_language_and_never_keep_what_was_typed(caseworker, services):
    """Labels and an empty form's controls are kept once drawn (web.install_form_controls, labelled): the kept
    drawing is per language, and a form filled in again after a refusal is drawn with its values only on its own
    answer."""
    fake_case(services)
    services.expect_request(f"{CASE_PATH}/visits", method="POST").respond_with_response(problem(
        422, "Unprocessable Entity", "visited_on: not a valid date", '{"visited_on": ["Not a valid date."]}'))
    first = caseworker.get("/cases/c-7f3a").get_data(as_text=True)
    refused, _page = send(caseworker, "/cases/c-7f3a/visits", {
        "version": "2", "form": "visit", "visited_on": "hôm qua", "kind": "home_visit", "outcome": "met"})
    assert 'value="hôm qua"' in field(refused.get_data(as_text=True), "visited_on")
    again = caseworker.get("/cases/c-7f3a").get_data(as_text=True)
    assert 'value=""' in field(again, "visited_on") and "hôm qua" not in again
    assert "Ngày thăm" in first and "Ngày thăm" in again
    caseworker.get("/language/en")
    english = caseworker.get("/cases/c-7f3a").get_data(as_text=True)
    assert "Visit date" in english and "Home visit" in english and "Ngày thăm" not in english
    caseworker.get("/language/vi")
    assert "Ngày thăm" in caseworker.get("/cases/c-7f3a").get_data(as_text=True)
