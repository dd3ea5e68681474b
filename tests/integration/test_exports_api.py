"""The plans' exports through the API against the real FerretDB: a unit's calendar feed subscribed to by URL with
its secret (parsed with `icalendar`), and a plan's consolidated report as XLSX (opened with openpyxl, read cell by
cell) and CSV, read from the roll-up."""
import csv
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar
from openpyxl import load_workbook

from services.plans.domain.commands import RefreshRollup
from services.plans.entrypoints.app import create_app

PROVINCE, COMMUNE, OTHER = "56", "22366", "22333"
TRICKY_NAME = "=1+2 Công an phường Bắc Nha Trang"
UNITS = (("UBND-T56", "Ban chỉ đạo tỉnh", "provincial_committee", PROVINCE),
         ("CA-T56", "Công an tỉnh", "provincial_police", PROVINCE),
         ("SGD-T56", "Sở Giáo dục và Đào tạo", "department", PROVINCE),
         ("CAX-22366", "Công an phường Nha Trang", "commune_police", COMMUNE),
         ("UBX-22366", "UBND phường Nha Trang", "commune_committee", COMMUNE),
         ("CAX-22333", TRICKY_NAME, "commune_police", OTHER))
INDICATORS = [{"code": "outreach_sessions", "target": 100}, {"code": "drug_cases", "target": 30}]
CRACKDOWN = {"offences": [{"offence": "trafficking", "cases": 2, "suspects": 3}],
             "seizures": [{"drug": "heroin", "quantity": 15.5, "measure": "g"}]}


