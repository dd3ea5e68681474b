"""Drug tests, break-the-glass and the access matrix: roles x jurisdiction x sections, against the real FerretDB."""
import io
import itertools
from datetime import date, datetime, timedelta, timezone

import openpyxl
import pytest

from shared.audit import AuditEntry
from shared.clock import Clock
from shared.eventstore import StoredEvent
from services.cases.domain.access import BREAK_GLASS_HOURS
from services.cases.domain.commands import RecordUnit
from services.cases.entrypoints.app import create_app

COMMUNE, OTHER = "22366", "22333"
DECISION = {"decision_number": "30/QĐ-UBND", "decision_date": "2026-08-04", "issuing_authority": "UBND phường",
            "drugs_declared": ["heroin"], "term_months": 6, "document_ref": "gcn-30"}
PEOPLE = itertools.count()


@pytest.fixture
def client(settings):
    app = create_app(settings("cases"))
    app.extensions["service_layer"].handle(RecordUnit("PKMT", "health_facility", 1))
    return app.test_client()


@pytest.fixture
def officer(auth):
    return auth(subject="officer", roles=["police_liaison", "caseworker"], unit=f"CAX-{COMMUNE}", areas=[COMMUNE])


def case_in_aftercare(client, officer):
    """A new adult each time: birth dates 150 days apart from 1950, ID numbers that match them."""
    n = next(PEOPLE)
    birth = date(1950, 1, 2) + timedelta(days=150 * n)
    case = client.post("/api/v1/cases", headers=officer, json={
        "person": {"full_name": "Đặng Văn Tùng", "birth_date": birth.isoformat(), "sex": "male",
                   "national_id": f"0560{birth.year % 100:02d}{4321 + n:06d}", "phone": "0905123456"},
        "commune_code": COMMUNE, "opened_on": "2026-08-03", "stage": "tested"}).get_json()
    for step, on in (("place_under_management", "2026-08-04"), ("register_community_rehab", "2026-08-05"),
                     ("complete_voluntary_rehab", "2026-08-20")):
        response = client.post(f"/api/v1/cases/{case['id']}/transitions", headers=officer,
                               json={"transition": step, "effective_on": on, "decision": DECISION})
        assert response.status_code == 200, response.get_json()
    return case


def test_a_positive_test_in_aftercare_raises_relapse_suspected_without_clinical_detail(client, officer, auth):
    case = case_in_aftercare(client, officer)
    response = client.post(f"/api/v1/cases/{case['id']}/drug-tests", headers=officer,
                           json={"tested_on": "2026-09-01", "result": "positive", "substances": ["heroin"]})
    assert response.status_code == 201, response.get_json()
    types = [e.type for e in StoredEvent.objects(stream_id=f"case-{case['id']}").order_by("version")]
    assert types[-2:] == ["cases.case.drug_test_recorded", "cases.case.relapse_suspected"]
    assert "heroin" not in str(StoredEvent.objects(stream_id=f"case-{case['id']}").order_by("-version")[1].data)
    seen_by_police = response.get_json()["drug_tests"][0]
    assert seen_by_police["result"] == "positive" and "substances" not in seen_by_police
    doctor = auth(subject="bs", roles=["health_worker"], unit="PKMT", areas=[COMMUNE])
    assert "substances" not in client.get(f"/api/v1/cases/{case['id']}", headers=doctor).get_json()["drug_tests"][0]
    assert client.post(f"/api/v1/cases/{case['id']}/consents", headers=officer, json={
        "to_unit": "PKMT", "sections": ["clinical"], "purpose": "treatment", "reference": "PĐY-77/2026",
        "valid_from": "2026-09-01"}).status_code == 201
    assert client.get(f"/api/v1/cases/{case['id']}", headers=doctor).get_json()["drug_tests"][0]["substances"] \
        == ["heroin"]


@pytest.mark.parametrize("tested_on,field", [("2099-01-01", "tested_on"), ("2026-01-01", "tested_on")])
def test_impossible_test_dates_are_refused(client, officer, tested_on, field):
    case = case_in_aftercare(client, officer)
    response = client.post(f"/api/v1/cases/{case['id']}/drug-tests", headers=officer,
                           json={"tested_on": tested_on, "result": "negative"})
    assert response.status_code == 422 and field in response.get_json()["errors"]


def test_a_test_after_closure_is_refused(client, officer):
    case = case_in_aftercare(client, officer)
    client.post(f"/api/v1/cases/{case['id']}/transitions", headers=officer, json={
        "transition": "close", "effective_on": "2026-08-25",
        "decision": {**DECISION, "reason": "chuyển nơi cư trú", "reason_code": "moved_away"}})
    response = client.post(f"/api/v1/cases/{case['id']}/drug-tests", headers=officer,
                           json={"tested_on": "2026-09-01", "result": "negative"})
    assert response.status_code == 422 and "tested_on" in response.get_json()["errors"]


