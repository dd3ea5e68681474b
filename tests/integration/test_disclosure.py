"""Clinical data within a treatment relationship, consents and their revocation, break-the-glass for health
workers only (reason codes, a daily cap, revocation, the case's record of it), referrals checked against the unit
directory: through the cases API against the real FerretDB."""
import io
from concurrent.futures import ThreadPoolExecutor

import openpyxl
import pytest

from shared.audit import AuditEntry
from shared.eventstore import StoredEvent
from shared.packed import unpacked
from services.cases.adapters.documents import CaseSnapshot, GrantSnapshot
from services.cases.domain.commands import RecordUnit
from services.cases.entrypoints.app import create_app
from tests.integration.test_treatment_api import CLINIC, COMMUNE, DECISION, OTHER, open_case

HOSPITAL, POLICE = "BVDK-TINH", "CAX-22333"
CONSENT = {"sections": ["clinical"], "purpose": "treatment", "reference": "PĐY-0412/2026", "valid_from": "2026-08-03"}
REASON = "Người bệnh cấp cứu quá liều, cần biết phác đồ methadone đang dùng"


@pytest.fixture
def app(settings):
    app = create_app(settings("cases", BREAK_GLASS_PER_DAY="3"))
    for code, kind in ((CLINIC, "health_facility"), (HOSPITAL, "health_facility"), (POLICE, "commune_police")):
        app.extensions["service_layer"].handle(RecordUnit(code, kind, 1))
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def people(auth):
    return {
        "officer": auth(subject="officer", roles=["police_liaison", "caseworker"], unit=f"CAX-{COMMUNE}",
                        areas=[COMMUNE]),
        "clinic": auth(subject="bs-lan", roles=["health_worker"], unit=CLINIC, areas=[OTHER]),
        "hospital": auth(subject="bs-minh", roles=["health_worker"], unit=HOSPITAL, areas=[COMMUNE]),
        "hospital2": auth(subject="bs-hoa", roles=["health_worker"], unit=HOSPITAL, areas=[COMMUNE]),
    }


def stored(case_id) -> int:
    return StoredEvent.objects(stream_id=f"case-{case_id}").count()


@pytest.fixture
def on_methadone(client, people):
    """Referred with the person's consent, accepted and admitted by the clinic; a dose given."""
    case = open_case(client, people["officer"])
    referred = client.post(f"/api/v1/cases/{case['id']}/referrals", headers=people["officer"],
                           json={"to_unit": CLINIC, "reason": "Đăng ký điều trị methadone", "consent": CONSENT})
    assert referred.status_code == 201, referred.get_json()
    [share_id] = referred.get_json()["shares"]
    assert client.put(f"/api/v1/cases/{case['id']}/shares/{share_id}/decision", headers=people["clinic"],
                      json={"decision": "accepted", "reason": "Tiếp nhận điều trị"}).status_code == 200
    assert client.post(f"/api/v1/cases/{case['id']}/transitions", headers=people["clinic"], json={
        "transition": "admit_to_methadone", "effective_on": "2026-08-10", "decision": DECISION}).status_code == 200
    assert client.post(f"/api/v1/cases/{case['id']}/methadone/doses", headers=people["clinic"],
                       json={"given_on": "2026-08-11", "dose_mg": 40}).status_code == 201
    return case["id"]


