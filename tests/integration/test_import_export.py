"""Importing a commune's register and exporting case lists, against the real FerretDB."""
import csv
import io
import json
import os
import subprocess
import sys

import pytest
from openpyxl import Workbook, load_workbook

from shared.audit import AuditEntry
from shared.auth import Principal
from shared.eventstore import StoredEvent
from services.cases.adapters.documents import CaseSnapshot, Person
from services.cases.entrypoints.app import create_app
from services.cases.domain.commands import ImportCase
from services.cases.entrypoints.registers import read_register
from services.cases.service_layer.imports import CaseloadImport
from tests.support import ROOT

HEADER = ["Số hồ sơ", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Điện thoại", "Mã xã", "Ngày lập hồ sơ"]
ROWS = [["HS-01", "Nguyễn Văn Tâm", "1990-03-04", "Nam", "056090001001", "0905111222", "22366", "2026-02-01"],
        ["HS-02", "Trần Thị Thu", "1992-05-06", "Nữ", "056192001002", "", "22366", "2026-03-01"],
        ["HS-03", "Lê Văn Phúc", "1985-07-08", "nam", "", "0905333444", "22366", "2026-08-01"]]
OFFICER = Principal(subject="importer", roles=("caseworker",), unit="UBX-22366", areas=("22366",))


@pytest.fixture
def app(settings):
    return create_app(settings("cases"))


def xlsx(path, rows):
    book = Workbook()
    book.active.append(HEADER)
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def write_csv(path, rows):
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def test_an_excel_register_imports_once_however_often_it_is_run(app, tmp_path):
    caseload = CaseloadImport(app.extensions["service_layer"])
    rows = read_register(xlsx(tmp_path / "so-theo-doi.xlsx", ROWS))
    first = caseload.run(rows, OFFICER)
    assert (first.created, first.already_imported, first.errors) == (3, 0, {})
    again = caseload.run(rows, OFFICER)
    assert (again.created, again.already_imported) == (0, 3)
    assert CaseSnapshot.objects.count() == 3 and Person.objects.count() == 3
    regimes = sorted(s.state["regime"] for s in CaseSnapshot.objects)
    assert regimes == ["law-120-2025", "law-73-2021", "law-73-2021"]


def test_numbers_excel_stored_without_their_leading_zero_are_read_back(app, tmp_path):
    rows = read_register(xlsx(tmp_path / "numbers.xlsx", [["HS-09", "Ngô Văn Sơn", "1990-03-04", "Nam", 56090001009,
                                                            "", 22366, "2026-02-01"]]))
    report = CaseloadImport(app.extensions["service_layer"]).run(rows, OFFICER)
    assert report.errors == {} and report.created == 1


def test_one_bad_row_stops_the_import_with_a_report_per_row(app, tmp_path):
    bad = [*ROWS[:1], ["HS-02", "Trần Thị Thu", "1992-05-06", "Nữ", "056092001002", "", "22366", "2026-03-01"],
           ["HS-04", "Phan Văn Hải", "2031-01-01", "Nam", "", "", "99999", "2026-03-01"],
           ["HS-05", "Nguyễn Văn Tâm", "1990-03-04", "Nam", "056090001001", "", "22366", "2026-02-01"]]
    report = CaseloadImport(app.extensions["service_layer"]).run(read_register(write_csv(tmp_path / "r.csv", bad)),
                                                                  OFFICER)
    assert set(report.errors) == {3, 4, 5}
    assert "person.national_id" in report.errors[3] and "national_id" in report.errors[5]
    assert report.created == 0 and CaseSnapshot.objects.count() == 0 and StoredEvent.objects.count() == 0


def test_an_interrupted_import_finishes_without_doubles(app, tmp_path, monkeypatch):
    bus = app.extensions["service_layer"]
    rows = read_register(xlsx(tmp_path / "r.xlsx", ROWS))
    real, calls = bus.handlers[ImportCase], []

    def crash_after_two(*args, **kwargs):
        if len(calls) == 2:
            raise RuntimeError("power cut")
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setitem(bus.handlers, ImportCase, crash_after_two)
    with pytest.raises(RuntimeError):
        CaseloadImport(bus).run(rows, OFFICER)
    monkeypatch.setitem(bus.handlers, ImportCase, real)
    report = CaseloadImport(bus).run(rows, OFFICER)
    assert (report.created, report.already_imported) == (1, 2) and CaseSnapshot.objects.count() == 3


def test_the_cli_imports_with_a_progress_bar_and_reports_json(app, tmp_path, settings):
    register = xlsx(tmp_path / "r.xlsx", ROWS[:2])
    s = settings("cases")
    env = {**os.environ, "MONGODB_URI": s.mongodb_uri, "AMQP_URL": s.amqp_url,
           "MONGODB_DB_PREFIX": s.mongodb_db.rsplit("_", 1)[0]}
    run = subprocess.run([sys.executable, "-m", "services.cases.entrypoints.cli", "import", str(register),
                          "--subject", "cli", "--unit", "UBX-22366", "--area", "22366"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["created"] == 2 and "importing" in run.stderr


def test_exports_carry_only_the_columns_a_role_may_see(app, tmp_path, auth):
    CaseloadImport(app.extensions["service_layer"]).run(read_register(xlsx(tmp_path / "r.xlsx", ROWS)), OFFICER)
    client = app.test_client()

    def sheet(headers):
        response = client.get("/api/v1/cases/export.xlsx?purpose=periodic_report", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
        return rows[0], rows[1:]

    police = auth(subject="ca", roles=["police_liaison"], areas=["22366"])
    columns, rows = sheet(police)
    assert "national_id" in columns and "person_code" in columns and len(rows) == 3
    assert all(r[columns.index("person_code")] for r in rows)
    assert "056090001001" in [r[columns.index("national_id")] for r in rows]
    doctor_columns, _ = sheet(auth(subject="bs", roles=["health_worker"], areas=["22366"]))
    assert "full_name" in doctor_columns and "national_id" not in doctor_columns and "phone" not in doctor_columns
    assert client.get("/api/v1/cases/export.xlsx?purpose=periodic_report",
                      headers=auth(subject="p", roles=["plan_coordinator"], areas=["56"])).status_code == 403


def test_an_export_states_its_purpose_is_capped_and_audited_with_its_row_count(settings, tmp_path, auth):
    app = create_app(settings("cases", EXPORT_MAX_ROWS="2"))
    CaseloadImport(app.extensions["service_layer"]).run(read_register(xlsx(tmp_path / "r.xlsx", ROWS)), OFFICER)
    client, police = app.test_client(), auth(subject="ca", roles=["police_liaison"], areas=["22366"])
    unexplained = client.get("/api/v1/cases/export.xlsx", headers=police)
    assert unexplained.status_code == 422 and "purpose" in unexplained.get_json()["errors"]
    curious = client.get("/api/v1/cases/export.xlsx?purpose=curiosity", headers=police)
    assert curious.status_code == 422 and "purpose" in curious.get_json()["errors"]
    too_many = client.get("/api/v1/cases/export.xlsx?purpose=court_dossier", headers=police)
    assert too_many.status_code == 422 and "filters" in too_many.get_json()["errors"]
    assert AuditEntry.objects(action="export").count() == 0, "nothing left the system"
    case_number = CaseSnapshot.objects.first().case_number
    narrowed = client.get(f"/api/v1/cases/export.xlsx?purpose=court_dossier&case_number={case_number}",
                          headers=police)
    assert narrowed.status_code == 200, narrowed.get_data(as_text=True)
    [summary] = AuditEntry.objects(action="export", resource_type="case_list")
    assert summary.purpose == "court_dossier" and summary.rows == 1 and summary.subject == "ca"
