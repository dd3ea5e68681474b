"""Uploading a commune's register to the cases API: the command line's import over HTTP, with its report per
row, against the real FerretDB."""
import csv
import io
import zipfile

import pytest
from openpyxl import Workbook

from shared.audit import AuditEntry
from shared.eventstore import StoredEvent
from services.cases.adapters.documents import CaseSnapshot, Person
from services.cases.entrypoints.app import create_app

HEADER = ["Số hồ sơ", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Điện thoại", "Mã xã", "Ngày lập hồ sơ"]
ROWS = [["HS-01", "Nguyễn Văn Tâm", "1990-03-04", "Nam", "056090001001", "0905111222", "22366", "2026-02-01"],
        ["HS-02", "Trần Thị Thu", "1992-05-06", "Nữ", "056192001002", "", "22366", "2026-03-01"]]
BAD_ROW = ["HS-03", "Phan Văn Hải", "2031-01-01", "Nam", "", "", "22366", "2026-03-01"]
PATH = "/api/v1/register-imports"


@pytest.fixture
def app(settings):
    return create_app(settings("cases"))


@pytest.fixture
def officer(auth):
    return auth(subject="importer", roles=["caseworker"], unit="UBX-22366", areas=["22366"])


def csv_bytes(rows, header=HEADER) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8-sig")


def xlsx_bytes(rows) -> bytes:
    book, out = Workbook(), io.BytesIO()
    book.active.append(HEADER)
    for row in rows:
        book.active.append(row)
    book.save(out)
    return out.getvalue()


def upload(app, headers, data: bytes | None, name="so-theo-doi.csv", **extra_headers):
    body = {} if data is None else {"register": (io.BytesIO(data), name)}
    return app.test_client().post(PATH, data=body, headers={**headers, **extra_headers},
                                  content_type="multipart/form-data")


def nothing_stored():
    return CaseSnapshot.objects.count() == 0 and Person.objects.count() == 0 and StoredEvent.objects.count() == 0


def test_a_csv_register_is_imported_with_a_report_per_row_and_audited(app, officer):
    response = upload(app, officer, csv_bytes(ROWS))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["imported"], body["opened"], body["already_imported"], body["refused"]) == (True, 2, 0, 0)
    assert [(r["row"], r["register_ref"], r["outcome"]) for r in body["report"]] == [(2, "HS-01", "opened"),
                                                                                    (3, "HS-02", "opened")]
    assert CaseSnapshot.objects.count() == 2
    opened = {entry.resource_id for entry in AuditEntry.objects(action="open", subject="importer",
                                                                resource_type="case")}
    assert opened == {snapshot.id for snapshot in CaseSnapshot.objects}
    again = upload(app, officer, csv_bytes(ROWS)).get_json()
    assert [r["outcome"] for r in again["report"]] == ["already_imported", "already_imported"]
    assert CaseSnapshot.objects.count() == 2


def test_an_xlsx_register_is_imported(app, officer):
    response = upload(app, officer, xlsx_bytes(ROWS), name="so.xlsx")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["opened"] == 2 and CaseSnapshot.objects.count() == 2


def test_refused_rows_are_named_and_nothing_is_stored(app, officer):
    response = upload(app, officer, csv_bytes([*ROWS, BAD_ROW]))
    assert response.status_code == 200
    body = response.get_json()
    assert body["imported"] is False and body["refused"] == 1
    refused = [r for r in body["report"] if r["outcome"] == "refused"]
    assert [(r["row"], r["register_ref"]) for r in refused] == [(4, "HS-03")]
    assert "opened_on" in refused[0]["errors"] or "person.birth_date" in refused[0]["errors"]
    assert {r["outcome"] for r in body["report"] if r["row"] != 4} == {"not_imported"}
    assert nothing_stored()


def test_a_police_officer_of_another_commune_is_refused_row_by_row(app, auth):
    elsewhere = auth(subject="ca-khac", roles=["police_liaison"], unit="CA-22369", areas=["22369"])
    body = upload(app, elsewhere, csv_bytes(ROWS)).get_json()
    assert body["imported"] is False and {r["outcome"] for r in body["report"]} == {"refused"}
    assert all(r["errors"] for r in body["report"])
    assert nothing_stored()


