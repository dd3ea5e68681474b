"""The treating clinic's methadone page against the cases API faked by a real HTTP server (pytest-httpserver): the
phase and since when, the dose log as dd/mm/yyyy with doses in mg written with the Vietnamese decimal comma, the
breaches and open termination proposals; its forms send the rendered version as If-Match (and the form's
Idempotency-Key where the API takes one) with the body the API takes; a refused field is named in Vietnamese with
what was typed kept; a stale case shows the fresh page; a role the API answers without the clinical section sees
no link on the case page and "not permitted" on the methadone page."""
from __future__ import annotations

import json

import pytest

from tests.integration.portal.conftest import csrf_of, enrolled
from tests.integration.portal.pages.test_case_actions import field, hidden
from tests.integration.portal.pages.test_case_pages import CASE, HISTORY, WORKFLOWS
from tests.integration.portal.pages.test_pages import COUNTS, problem

CASE_PATH = "/api/v1/cases/c-7f3a"
THERAPY = {"admitted_on": "2026-09-01", "clinic_unit": "PK-MMT-01", "phase": "titration",
           "phase_since": "2026-10-05", "maintenance_since": None, "last_dose_on": "2026-11-20",
           "missed_doses_last_30_days": 1,
           "breaches": [{"breach_id": "b-1", "kind": "protocol", "occurred_on": "2026-11-10", "recorded_by": "bs-an",
                         "description": "Đến muộn"}],
           "termination_proposals": [
               {"proposal_id": "p-1", "ground": "protocol_breaches", "evidence": ["b-1"], "proposed_on": "2026-11-12",
                "clinic_unit": "PK-MMT-01", "status": "open", "dismissed_by": ""},
               {"proposal_id": "p-0", "ground": "opioid_positive_tests", "evidence": [],
                "proposed_on": "2026-10-01", "clinic_unit": "PK-MMT-01", "status": "dismissed",
                "dismissed_by": "bs-an"}]}
CLINIC_CASE = {**CASE, "stage": "ost", "version": 5, "therapy": THERAPY}
DOSES = [{"dose_id": "d-1", "given_on": "2026-11-19", "missed": False, "dose_mg": 62.5, "recorded_by": "bs-an"},
         {"dose_id": "d-2", "given_on": "2026-11-20", "missed": True, "dose_mg": None, "recorded_by": "bs-an"}]
PAGE = "/cases/c-7f3a/methadone"


@pytest.fixture
def doctor(client, clock, make_account):
    make_account(username="bs-an", roles=("health_worker",), full_name="Nguyễn Thị An", unit="PK-MMT-01")
    enrolled(client, clock, username="bs-an")
    return client


def fake_clinic_case(services, case=CLINIC_CASE, doses=DOSES):
    services.expect_request("/api/v1/workflows").respond_with_json(WORKFLOWS)
    services.expect_request("/api/v1/inbox/counts").respond_with_json(COUNTS)
    services.expect_request("/api/v1/units").respond_with_json([])
    services.expect_request(f"{CASE_PATH}/methadone/doses", method="GET").respond_with_json(doses)
    services.expect_request(CASE_PATH, method="GET").respond_with_json(
        {**case, "history": HISTORY, "transitions": []}, headers={"ETag": f'"{case["version"]}"'})


def sent_to(services, method, path):
    return [request for request, _response in services.log if request.method == method and request.path == path]


def post(client, path, data):
    return client.post(path, data={"csrf_token": csrf_of(client.get(PAGE)), **data})