@pytest.fixture
def app(settings):
    return create_app(settings("plans"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def people(auth):
    return {"coordinator": auth(subject="pc", roles=["plan_coordinator"], unit="UBND-T56", areas=[PROVINCE]),
            "committee": auth(subject="ubx", roles=["unit_reporter"], unit="UBX-22366", areas=[COMMUNE]),
            "police": auth(subject="cax", roles=["unit_reporter"], unit="CAX-22366", areas=[COMMUNE]),
            "other": auth(subject="cax2", roles=["unit_reporter"], unit="CAX-22333", areas=[OTHER]),
            "auditor": auth(subject="tt", roles=["auditor"], unit="TTr-T56", areas=[PROVINCE]),
            "elsewhere": auth(subject="pc01", roles=["plan_coordinator"], unit="UBND-T01", areas=["01"])}


def ok(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def new_plan(client, coordinator, title="Tháng hành động phòng, chống ma túy 2026"):
    return ok(client.post("/api/v1/plans", headers=coordinator, json={
        "title": title, "kind": "action_month", "area_code": PROVINCE, "starts_on": "2026-06-01",
        "ends_on": "2026-06-30", "summary_report_due_on": "2026-07-02", "indicators": INDICATORS}), 201)


@pytest.fixture
def plan(app, client, people):
    """An issued Action Month plan: a crackdown task led by the provincial police with shares for two communes'
    units, and a schools task of the education department nobody is assigned."""
    app.extensions["service_layer"].dependencies["clock"].today = lambda: date(2026, 5, 25)
    coordinator = people["coordinator"]
    for code, name, kind, area in UNITS:
        ok(client.post("/api/v1/units", headers=coordinator,
                       json={"unit_code": code, "name": name, "kind": kind, "area_code": area}), 201)
    plan = new_plan(client, coordinator)
    task = ok(client.post(f"/api/v1/plans/{plan['id']}/tasks", headers=coordinator, json={
        "title": "Đấu tranh, triệt phá tội phạm ma túy", "lead_unit": "CA-T56", "supporting_units": ["CAX-22366"],
        "starts_on": "2026-06-01", "due_on": "2026-06-30", "indicators": INDICATORS}), 201)
    for unit, shares in (("CAX-22366", {"drug_cases": 10}), ("UBX-22366", {"outreach_sessions": 20}),
                         ("CAX-22333", {"drug_cases": 5, "outreach_sessions": 10})):
        ok(client.put(f"/api/v1/tasks/{task['id']}/assignments/{unit}", headers=coordinator,
                      json={"shares": shares}))
    schools = ok(client.post(f"/api/v1/plans/{plan['id']}/tasks", headers=coordinator, json={
        "title": "Tuyên truyền trong trường học", "lead_unit": "SGD-T56", "starts_on": "2026-06-01",
        "due_on": "2026-06-20", "indicators": [{"code": "outreach_sessions", "target": 50}]}), 201)
    ok(client.post(f"/api/v1/plans/{plan['id']}/issue", headers=coordinator, json={
        "issuing_authority": "Ủy ban nhân dân tỉnh Khánh Hòa", "document_number": "2057/KH-UBND",
        "document_date": "2026-05-20", "signer": "Phó Chủ tịch"}))
    return {"id": plan["id"], "task": task["id"], "schools": schools["id"]}


def subscribe(client, headers, unit="UBX-22366"):
    minted = client.post(f"/api/v1/units/{unit}/calendar-token", headers=headers)
    body = ok(minted, 201)
    assert minted.headers["Cache-Control"] == "no-store" and body["webcal_url"].startswith("webcal://")
    assert minted.headers["ETag"] == f'"{body["generation"]}"'
    url = urlsplit(body["url"])
    return f"{url.path}?{url.query}", body


def feed(client, address):
    answer = client.get(address)
    assert answer.status_code == 200 and answer.mimetype == "text/calendar", answer.get_data(as_text=True)
    return Calendar.from_ical(answer.get_data())


def events_of(calendar):
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_a_unit_subscribes_to_its_deadlines_by_url_without_a_bearer_token(client, people, plan):
    address, minted = subscribe(client, people["committee"])
    assert minted["generation"] == 1 and "token=" in address
    first, second = feed(client, address), feed(client, address)
    assert str(first["X-WR-CALNAME"]) == "Hạn công việc phòng, chống ma túy - UBND phường Nha Trang"
    events = events_of(first)
    assert set(events) == set(events_of(second)), "the same UIDs on every fetch"
    due = events[f"UBX-22366.task-due.{plan['task']}@plans.donghanh"]
    assert due.decoded("DTSTART") == date(2026, 6, 30) and due.decoded("DTEND") == date(2026, 7, 1)
    assert str(due["SUMMARY"]) == "Hạn hoàn thành nhiệm vụ (được giao): Đấu tranh, triệt phá tội phạm ma túy"
    assert sorted(a.decoded("TRIGGER") for a in due.walk("VALARM")) == [-timedelta(days=7), -timedelta(days=1)]
    week_one = events[f"UBX-22366.report-due.{plan['task']}.W1@plans.donghanh"]
    assert week_one.decoded("DTSTART") == date(2026, 6, 9) and "tuần 1" in str(week_one["SUMMARY"])
    assert len([uid for uid in events if ".report-due." in uid]) == 6  # five weeks and the final report
    assert not any(plan["schools"] in uid for uid in events), "a task the unit has no part in"
    assert "Phó Chủ tịch" not in str(first.to_ical(), "utf-8"), "no person in the feed"


def test_the_coordinating_unit_sees_the_summary_report_and_the_lead_its_tasks_but_nothing_of_a_draft(
        client, people, plan):
    coordinator = people["coordinator"]
    draft = new_plan(client, coordinator, "Kế hoạch chuyên đề (dự thảo)")
    ok(client.post(f"/api/v1/plans/{draft['id']}/tasks", headers=coordinator, json={
        "title": "Việc của kế hoạch chưa ban hành", "lead_unit": "SGD-T56", "due_on": "2026-06-15"}), 201)
    office = events_of(feed(client, subscribe(client, coordinator, "UBND-T56")[0]))
    assert list(office) == [f"UBND-T56.summary-report.{plan['id']}@plans.donghanh"]
    assert office[f"UBND-T56.summary-report.{plan['id']}@plans.donghanh"].decoded("DTSTART") == date(2026, 7, 2)
    schools = events_of(feed(client, subscribe(client, coordinator, "SGD-T56")[0]))
    assert list(schools) == [f"SGD-T56.task-due.{plan['schools']}@plans.donghanh"]


def test_a_new_secret_rotates_the_old_one_out_and_a_wrong_or_missing_one_answers_404(client, people, plan):
    old, _ = subscribe(client, people["committee"])
    new, minted = subscribe(client, people["coordinator"])
    assert minted["generation"] == 2
    stale = client.post("/api/v1/units/UBX-22366/calendar-token", headers={**people["committee"], "If-Match": '"1"'})
    assert stale.status_code == 412 and stale.get_json()["current_version"] == 2
    assert feed(client, new)
    base = "/api/v1/units/UBX-22366/calendar.ics"
    for address in (old, base, f"{base}?token=", f"{base}?token=not-the-secret",
                    new.replace("/UBX-22366/", "/CAX-22366/"), new.replace("/UBX-22366/", "/NO-SUCH/")):
        refused = client.get(address)
        assert refused.status_code == 404 and refused.mimetype == "application/problem+json", address
        assert refused.get_json()["detail"] == "no calendar at this address"


def test_only_the_units_reporters_and_its_areas_coordinators_mint_its_secret(client, people, plan):
    refused = client.post("/api/v1/units/UBX-22366/calendar-token", headers=people["other"])
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert client.post("/api/v1/units/UBX-22366/calendar-token", headers=people["police"]).status_code == 403
    assert client.post("/api/v1/units/NO-SUCH/calendar-token", headers=people["coordinator"]).status_code == 404
    assert client.post("/api/v1/units/UBX-22366/calendar-token").status_code == 401
    assert client.get(f"/api/v1/plans/{plan['id']}").status_code == 401, "only the feed is exempt from bearer"
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["paths"]["/api/v1/units/{unit_code}/calendar.ics"]["get"]["security"] == []


def report(client, headers, plan, unit, period, body, approver):
    path = f"/api/v1/tasks/{plan['task']}/assignments/{unit}/reports/{period}"
    ok(client.put(path, headers=headers, json=body), 201)
    ok(client.post(f"{path}/submit", headers=headers))
    ok(client.post(f"{path}/approve", headers=approver, json={}))


@pytest.fixture
def reported(app, client, people, plan):
    """The commune committee reported 12 outreach sessions for week 1, the commune police 2 cases (final report
    with crackdown figures), a day late; the roll-up refreshed."""
    app.extensions["service_layer"].dependencies["clock"].today = lambda: date(2026, 6, 9)
    report(client, people["committee"], plan, "UBX-22366", "W1", {"values": {"outreach_sessions": 12}},
           people["coordinator"])
    app.extensions["service_layer"].dependencies["clock"].today = lambda: date(2026, 7, 1)
    report(client, people["police"], plan, "CAX-22366", "W1", {"values": {}, "crackdown": CRACKDOWN},
           people["coordinator"])
    app.extensions["service_layer"].handle(RefreshRollup(plan["id"]))
    return plan


def rows_of(sheet, first):
    rows = {}
    for row in sheet.iter_rows(min_row=first, values_only=True):
        if row[1] == "Tổng cộng":
            return rows, list(row)
        rows[row[2]] = list(row)
    raise AssertionError("no totals row")


def test_the_consolidated_report_is_a_workbook_in_the_administrative_layout(client, people, reported):
    answer = client.get(f"/api/v1/plans/{reported['id']}/report.xlsx", headers=people["coordinator"])
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=")
    book = load_workbook(io.BytesIO(answer.get_data()))
    assert book.sheetnames == ["Báo cáo", "Tổng hợp chỉ tiêu", "Theo đơn vị", "Theo địa bàn", "Tiến độ nhiệm vụ",
                               "Kết quả đấu tranh", "Kinh phí"]
    cover = book["Báo cáo"]
    assert [cover["A1"].value, cover["A2"].value, cover["E1"].value, cover["E2"].value] == [
        "UBND TỈNH KHÁNH HÒA", "BAN CHỈ ĐẠO PHÒNG, CHỐNG MA TÚY", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc"]
    assert cover["A6"].value == "BÁO CÁO KẾT QUẢ THỰC HIỆN KẾ HOẠCH 2057/KH-UBND"
    assert cover["A7"].value == "Tháng hành động phòng, chống ma túy 2026"
    summary = book["Tổng hợp chỉ tiêu"]
    assert [c.value for c in summary[5]] == [1, "Buổi tuyên truyền", "buổi", 100, 12, None, 0.12]
    assert [c.value for c in summary[6]] == [2, "Vụ phạm tội về ma túy", "vụ", 30, 2, None, pytest.approx(2 / 30)]
    units = book["Theo đơn vị"]
    assert [c.value for c in units[4]][:4] == ["STT", "Đơn vị", "Mã đơn vị", "Buổi tuyên truyền (buổi)"]
    assert units.freeze_panes == "D6" and all(c.font.b for c in units[5] if c.value)
    rows, totals = rows_of(units, 6)
    assert rows["UBX-22366"][1:8] == ["UBND phường Nha Trang", "UBX-22366", 20, 12, None, 0.6, 0]
    assert rows["CAX-22366"][7:11] == [10, 2, None, 0.2] and rows["CAX-22366"][11] == 1
    for column in (3, 4, 7, 8, 11):
        assert totals[column] == sum(row[column] or 0 for row in rows.values()), column
    tricky = next(row for row in units.iter_rows(min_row=6) if row[2].value == "CAX-22333")[1]
    assert tricky.value == TRICKY_NAME and tricky.data_type == "s" and tricky.quotePrefix
    areas_rows, area_totals = rows_of(book["Theo địa bàn"], 6)
    assert areas_rows[COMMUNE][3:5] == [20, 12] and area_totals[3] == sum(r[3] or 0 for r in areas_rows.values())
    tasks = book["Tiến độ nhiệm vụ"]
    titles = {row[1]: row for row in tasks.iter_rows(min_row=5, values_only=True)}
    assert titles["Đấu tranh, triệt phá tội phạm ma túy"][2] == "Công an tỉnh"
    assert titles["Đấu tranh, triệt phá tội phạm ma túy"][7:] == (3, 1)
    crackdown = book["Kết quả đấu tranh"]
    trafficking = next(r for r in crackdown.iter_rows(min_row=6, values_only=True) if r[0] == 5)
    assert trafficking[1:4] == ("Mua bán trái phép chất ma túy (Điều 251)", 2, 3)


def test_the_csv_has_a_row_per_unit_and_indicator(client, people, reported):
    answer = client.get(f"/api/v1/plans/{reported['id']}/report.csv", headers=people["auditor"])
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.get_data().startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
    mine = {r["Mã chỉ tiêu (indicator_code)"]: r for r in rows if r["Mã đơn vị (unit_code)"] == "UBX-22366"}
    assert set(mine) == {"outreach_sessions", "drug_cases"}
    assert (mine["outreach_sessions"]["Chỉ tiêu (target)"], mine["outreach_sessions"]["Báo cáo (reported)"],
            mine["outreach_sessions"]["Tỷ lệ % (percent)"]) == ("20", "12", "60")
    assert mine["outreach_sessions"]["Mã địa bàn (area_codes)"] == COMMUNE
    tricky = next(r for r in rows if r["Mã đơn vị (unit_code)"] == "CAX-22333")
    assert tricky["Tên đơn vị (unit_name)"] == f"'{TRICKY_NAME}"


@pytest.mark.parametrize("who", ["committee", "elsewhere"])
def test_others_than_the_areas_coordinators_auditors_and_admins_get_404(client, people, plan, who):
    for name in ("report.xlsx", "report.csv"):
        refused = client.get(f"/api/v1/plans/{plan['id']}/{name}", headers=people[who])
        assert refused.status_code == 404 and refused.mimetype == "application/problem+json"


def test_secrets_minted_at_once_never_hand_out_a_dead_url(app, client, people, plan):
    """Each mint that answers 201 holds a generation of its own, and the last of them is the one that opens."""
    barrier = threading.Barrier(6)

    def mint(_):
        with app.test_client() as own:
            barrier.wait()
            return own.post("/api/v1/units/UBX-22366/calendar-token", headers=people["committee"])

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(mint, range(6)))
    won = [a.get_json() for a in answers if a.status_code == 201]
    assert won and all(a.status_code in (201, 409) for a in answers)
    generations = [int(a.headers["ETag"].strip('"')) for a in answers if a.status_code == 201]
    assert len(set(generations)) == len(generations)
    newest = won[generations.index(max(generations))]
    address = lambda body: f"{urlsplit(body['url']).path}?{urlsplit(body['url']).query}"  # noqa: E731
    assert client.get(address(newest)).status_code == 200
    for older in (w for w in won if w is not newest):
        assert client.get(address(older)).status_code == 404