def test_breaking_the_glass_opens_a_section_for_a_while_with_a_reason(client, officer, auth, monkeypatch):
    """Only a health worker breaks the glass (the role that can hold a treatment relationship), with a reason code
    of the workflow's and a written reason; the section opens to them alone until it expires."""
    case = case_in_aftercare(client, officer)
    client.post(f"/api/v1/cases/{case['id']}/drug-tests", headers=officer,
                json={"tested_on": "2026-09-01", "result": "positive", "substances": ["methamphetamine"]})
    police = auth(subject="ca2", roles=["police_liaison"], unit=f"CAX-{COMMUNE}", areas=[COMMUNE])
    doctor = auth(subject="bs2", roles=["health_worker"], unit="TYT-22366", areas=[COMMUNE])
    assert "substances" not in client.get(f"/api/v1/cases/{case['id']}", headers=doctor).get_json()["drug_tests"][0]
    reason = "Người bệnh nhập viện cấp cứu, cần biết chất đã sử dụng để xử trí"
    refused = client.post(f"/api/v1/cases/{case['id']}/break-glass", headers=police,
                          json={"section": "clinical", "reason_code": "medical_emergency", "reason": reason})
    assert refused.status_code == 403
    short = client.post(f"/api/v1/cases/{case['id']}/break-glass", headers=doctor,
                        json={"section": "clinical", "reason_code": "medical_emergency", "reason": "cần"})
    assert short.status_code == 422 and "reason" in short.get_json()["errors"]
    unknown = client.post(f"/api/v1/cases/{case['id']}/break-glass", headers=doctor,
                          json={"section": "clinical", "reason_code": "curiosity", "reason": reason})
    assert unknown.status_code == 422 and "reason_code" in unknown.get_json()["errors"]
    granted = client.post(f"/api/v1/cases/{case['id']}/break-glass", headers=doctor,
                          json={"section": "clinical", "reason_code": "medical_emergency", "reason": reason})
    assert granted.status_code == 201 and granted.get_json()["reason_code"] == "medical_emergency"
    assert client.get(f"/api/v1/cases/{case['id']}", headers=doctor).get_json()["drug_tests"][0]["substances"] \
        == ["methamphetamine"]
    assert "substances" not in client.get(f"/api/v1/cases/{case['id']}", headers=police).get_json()["drug_tests"][0]
    assert StoredEvent.objects(type="cases.access.escalated").count() == 1
    tested = client.post(f"/api/v1/cases/{case['id']}/drug-tests", headers=doctor,
                         json={"tested_on": "2026-09-02", "result": "positive", "substances": ["heroin"]})
    assert tested.get_json()["drug_tests"][-1]["substances"] == ["heroin"]
    [written] = AuditEntry.objects(subject="bs2", action="record_drug_test", outcome="allowed")
    assert "clinical" in written.sections, "the audit names the section the answer showed"
    assert AuditEntry.objects(subject="ca2", action="break_glass", outcome="denied").count() == 1
    later = datetime.now(timezone.utc) + timedelta(hours=BREAK_GLASS_HOURS, minutes=1)
    monkeypatch.setattr(Clock, "now", staticmethod(lambda: later))
    assert "substances" not in client.get(f"/api/v1/cases/{case['id']}", headers=doctor).get_json()["drug_tests"][0]


def workbook_text(response) -> str:
    if response.status_code != 200:
        return response.get_data(as_text=True)
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    return " ".join(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None)


ROLES = ("caseworker", "police_liaison", "health_worker", "plan_coordinator", "unit_reporter", "auditor", "admin")
SEES = {  # role -> (identity, contact, clinical, support); clinical needs a treatment relationship (none here)
    "caseworker": (True, True, False, True), "police_liaison": (True, True, False, False),
    "health_worker": (True, False, False, False), "admin": (True, False, False, False), "plan_coordinator": None,
    "unit_reporter": None, "auditor": None}