def test_the_page_shows_phase_doses_breaches_and_open_proposals(doctor, services):
    fake_clinic_case(services)
    case_page = doctor.get("/cases/c-7f3a").get_data(as_text=True)
    assert 'href="/cases/c-7f3a/methadone"' in case_page
    shown = doctor.get(PAGE)
    text = shown.get_data(as_text=True)
    assert shown.status_code == 200, text
    assert "Điều chỉnh liều" in text and "05/10/2026" in text
    assert "19/11/2026" in text and "62,5" in text and "Bỏ liều" in text
    assert text.index("20/11/2026") < text.index("19/11/2026")
    assert "Vi phạm phác đồ" in text and "Đến muộn" in text
    assert 'action="/cases/c-7f3a/methadone/proposals/p-1/dismissal"' in text and "p-0/dismissal" not in text
    assert hidden(text, "dose", "version") == "5" and hidden(text, "dose", "idempotency_key")
    assert hidden(text, "dose", "idempotency_key") != hidden(text, "breach", "idempotency_key")
    for control in ("given_on", "dose_mg", "missed", "phase", "effective_on", "kind", "occurred_on"):
        control_id = next(part for part in field(text, control).split() if part.startswith("id="))[4:-1]
        assert f'for="{control_id}"' in text, control
    assert "<script>" not in text and "style=" not in text and 'name="csrf_token"' in text
    for request, _response in services.log:
        assert request.headers["Authorization"].startswith("Bearer ")