def test_a_role_that_opens_no_cases_is_forbidden(app, auth):
    doctor = auth(subject="bs", roles=["health_worker"], unit="TYT-22366", areas=["22366"])
    response = upload(app, doctor, csv_bytes(ROWS))
    assert response.status_code == 403 and response.mimetype == "application/problem+json"
    unread = upload(app, doctor, b"PK\x03\x04 not even a zip", name="so.xlsx")
    assert unread.status_code == 403, "the file is not opened for a caller who may not import"


def test_a_workbook_that_unpacks_to_more_than_its_limit_is_refused_unread(app, officer):
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/sharedStrings.xml", b"\0" * (65 * 1024 * 1024))
    response = upload(app, officer, packed.getvalue(), name="so.xlsx")
    assert response.status_code == 422 and "unpacks to more than" in response.get_json()["errors"]["register"][0]
    assert nothing_stored()
    assert nothing_stored()


@pytest.mark.parametrize("data, name", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "so.csv"),
    (b"%PDF-1.4\n\xe2\xe3\xcf\xd3\n", "so.xlsx"),
    (None, "a zip that is no workbook"),
    (b"", "empty.csv"),
    ("một,hai\n1,2\n".encode(), "headers.csv"),
])
def test_a_file_that_is_no_register_is_refused_naming_the_field(app, officer, data, name):
    if data is None:
        zipped = io.BytesIO()
        with zipfile.ZipFile(zipped, "w") as archive:
            archive.writestr("word/document.xml", "<w/>")
        data, name = zipped.getvalue(), "so.xlsx"
    response = upload(app, officer, data, name=name)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json" and "register" in response.get_json()["errors"]
    assert nothing_stored()


def test_no_file_is_refused_naming_the_field(app, officer):
    response = upload(app, officer, None)
    assert response.status_code == 422 and "register" in response.get_json()["errors"]
    json_body = app.test_client().post(PATH, json={"register": "x"}, headers=officer)
    assert json_body.status_code == 422 and "register" in json_body.get_json()["errors"]


def test_an_upload_by_a_method_the_route_lacks_is_405_not_a_body_refusal(app, officer):
    """The route's method is checked before the body: a PUT of the same upload is 405 (the generated-requests
    check found 415, the API's answer to a body that is not JSON)."""
    response = app.test_client().put(PATH, data={"register": (io.BytesIO(csv_bytes(ROWS)), "so.csv")},
                                     headers=officer, content_type="multipart/form-data")
    assert response.status_code == 405 and response.mimetype == "application/problem+json"
    assert nothing_stored()


def test_a_register_over_the_size_limit_is_refused_with_413(app, officer):
    app.config["REGISTER_MAX_BYTES"] = 1000
    response = upload(app, officer, csv_bytes(ROWS * 20))
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    assert "register" in response.get_json()["errors"]
    assert nothing_stored()


def test_the_default_limit_takes_a_register_larger_than_other_bodies(app, officer):
    padded = [[f"HS-{n}", f"Người Thứ {n}", "1990-03-04", "Nam", "", "", "22366", "2026-02-01", "x" * 100_000]
              for n in range(30)]
    response = upload(app, officer, csv_bytes(padded, HEADER + ["Ghi chú"]))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    too_large = upload(app, officer, b"x" * (5 * 1024 * 1024 + 1))
    assert too_large.status_code == 413


def test_a_register_over_the_row_limit_is_refused(app, officer):
    app.config["REGISTER_MAX_ROWS"] = 1
    response = upload(app, officer, csv_bytes(ROWS))
    assert response.status_code == 422 and "register" in response.get_json()["errors"]
    assert nothing_stored()


def framed(data: bytes, boundary="dh-upload-1") -> bytes:
    """The upload as a retry sends it again: byte for byte (the key's fingerprint is of the whole request)."""
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"register\"; filename=\"so.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()


def test_a_replayed_idempotency_key_imports_once(app, officer):
    body, headers = framed(csv_bytes(ROWS)), {**officer, "Idempotency-Key": "upload-1"}
    send = lambda: app.test_client().post(PATH, data=body, headers=headers,  # noqa: E731
                                          content_type="multipart/form-data; boundary=dh-upload-1")
    first = send()
    assert first.status_code == 200 and first.get_json()["opened"] == 2
    replay = send()
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.get_json()["opened"] == 2 and CaseSnapshot.objects.count() == 2