def test_clinical_data_is_read_within_a_treatment_relationship_and_a_revoked_consent_ends_it(client, people,
                                                                                            on_methadone):
    doses = f"/api/v1/cases/{on_methadone}/methadone/doses"
    assert client.get(doses, headers=people["clinic"]).status_code == 200
    outsider = client.get(f"/api/v1/cases/{on_methadone}", headers=people["hospital"])
    assert outsider.status_code == 200 and "therapy" not in outsider.get_json()
    assert outsider.headers["Cache-Control"] == "no-store"
    assert client.get(doses, headers=people["hospital"]).status_code == 403
    emergency = {**CONSENT, "to_unit": HOSPITAL, "basis": "medical_emergency", "reference": "BA-CC-2026-118"}
    for not_theirs in ("officer", "hospital"):
        refused = client.post(f"/api/v1/cases/{on_methadone}/consents", headers=people[not_theirs], json=emergency)
        assert refused.status_code == 403, "the treating clinic records consents, and nobody opens to their own unit"
    consented = client.post(f"/api/v1/cases/{on_methadone}/consents", headers=people["clinic"], json=emergency)
    assert consented.status_code == 201, consented.get_json()
    consent = next(c for c in consented.get_json()["consents"] if c["to_unit"] == HOSPITAL)
    assert consent["basis"] == "medical_emergency" and consent["revoked_at"] is None
    assert client.get(doses, headers=people["hospital"]).get_json()[0]["dose_mg"] == 40
    assert client.get(f"/api/v1/cases/{on_methadone}", headers=people["hospital"]).get_json()["therapy"]
    revoked = client.put(f"/api/v1/cases/{on_methadone}/consents/{consent['consent_id']}/revocation",
                         headers=people["officer"], json={"reason": "Người bệnh rút lại sự đồng ý"})
    assert revoked.status_code == 200, "the person withdraws through any of their case team"
    assert client.get(doses, headers=people["hospital"]).status_code == 403
    assert "therapy" not in client.get(f"/api/v1/cases/{on_methadone}", headers=people["hospital"]).get_json()
    again = client.put(f"/api/v1/cases/{on_methadone}/consents/{consent['consent_id']}/revocation",
                       headers=people["officer"], json={"reason": "Người bệnh rút lại sự đồng ý"})
    assert again.status_code == 409


@pytest.mark.parametrize("body,field", [
    ({**CONSENT, "to_unit": "PKMT-KHONG-CO"}, "to_unit"),
    ({**CONSENT, "to_unit": HOSPITAL, "purpose": "marketing"}, "purpose"),
    ({**CONSENT, "to_unit": HOSPITAL, "basis": "police_request"}, "basis"),
    ({**CONSENT, "to_unit": HOSPITAL, "sections": ["legal"]}, "sections.0"),
    ({**CONSENT, "to_unit": HOSPITAL, "valid_until": "2026-08-01"}, "valid_until"),
    ({**CONSENT, "to_unit": HOSPITAL, "reference": ""}, "reference"),
])
def test_bad_consents_are_refused_naming_the_field_and_nothing_is_stored(client, people, body, field):
    case = open_case(client, people["officer"])
    before = stored(case["id"])
    response = client.post(f"/api/v1/cases/{case['id']}/consents", headers=people["officer"], json=body)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"], response.get_json()
    assert stored(case["id"]) == before


def test_referrals_name_a_unit_of_the_directory_and_a_clinic_needs_the_persons_consent(client, people):
    case = open_case(client, people["officer"])
    referrals = f"/api/v1/cases/{case['id']}/referrals"
    unknown = client.post(referrals, headers=people["officer"], json={"to_unit": "PKMT-KHONG-CO", "reason": "Điều trị"})
    assert unknown.status_code == 422 and "to_unit" in unknown.get_json()["errors"]
    bare = client.post(referrals, headers=people["officer"], json={"to_unit": CLINIC, "reason": "Điều trị"})
    assert bare.status_code == 422 and "consent" in bare.get_json()["errors"]
    assert stored(case["id"]) == 1
    police = client.post(referrals, headers=people["officer"], json={"to_unit": POLICE, "reason": "Phối hợp quản lý"})
    assert police.status_code == 201 and police.get_json()["consents"] == []
    with_consent = client.post(referrals, headers=people["officer"],
                               json={"to_unit": CLINIC, "reason": "Điều trị", "consent": CONSENT})
    assert with_consent.status_code == 201
    [consent] = with_consent.get_json()["consents"]
    assert consent["to_unit"] == CLINIC and consent["reference"] == CONSENT["reference"]
    kept = [str(e.data) for e in StoredEvent.objects(stream_id=f"case-{case['id']}")]
    kept.append(str(unpacked(CaseSnapshot._get_collection().find_one({"_id": case["id"]})["state"])))
    assert not any(CONSENT["reference"] in text for text in kept), "the form's number leads to the person: sealed"


