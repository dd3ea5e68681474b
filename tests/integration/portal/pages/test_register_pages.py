"""The register pages against the cases API faked by a real HTTP server (pytest-httpserver): an uploaded register
is forwarded as multipart with the person's own token and the form's Idempotency-Key, its report shown refused
rows first with the field in Vietnamese; a file that is not a register, or too large, gets a message and is not
sent; an export streams the API's workbook back with the posted purpose, no term in any address."""
from __future__ import annotations

import io
import json
import re

from werkzeug import Response

from tests.integration.portal.pages.test_case_pages import WORKFLOWS
from tests.integration.portal.pages.test_pages import COUNTS, problem

IMPORTS = "/api/v1/register-imports"
EXPORT = "/api/v1/cases/export.xlsx"
REPORT = {"imported": False, "rows": 2, "opened": 0, "already_imported": 0, "refused": 1, "report": [
    {"row": 2, "register_ref": "HS-01", "outcome": "not_imported", "errors": {}},
    {"row": 3, "register_ref": "HS-02", "outcome": "refused", "errors": {"person.birth_date": ["is in the future"]}}]}
CSV = "Số hồ sơ,Họ và tên\nHS-01,Nguyễn Văn Tâm\n".encode("utf-8-sig")
WORKBOOK = b"PK\x03\x04 a workbook"


def page_services(services):
    services.expect_request("/api/v1/inbox/counts").respond_with_json(COUNTS)
    services.expect_request("/api/v1/workflows").respond_with_json(WORKFLOWS)


def sent(services, path):
    return [request for request, _response in services.log if request.path == path]


def csrf_and_key(client, page="/cases/import") -> dict:
    shown = client.get(page).get_data(as_text=True)
    found = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', shown).group(1)}
    key = re.search(r'name="idempotency_key" value="([^"]+)"', shown)
    return {**found, "idempotency_key": key.group(1)} if key else found


def upload(client, content: bytes, name="so-theo-doi.csv", fields=None):
    fields = fields or csrf_and_key(client)
    return client.post("/cases/import", data={**fields, "register": (io.BytesIO(content), name)},
                       content_type="multipart/form-data"), fields


def test_the_import_form_takes_a_csv_or_xlsx_with_its_limit_stated(officer, services):
    page_services(services)
    text = officer.get("/cases/import").get_data(as_text=True)
    assert 'type="file"' in text and 'accept=".csv,.xlsx"' in text and '<label for="register">' in text
    assert 'enctype="multipart/form-data"' in text and "5 MB" in text
    cases = officer.get("/cases").get_data(as_text=True)
    assert 'href="/cases/import"' in cases and 'href="/cases/export"' in cases


def test_an_upload_is_forwarded_as_multipart_with_the_token_and_its_report_shown(officer, services):
    page_services(services)
    services.expect_request(IMPORTS, method="POST").respond_with_json(REPORT)
    answer, fields = upload(officer, CSV)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200, text
    [request] = sent(services, IMPORTS)
    assert request.headers["Authorization"].startswith("Bearer ") and request.mimetype == "multipart/form-data"
    assert request.headers["Idempotency-Key"] == fields["idempotency_key"]
    assert request.files["register"].read() == CSV and request.files["register"].filename == "so-theo-doi.csv"
    assert "csrf_token" not in request.form
    table = text[text.index('id="import-rows"'):]
    assert table.index("HS-02") < table.index("HS-01"), "refused rows come first"
    assert "Ngày sinh: is in the future" in table and "Bị từ chối" in table
    assert "Chưa nhập gì" in text


def test_the_same_form_sent_twice_is_the_same_request_to_the_api(officer, services):
    page_services(services)
    services.expect_request(IMPORTS, method="POST").respond_with_json(REPORT)
    _first, fields = upload(officer, CSV)
    upload(officer, CSV, fields=fields)
    first, second = sent(services, IMPORTS)
    assert first.get_data() == second.get_data()
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]


def test_a_file_that_is_not_a_register_gets_a_message_and_is_not_sent(officer, services):
    page_services(services)
    answer, _fields = upload(officer, b"\x89PNG\r\n", name="anh.png")
    assert answer.status_code == 422 and "không phải sổ theo dõi" in answer.get_data(as_text=True)
    empty, _fields = upload(officer, b"", name="so.csv")
    assert empty.status_code == 422
    assert sent(services, IMPORTS) == []


def test_a_file_the_api_refuses_gets_its_reason_on_the_page(officer, services):
    page_services(services)
    services.expect_request(IMPORTS, method="POST").respond_with_response(problem(
        422, "Unprocessable input", "register: no", json.dumps({"register": ["holds no rows under its header"]})))
    answer, _fields = upload(officer, CSV)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "không phải sổ theo dõi" in text and "holds no rows" in text


def test_a_file_over_the_limit_gets_a_message_and_is_not_sent(officer, services, portal):
    page_services(services)
    portal.config["REGISTER_MAX_BYTES"] = 1000
    answer, _fields = upload(officer, b"x" * 5000)
    assert answer.status_code == 413 and "lớn hơn" in answer.get_data(as_text=True)
    assert sent(services, IMPORTS) == []


def test_a_register_up_to_the_default_limit_is_taken_beyond_the_other_forms_limit(officer, services):
    page_services(services)
    services.expect_request(IMPORTS, method="POST").respond_with_json({**REPORT, "imported": True, "report": []})
    answer, _fields = upload(officer, CSV + b"x" * (3 * 1024 * 1024))
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    too_large, _fields = upload(officer, b"x" * (6 * 1024 * 1024))
    assert too_large.status_code == 413 and len(sent(services, IMPORTS)) == 1


def test_an_export_streams_the_workbook_with_the_posted_purpose(officer, services):
    page_services(services)
    services.expect_request(EXPORT, method="GET").respond_with_response(Response(
        WORKBOOK, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    form = officer.get("/cases/export").get_data(as_text=True)
    assert '<label for="purpose">' in form and 'value="periodic_report"' in form
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = officer.post("/cases/export", data={"csrf_token": token, "purpose": "court_dossier",
                                                 "commune_code": "22366", "stage": ""})
    assert answer.status_code == 200 and answer.data == WORKBOOK
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    [request] = sent(services, EXPORT)
    assert request.args.to_dict() == {"purpose": "court_dossier", "commune_code": "22366"}
    assert request.headers["Authorization"].startswith("Bearer ")
    assert "22366" not in answer.request.url and "court_dossier" not in answer.request.url
    assert all("purpose" not in href and "22366" not in href for href in re.findall(r'(?:href|action)="([^"]*)"', form))


def test_an_export_the_api_refuses_is_a_message_on_the_form(officer, services):
    page_services(services)
    services.expect_request(EXPORT, method="GET").respond_with_response(problem(
        422, "Unprocessable input", "filters: too many", json.dumps({"filters": ["over 5000 rows; narrow them"]})))
    token = re.search(r'name="csrf_token" value="([^"]+)"', officer.get("/cases/export").get_data(as_text=True))
    answer = officer.post("/cases/export", data={"csrf_token": token.group(1), "purpose": "inspection"})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "Bộ lọc" in text and "narrow them" in text
    without = officer.post("/cases/export", data={"csrf_token": token.group(1), "purpose": "curiosity"})
    assert without.status_code == 422 and len(sent(services, EXPORT)) == 1


def test_the_api_silent_is_a_message(officer, services):
    page_services(services)
    services.expect_request(IMPORTS, method="POST").respond_with_response(problem(503, "Service Unavailable"))
    answer, _fields = upload(officer, CSV)
    assert answer.status_code == 503 and "không" in answer.get_data(as_text=True).lower()