@pytest.fixture
def seeded(client, officer):
    case = case_in_aftercare(client, officer)
    client.post(f"/api/v1/cases/{case['id']}/drug-tests", headers=officer,
                json={"tested_on": "2026-09-01", "result": "positive", "substances": ["cannabis"]})
    trained = client.post(f"/api/v1/cases/{case['id']}/support", headers=officer, json={
        "kind": "vocational_training", "provided_on": "2026-09-02", "details": "Học nghề SỬA-XE-MÁY"})
    assert trained.status_code == 201
    assert client.post(f"/api/v1/cases/{case['id']}/visits", headers=officer, json={
        "visited_on": "2026-09-03", "kind": "home_visit", "outcome": "met", "notes": "Gia đình HỢP-TÁC-TỐT"}
    ).status_code == 201
    return case


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("area", ["own", "other"])
def test_access_matrix_never_leaks(client, auth, seeded, role, area):
    headers = auth(subject=f"{role}-{area}", roles=[role], unit="U", areas=[COMMUNE if area == "own" else OTHER])
    case_id, person_code = seeded["id"], seeded["person_code"]
    responses = {
        "case": client.get(f"/api/v1/cases/{case_id}", headers=headers),
        "history": client.get(f"/api/v1/cases/{case_id}/history", headers=headers),
        "transitions": client.get(f"/api/v1/cases/{case_id}/transitions", headers=headers),
        "person": client.get(f"/api/v1/people/{person_code}", headers=headers),
        "list": client.get("/api/v1/cases", headers=headers),
        "search": client.get("/api/v1/people?q=dang van tung", headers=headers),
        "dose_log": client.get(f"/api/v1/cases/{case_id}/methadone/doses", headers=headers),
        "my_work": client.get("/api/v1/cases/my-work", headers=headers),
        "export": client.get("/api/v1/cases/export.xlsx?purpose=inspection", headers=headers),
    }
    text = {name: workbook_text(r) if name == "export" else r.get_data(as_text=True) for name, r in responses.items()}
    sees = SEES[role] if area == "own" else None
    if sees is None:
        for name in ("case", "history", "transitions", "person"):
            assert responses[name].status_code in (403, 404), (name, text[name])
        for name in ("list", "search"):
            assert responses[name].status_code == 403 or responses[name].get_json() == [], (name, text[name])
        assert all("Đặng Văn Tùng" not in t and "cannabis" not in t and "SỬA-XE-MÁY" not in t
                   and "HỢP-TÁC-TỐT" not in t for t in text.values())
        return
    identity, contact, clinical, support = sees
    assert responses["case"].status_code == 200
    assert responses["dose_log"].status_code == (200 if clinical else 403)
    everything = "".join(text.values())
    assert ("Đặng Văn Tùng" in everything) == identity
    assert ("+84905123456" in everything) == contact
    assert ("cannabis" in everything) == clinical
    assert ("SỬA-XE-MÁY" in everything) == support and ("HỢP-TÁC-TỐT" in everything) == support
    assert "visits" in responses["case"].get_json() and ("support" in responses["case"].get_json()) == support


WRITES = {  # name -> (method, path, body, roles allowed in the case's commune, status when allowed)
    "drug_test": ("post", "drug-tests", {"tested_on": "2026-09-05", "result": "negative"},
                  {"police_liaison", "health_worker"}, 201),
    "visit": ("post", "visits", {"visited_on": "2026-09-05", "kind": "home_visit", "outcome": "met"},
              {"caseworker", "police_liaison"}, 201),
    "follow_up": ("put", "follow-up", {"every_days": 30, "first_on": "2026-10-01"},
                  {"caseworker", "police_liaison"}, 200),
    "support": ("post", "support", {"kind": "counselling", "provided_on": "2026-09-05"}, {"caseworker"}, 201),
    "dose": ("post", "methadone/doses", {"given_on": "2026-09-05", "dose_mg": 40}, {"health_worker"}, 422),
    "breach": ("post", "methadone/breaches", {"kind": "offence", "occurred_on": "2026-09-05"},
               {"health_worker", "police_liaison"}, 422),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("area", ["own", "other"])
def test_write_matrix_lets_only_the_legal_roles_of_the_commune_write(client, auth, seeded, role, area):
    """A dose or breach on a case in aftercare is refused by the domain (422: not in methadone treatment) once the
    caller is allowed to ask; every other caller gets 403 or 404, and nothing is stored."""
    headers = auth(subject=f"{role}-{area}", roles=[role], unit="U", areas=[COMMUNE if area == "own" else OTHER])
    for name, (method, path, body, allowed, status) in WRITES.items():
        before = StoredEvent.objects(stream_id=f"case-{seeded['id']}").count()
        response = getattr(client, method)(f"/api/v1/cases/{seeded['id']}/{path}", headers=headers, json=body)
        permitted = area == "own" and role in allowed
        assert response.status_code == (status if permitted else response.status_code), (name, response.get_json())
        if not permitted:
            assert response.status_code in (403, 404), (name, role, area, response.get_json())
        stored = StoredEvent.objects(stream_id=f"case-{seeded['id']}").count() - before
        assert (stored > 0) == (permitted and status < 300), (name, role, area)
