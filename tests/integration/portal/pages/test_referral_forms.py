"""The case page's referral and transfer forms against the cases and plans APIs faked by a real HTTP server
(pytest-httpserver): the units offered are the plans directory's; a referral, a transfer and an answer to an open
one go to the cases API with the rendered version as If-Match and the body it takes (it takes no Idempotency-Key
on these); a refused field is named in Vietnamese with what was typed kept; a refusal by role is reported in the
form; a stale case shows the fresh page; the receiver of a referral is offered to accept or reject it, the sender
to revoke it."""
from __future__ import annotations

import json

import pytest

from tests.integration.portal.conftest import csrf_of, enrolled
from tests.integration.portal.pages.test_case_actions import field, hidden
from tests.integration.portal.pages.test_case_pages import CASE, HISTORY, WORKFLOWS
from tests.integration.portal.pages.test_pages import COUNTS, problem

CASE_PATH = "/api/v1/cases/c-7f3a"
UNITS = [{"unit_code": "PK-MMT-01", "version": 1, "name": "Phòng khám Methadone Cam Ranh", "kind": "clinic",
          "area_code": "22366", "covers": []},
         {"unit_code": "CSCN-01", "version": 1, "name": "Cơ sở cai nghiện tỉnh", "kind": "rehab_facility",
          "area_code": "56", "covers": []}]
SHARED = {**CASE, "shares": {
    "s-1": {"kind": "referral", "status": "requested", "to_unit": "PK-MMT-01", "to_commune": None,
            "requested_at": "2026-11-20T03:00:00+00:00", "notify_police_by": None},
    "s-0": {"kind": "referral", "status": "accepted", "to_unit": "CSCN-01", "to_commune": None,
            "requested_at": "2026-10-01T03:00:00+00:00", "notify_police_by": None}}}
REASON = "Người bệnh đồng ý điều trị methadone tại Cam Ranh"


@pytest.fixture
def clinic_doctor(client, clock, make_account):
    make_account(username="bs-an", roles=("health_worker",), full_name="Nguyễn Thị An", unit="PK-MMT-01")
    enrolled(client, clock, username="bs-an")
    return client


def fake_case(services, case=CASE, units=UNITS):
    services.expect_request("/api/v1/workflows").respond_with_json(WORKFLOWS)
    services.expect_request("/api/v1/inbox/counts").respond_with_json(COUNTS)
    services.expect_request("/api/v1/units").respond_with_json(units)
    services.expect_request(CASE_PATH, method="GET").respond_with_json(
        {**case, "history": HISTORY, "transitions": []}, headers={"ETag": '"2"'})


def sent_to(services, method, path):
    return [request for request, _response in services.log if request.method == method and request.path == path]


def post(client, path, data):
    return client.post(path, data={"csrf_token": csrf_of(client.get("/cases/c-7f3a")), **data})


def form_block(text: str, form_id: str) -> str:
    block = text[text.index(f'id="{form_id}-form"'):]
    return block[:block.index("</form>")]


def test_the_referral_form_offers_the_directorys_units(officer, services):
    fake_case(services)
    text = officer.get("/cases/c-7f3a").get_data(as_text=True)
    referral = form_block(text, "referral")
    assert '<option value="PK-MMT-01">Phòng khám Methadone Cam Ranh</option>' in referral
    assert 'action="/cases/c-7f3a/referrals"' in text and 'action="/cases/c-7f3a/transfers"' in text
    assert hidden(text, "referral", "version") == "2" and "idempotency_key" not in referral
    [units] = sent_to(services, "GET", "/api/v1/units")
    assert units.args["page_size"] == "100" and units.headers["Authorization"].startswith("Bearer ")
    for name in ("to_unit", "reason", "to_commune"):
        assert 'id="' in field(text, name)
    assert "Chuyển gửi đến đơn vị" in text and "Xã tiếp nhận (mã 5 chữ số)" in text


def test_a_referral_goes_to_the_api_with_if_match_and_the_consent(officer, services):
    fake_case(services)
    services.expect_request(f"{CASE_PATH}/referrals", method="POST").respond_with_json(CASE, status=201)
    done = post(officer, "/cases/c-7f3a/referrals", {
        "version": "2", "form": "referral", "to_unit": "PK-MMT-01", "reason": REASON,
        "consent.sections": ["clinical"], "consent.purpose": "treatment", "consent.reference": "PĐY-12/2026",
        "consent.valid_from": "20/11/2026", "consent.valid_until": ""})
    assert done.status_code == 302 and done.headers["Location"].endswith("/cases/c-7f3a?done=referral")
    [sent] = sent_to(services, "POST", f"{CASE_PATH}/referrals")
    assert sent.headers["If-Match"] == '"2"' and "Idempotency-Key" not in sent.headers
    assert json.loads(sent.data) == {"to_unit": "PK-MMT-01", "reason": REASON, "consent": {
        "sections": ["clinical"], "purpose": "treatment", "reference": "PĐY-12/2026", "valid_from": "2026-11-20"}}
    assert "Đã gửi chuyển gửi." in officer.get(done.headers["Location"]).get_data(as_text=True)