def test_a_dose_goes_to_the_api_with_if_match_and_the_forms_idempotency_key(doctor, services):
    fake_clinic_case(services)
    services.expect_request(f"{CASE_PATH}/methadone/doses", method="POST").respond_with_json(
        {**CLINIC_CASE, "version": 6}, status=201, headers={"ETag": '"6"'})
    key = hidden(doctor.get(PAGE).get_data(as_text=True), "dose", "idempotency_key")
    done = post(doctor, f"{PAGE}/doses", {"version": "5", "idempotency_key": key, "form": "dose",
                                          "given_on": "21/11/2026", "dose_mg": "62,5"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/cases/c-7f3a/methadone?done=dose")
    [sent] = sent_to(services, "POST", f"{CASE_PATH}/methadone/doses")
    assert sent.headers["If-Match"] == '"5"' and sent.headers["Idempotency-Key"] == key
    assert json.loads(sent.data) == {"given_on": "2026-11-21", "dose_mg": 62.5}
    assert "Đã ghi liều." in doctor.get(done.headers["Location"]).get_data(as_text=True)


def test_a_missed_dose_is_sent_without_an_amount(doctor, services):
    fake_clinic_case(services)
    services.expect_request(f"{CASE_PATH}/methadone/doses", method="POST").respond_with_json(CLINIC_CASE, status=201)
    post(doctor, f"{PAGE}/doses", {"version": "5", "idempotency_key": "k-1", "given_on": "2026-11-21",
                                   "missed": "true", "dose_mg": ""})
    [sent] = sent_to(services, "POST", f"{CASE_PATH}/methadone/doses")
    assert json.loads(sent.data) == {"given_on": "2026-11-21", "missed": True}


def test_phase_breach_and_dismissal_go_as_the_api_takes_them(doctor, services):
    fake_clinic_case(services)
    for method, path in (("PUT", "phase"), ("POST", "breaches"), ("PUT", "termination-proposals/p-1/dismissal")):
        services.expect_request(f"{CASE_PATH}/methadone/{path}", method=method).respond_with_json(CLINIC_CASE)
    post(doctor, f"{PAGE}/phase", {"version": "5", "phase": "maintenance", "effective_on": "22/11/2026"})
    post(doctor, f"{PAGE}/breaches", {"version": "5", "idempotency_key": "k-b", "kind": "offence",
                                      "occurred_on": "2026-11-18", "description": "Bán lại thuốc"})
    post(doctor, f"{PAGE}/proposals/p-1/dismissal", {"version": "5", "reason": "Đã cam kết tuân thủ phác đồ"})
    [phase] = sent_to(services, "PUT", f"{CASE_PATH}/methadone/phase")
    assert json.loads(phase.data) == {"phase": "maintenance", "effective_on": "2026-11-22"}
    assert phase.headers["If-Match"] == '"5"' and "Idempotency-Key" not in phase.headers
    [breach] = sent_to(services, "POST", f"{CASE_PATH}/methadone/breaches")
    assert json.loads(breach.data) == {"kind": "offence", "occurred_on": "2026-11-18", "description": "Bán lại thuốc"}
    assert breach.headers["If-Match"] == '"5"' and breach.headers["Idempotency-Key"] == "k-b"
    [dismissal] = sent_to(services, "PUT", f"{CASE_PATH}/methadone/termination-proposals/p-1/dismissal")
    assert json.loads(dismissal.data) == {"reason": "Đã cam kết tuân thủ phác đồ"}
    assert dismissal.headers["If-Match"] == '"5"'


def test_a_refused_dose_is_named_in_vietnamese_and_the_typed_values_stay(doctor, services):
    fake_clinic_case(services)
    services.expect_request(f"{CASE_PATH}/methadone/doses", method="POST").respond_with_response(problem(
        422, "Unprocessable Entity", "dose_mg: is required",
        '{"dose_mg": ["Must be greater than 0 and less than or equal to 400."]}'))
    refused = post(doctor, f"{PAGE}/doses", {"version": "5", "idempotency_key": "k-1", "form": "dose",
                                             "given_on": "2026-11-21", "dose_mg": "450"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422, text
    block = text[text.index('id="dose-form"'):]
    assert "Liều (mg): ngoài khoảng cho phép" in block[:block.index("</form>")]
    assert 'value="450"' in field(text, "dose_mg") and 'value="2026-11-21"' in field(text, "given_on")


def test_a_refusal_by_role_is_reported_in_the_form(doctor, services):
    fake_clinic_case(services)
    services.expect_request(f"{CASE_PATH}/methadone/breaches", method="POST").respond_with_response(
        problem(403, "Forbidden", "not the treating clinic"))
    refused = post(doctor, f"{PAGE}/breaches", {"version": "5", "idempotency_key": "k-1", "kind": "protocol",
                                                "occurred_on": "2026-11-21"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 403, text
    block = text[text.index('id="breach-form"'):]
    assert "Bạn không được phép xem hoặc làm việc này." in block[:block.index("</form>")]


@pytest.mark.parametrize("status", [409, 412])
def test_a_case_changed_meanwhile_shows_the_fresh_page(doctor, services, status):
    fake_clinic_case(services)
    services.expect_request(f"{CASE_PATH}/methadone/doses", method="POST").respond_with_response(
        problem(status, "Conflict", "the case changed"))
    stale = post(doctor, f"{PAGE}/doses", {"version": "4", "idempotency_key": "k-1", "given_on": "2026-11-21",
                                           "dose_mg": "61"})
    text = stale.get_data(as_text=True)
    assert stale.status_code == status, text
    assert "đã được người khác thay đổi" in text and 'value="61"' not in text
    assert hidden(text, "dose", "version") == "5"


def test_a_role_without_the_clinical_section_sees_no_link_and_is_not_permitted(officer, services):
    fake_clinic_case(services, case=CASE)
    case_page = officer.get("/cases/c-7f3a").get_data(as_text=True)
    assert "/methadone" not in case_page
    refused = officer.get(PAGE)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 403, text
    assert "Bạn không được phép xem hoặc làm việc này." in text and "dose-form" not in text
    assert not sent_to(services, "GET", f"{CASE_PATH}/methadone/doses")


def test_a_refused_dose_log_leaves_the_rest_of_the_page(doctor, services):
    services.expect_request(f"{CASE_PATH}/methadone/doses", method="GET").respond_with_response(
        problem(403, "Forbidden", "the treating clinic only"))
    fake_clinic_case(services)
    text = doctor.get(PAGE).get_data(as_text=True)
    assert "Bạn không được phép xem hoặc làm việc này." in text and "Điều chỉnh liều" in text