def test_break_the_glass_is_capped_per_day_revoked_by_the_clinic_and_shown_on_the_case(client, people,
                                                                                       on_methadone):
    glass = f"/api/v1/cases/{on_methadone}/break-glass"
    body = {"section": "clinical", "reason_code": "overdose", "reason": REASON}
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: client.post(glass, headers=people["hospital"], json=body), range(4)))
    assert sorted(a.status_code for a in answers) == [201, 201, 201, 429], "three a day, even at once"
    capped = next(a for a in answers if a.status_code == 429)
    assert capped.mimetype == "application/problem+json" and 0 < int(capped.headers["Retry-After"]) <= 86400
    assert StoredEvent.objects(type="cases.access.escalated").count() == 3
    other = client.post(glass, headers=people["hospital2"], json=body)
    assert other.status_code == 201, "the cap is each health worker's own"
    assert client.get(f"/api/v1/cases/{on_methadone}/methadone/doses", headers=people["hospital2"]).status_code == 200
    grant_id = other.get_json()["grant_id"]
    revocation = f"{glass}/{grant_id}/revocation"
    reason = {"reason": "Đã có đồng ý của người bệnh, không cần mở khẩn cấp"}
    assert client.put(revocation, headers=people["hospital"], json=reason).status_code == 403
    revoked = client.put(revocation, headers=people["clinic"], json=reason)
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"]
    assert client.get(f"/api/v1/cases/{on_methadone}/methadone/doses", headers=people["hospital2"]).status_code == 403
    assert client.put(revocation, headers=people["clinic"], json=reason).status_code == 409
    record = client.get(f"/api/v1/cases/{on_methadone}", headers=people["clinic"]).get_json()["access_grants"]
    assert len(record) == 4 and {g["reason_code"] for g in record} == {"overdose"}
    assert [g["subject"] for g in record if g["revoked_at"]] == ["bs-hoa"]
    assert "reason" not in record[0], "the written reason stays in the audit"
    kept = [str(e.data) for e in StoredEvent.objects(stream_type="grant")]
    kept += [str(unpacked(g["state"])) for g in GrantSnapshot._get_collection().find()]
    assert kept and not any(REASON in text or reason["reason"] in text for text in kept), "sealed, not in clear"
    assert AuditEntry.objects(subject="bs-minh", action="break_glass", outcome="denied").count() == 1


def test_only_health_workers_break_the_glass(client, people, on_methadone):
    before = StoredEvent.objects(type="cases.access.escalated").count()
    refused = client.post(f"/api/v1/cases/{on_methadone}/break-glass", headers=people["officer"],
                          json={"section": "clinical", "reason_code": "overdose", "reason": REASON})
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert StoredEvent.objects(type="cases.access.escalated").count() == before


