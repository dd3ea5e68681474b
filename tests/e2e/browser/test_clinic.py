"""A methadone clinic's doctor in a real browser: the commune committee's agency system refers a case to the clinic
(a unit registered through the plans API) with the person's consent; the doctor, a health worker of the clinic
signed in with password and code, accepts the referral through the case page's answer form; the clinic's system
admits the person to methadone; the doctor then opens the methadone page from the case page's link and records a
dose of 62,5 mg (typed with the Vietnamese decimal comma) through the dose form. The page shows its notice and the
dose in its log; the cases API's dose log then holds it. The methadone page passes axe-core under the portal's
Content-Security-Policy."""
from __future__ import annotations


import pytest
from shared.clock import province_today

from tests.e2e.browser.support import agency, signed_in_tab
from tests.support import wait_for

pytestmark = pytest.mark.e2e

TODAY = province_today()
CLINIC = ("PKMT-NT", "Phòng khám Methadone Nha Trang", "health_facility", "22366")


@pytest.fixture(scope="module")
def clinic(browser_system, plans_coordinator):
    code, name, kind, area = CLINIC
    registered = plans_coordinator("POST", "/units", json={"unit_code": code, "name": name, "kind": kind,
                                                           "area_code": area})
    assert registered.status_code in (201, 409), registered.text
    return agency(browser_system, "pkmt-nt-app", "health_worker", code, area, "cases")


@pytest.fixture(scope="module")
def doctor(browser_system, browser, clinic):
    tab = signed_in_tab(browser, browser_system, "bs.lan", "health_worker", CLINIC[0], ["22366"])
    yield tab
    tab.close()


def referred_case(cases_committee) -> str:
    opened = cases_committee("POST", "/cases", json={
        "person": {"full_name": "Phan Văn Lộc", "birth_date": "1985-03-14", "sex": "male"},
        "commune_code": "22366", "opened_on": TODAY.isoformat()})
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]
    referral = {"to_unit": CLINIC[0], "reason": "Đăng ký điều trị methadone", "consent": {
        "sections": ["clinical"], "purpose": "treatment", "reference": "PĐY-0101", "valid_from": TODAY.isoformat()}}
    answers = []
    wait_for(lambda: answers.append(cases_committee("POST", f"/cases/{case_id}/referrals", json=referral))
             or answers[-1].status_code == 201, 30, 0.3, "the clinic in the cases unit directory")
    return case_id


def test_a_clinic_doctor_records_a_dose_in_the_browser(cases_committee, clinic, doctor):
    case_id = referred_case(cases_committee)
    page = doctor.open(f"/cases/{case_id}")
    answer = page.locator("form[id^='decision-']")
    answer.get_by_label("Trả lời").select_option(label="Chấp nhận")
    answer.get_by_label("Lý do (diễn giải)").fill("Phòng khám tiếp nhận điều trị")
    with page.expect_navigation():
        answer.get_by_role("button", name="Gửi câu trả lời").click()
    assert "Đã ghi câu trả lời." in page.locator("#shares").inner_text()

    admitted = clinic("POST", f"/cases/{case_id}/transitions", json={
        "transition": "admit_to_methadone", "effective_on": TODAY.isoformat(), "decision": {
            "decision_number": "12/QĐ-PKMT", "decision_date": TODAY.isoformat(),
            "issuing_authority": "Phòng khám Methadone Nha Trang"}})
    assert admitted.status_code == 200, admitted.text

    page = doctor.open(f"/cases/{case_id}")
    with page.expect_navigation():
        page.locator("#methadone-link").click()
    dose = page.locator("#dose-form")
    dose.get_by_label("Ngày dùng thuốc").fill(TODAY.isoformat())
    dose.get_by_label("Liều (mg)").fill("62,5")
    with page.expect_navigation():
        dose.get_by_role("button", name="Ghi liều này").click()
    assert "Đã ghi liều." in page.get_by_role("status").inner_text()
    assert "62,5" in page.locator("#doses").inner_text()
    doctor.check("methadone-after-dose")

    log = clinic("GET", f"/cases/{case_id}/methadone/doses")
    assert log.status_code == 200, log.text
    assert [(d["given_on"], d["missed"], d["dose_mg"]) for d in log.json()] == [(TODAY.isoformat(), False, 62.5)]