def test_a_transfer_goes_to_the_api_with_if_match(officer, services):
    fake_case(services)
    services.expect_request(f"{CASE_PATH}/transfers", method="POST").respond_with_json(CASE, status=201)
    post(officer, "/cases/c-7f3a/transfers", {"version": "2", "to_commune": "22370", "reason": REASON})
    [sent] = sent_to(services, "POST", f"{CASE_PATH}/transfers")
    assert sent.headers["If-Match"] == '"2"'
    assert json.loads(sent.data) == {"to_commune": "22370", "reason": REASON}


def test_a_refused_field_is_named_in_vietnamese_and_the_typed_values_stay(officer, services):
    fake_case(services)
    services.expect_request(f"{CASE_PATH}/transfers", method="POST").respond_with_response(problem(
        422, "Unprocessable Entity", "to_commune", '{"to_commune": ["Missing data for required field."]}'))
    refused = post(officer, "/cases/c-7f3a/transfers", {"version": "2", "form": "transfer", "to_commune": "",
                                                        "reason": REASON})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422, text
    assert "Xã tiếp nhận (mã 5 chữ số): bắt buộc" in form_block(text, "transfer")
    assert REASON in form_block(text, "transfer") and REASON not in form_block(text, "referral")


def test_a_refusal_by_role_is_reported_in_the_form(clinic_doctor, services):
    fake_case(services)
    services.expect_request(f"{CASE_PATH}/transfers", method="POST").respond_with_response(
        problem(403, "Forbidden", "only the case's commune"))
    refused = post(clinic_doctor, "/cases/c-7f3a/transfers", {"version": "2", "to_commune": "22370",
                                                              "reason": REASON})
    assert refused.status_code == 403
    assert "Bạn không được phép xem hoặc làm việc này." in form_block(refused.get_data(as_text=True), "transfer")


@pytest.mark.parametrize("status", [409, 412])
def test_a_case_changed_meanwhile_shows_the_fresh_page(officer, services, status):
    fake_case(services)
    services.expect_request(f"{CASE_PATH}/referrals", method="POST").respond_with_response(
        problem(status, "Conflict", "the case changed"))
    stale = post(officer, "/cases/c-7f3a/referrals", {"version": "1", "to_unit": "CSCN-01", "reason": REASON})
    text = stale.get_data(as_text=True)
    assert stale.status_code == status, text
    assert "đã được người khác thay đổi" in text and REASON not in text
    assert hidden(text, "referral", "version") == "2"


def test_the_receiving_unit_accepts_or_rejects_an_open_referral(clinic_doctor, services):
    fake_case(services, case=SHARED)
    services.expect_request(f"{CASE_PATH}/shares/s-1/decision", method="PUT").respond_with_json(SHARED)
    text = clinic_doctor.get("/cases/c-7f3a").get_data(as_text=True)
    answer = form_block(text, "decision-s-1")
    assert 'value="accepted"' in answer and 'value="rejected"' in answer and 'value="revoked"' not in answer
    assert "decision-s-0" not in text and "20/11/2026" in text
    done = post(clinic_doctor, "/cases/c-7f3a/shares/s-1/decision", {
        "version": "2", "decision": "accepted", "reason": "Phòng khám tiếp nhận điều trị"})
    assert done.status_code == 302 and done.headers["Location"].endswith("done=decision")
    [sent] = sent_to(services, "PUT", f"{CASE_PATH}/shares/s-1/decision")
    assert sent.headers["If-Match"] == '"2"'
    assert json.loads(sent.data) == {"decision": "accepted", "reason": "Phòng khám tiếp nhận điều trị"}


def test_the_sender_is_offered_to_revoke_only(officer, services):
    fake_case(services, case=SHARED)
    answer = form_block(officer.get("/cases/c-7f3a").get_data(as_text=True), "decision-s-1")
    assert 'value="revoked"' in answer and 'value="accepted"' not in answer


def test_a_silent_directory_leaves_the_page_with_a_message(officer, services):
    services.expect_request("/api/v1/units").respond_with_response(problem(503, "Unavailable"))
    fake_case(services)
    shown = officer.get("/cases/c-7f3a")
    text = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "Hiện không thể hiển thị danh sách đơn vị." in text