def test_the_accounting_of_disclosures_lists_who_read_what_and_goes_to_the_person_as_a_workbook(client, people,
                                                                                                on_methadone, auth):
    glass = client.post(f"/api/v1/cases/{on_methadone}/break-glass", headers=people["hospital"],
                        json={"section": "clinical", "reason_code": "overdose", "reason": REASON})
    assert glass.status_code == 201
    client.get(f"/api/v1/cases/{on_methadone}/methadone/doses", headers=people["hospital"])
    client.get(f"/api/v1/cases/{on_methadone}/methadone/doses", headers=people["officer"])
    auditor = auth(subject="ttv", roles=["auditor"], unit="TTR-T56", areas=["56"])
    assert client.get(f"/api/v1/cases/{on_methadone}/disclosures", headers=people["clinic"]).status_code == 403
    assert client.get("/api/v1/cases/nope/disclosures", headers=auditor).status_code == 404
    elsewhere = auth(subject="ttv-2", roles=["auditor"], unit="TTR-X", areas=[OTHER])
    assert client.get(f"/api/v1/cases/{on_methadone}/disclosures", headers=elsewhere).status_code == 404
    accounted = client.get(f"/api/v1/cases/{on_methadone}/disclosures", headers=auditor)
    assert accounted.status_code == 200
    rows = accounted.get_json()
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)
    doses_read = [r for r in rows if r["action"] == "read_dose_log"]
    assert [(r["subject"], r["sections"]) for r in doses_read] == [("bs-minh", ["clinical"])], \
        "the refused read by the police is no disclosure"
    assert [(r["kind"], r["purpose"]) for r in rows if r["subject"] == "bs-minh" and r["action"] == "break_glass"] \
        == [("break_glass", "overdose")]
    assert {r["subject"] for r in rows if r["kind"] == "change"} >= {"officer", "bs-lan"}
    assert [r["subject"] for r in rows if r["action"] == "share:referral"] == ["officer"], "the completion, once"
    again = client.get(f"/api/v1/cases/{on_methadone}/disclosures", headers=auditor).get_json()
    assert len(again) == len(rows), "reading the accounting is audited, not a disclosure of the case"
    workbook = client.get(f"/api/v1/cases/{on_methadone}/disclosures.xlsx", headers=auditor)
    assert workbook.status_code == 200 and workbook.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.data)).active
    assert [c.value for c in sheet[1]] == ["at", "kind", "action", "subject", "unit", "sections", "purpose"]
    assert sheet.max_row == len(rows) + 1


def test_a_referrals_consent_ends_with_the_referral_and_referral_units_see_contact_only_by_consent(client, people,
                                                                                                  auth):
    case = open_case(client, people["officer"])
    rehab = auth(subject="cb-rehab", roles=["caseworker"], unit=HOSPITAL, areas=[OTHER])
    referred = client.post(f"/api/v1/cases/{case['id']}/referrals", headers=people["officer"], json={
        "to_unit": HOSPITAL, "reason": "Hỗ trợ cai nghiện tại cơ sở", "consent": {**CONSENT, "sections": ["support"]}})
    assert referred.status_code == 201, referred.get_json()
    [share_id] = referred.get_json()["shares"]
    accepted = client.put(f"/api/v1/cases/{case['id']}/shares/{share_id}/decision", headers=rehab,
                          json={"decision": "accepted", "reason": "Tiếp nhận hỗ trợ"})
    assert accepted.status_code == 200
    seen = client.get(f"/api/v1/cases/{case['id']}", headers=rehab).get_json()
    assert "support" in seen and "national_id" not in seen["person"], "support consented, contact not"
    revoked = client.put(f"/api/v1/cases/{case['id']}/shares/{share_id}/decision", headers=people["officer"],
                         json={"decision": "revoked", "reason": "Chuyển sang cơ sở khác"})
    [consent] = revoked.get_json()["consents"]
    assert consent["share_id"] == share_id and consent["revoked_at"], "the consent ended with its referral"
    own = client.post(f"/api/v1/cases/{case['id']}/referrals", headers=people["hospital"], json={
        "to_unit": HOSPITAL, "reason": "Tự chuyển cho mình", "consent": CONSENT})
    assert own.status_code == 422 and "to_unit" in own.get_json()["errors"]


def test_the_case_team_sees_who_broke_the_glass_but_not_why(client, people, on_methadone):
    assert client.post(f"/api/v1/cases/{on_methadone}/break-glass", headers=people["hospital"], json={
        "section": "clinical", "reason_code": "overdose", "reason": REASON}).status_code == 201
    [grant] = client.get(f"/api/v1/cases/{on_methadone}", headers=people["officer"]).get_json()["access_grants"]
    assert grant["subject"] == "bs-minh" and grant["reason_code"] is None
    [grant] = client.get(f"/api/v1/cases/{on_methadone}", headers=people["clinic"]).get_json()["access_grants"]
    assert grant["reason_code"] == "overdose"
