"""A caseworker's day on a case in a real browser: the commune committee's agency system opens the case through
the cases API; the caseworker, signed in with password and code, opens its page, records a home visit through the
visit form and registers community rehabilitation through the step's form with its decision fields (each control
found by its label, as a person using a screen reader would; the decision date typed dd/mm/yyyy, as a browser
without a date picker sends it). Each form posts to the portal, which answers with a redirect to the case page (no
resubmission on reload); the page then shows its notice and the timeline grows by the caseworker's entry; the cases
API then answers the case in community rehabilitation with the visit. The case page with its forms passes axe-core
under the portal's Content-Security-Policy."""
from __future__ import annotations


import pytest
from shared.clock import province_today

from tests.e2e.browser.support import signed_in_tab

pytestmark = pytest.mark.e2e

TODAY = province_today()


@pytest.fixture(scope="module")
def caseworker(browser_system, browser):
    tab = signed_in_tab(browser, browser_system, "ubx.thu", "caseworker", "UBX-22366", ["22366"])
    yield tab
    tab.close()


def mine(page):
    """The caseworker's own entries on the timeline: the notifications worker adds its alerts there meanwhile."""
    return page.locator("#timeline > li", has_text="ubx.thu")


def redirected_post(navigation) -> int:
    """The status the form's POST was answered with, before the browser followed it to the page it shows."""
    posted = navigation.value.request.redirected_from
    assert posted is not None and posted.method == "POST", navigation.value.url
    return posted.response().status


def test_a_caseworker_records_a_visit_and_registers_community_rehabilitation(cases_committee, caseworker):
    opened = cases_committee("POST", "/cases", json={
        "person": {"full_name": "Đặng Văn Tùng", "birth_date": "1986-11-20", "sex": "male"},
        "commune_code": "22366", "opened_on": TODAY.isoformat()})
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]
    page = caseworker.open(f"/cases/{case_id}")
    assert mine(page).count() == 0
    assert page.locator(f"form[action='/cases/{case_id}/steps/register_community_rehab']").count() == 1
    caseworker.check("case-with-forms")

    visit = page.locator("#visit-form")
    visit.get_by_label("Ngày thăm").fill(TODAY.isoformat())
    visit.get_by_label("Hình thức tiếp xúc").select_option(label="Thăm tại nhà")
    visit.get_by_label("Kết quả tiếp xúc").select_option(label="Đã gặp người đó")
    with page.expect_navigation() as navigation:
        visit.get_by_role("button", name="Ghi nhận lần thăm").click()
    assert redirected_post(navigation) == 302
    assert "Đã ghi nhận lần thăm." in page.get_by_role("status").inner_text()
    assert mine(page).count() == 1 and "Ghi nhận thăm hỏi" in mine(page).first.inner_text()

    step = page.locator("#step-register_community_rehab-form")
    step.get_by_label("Ngày hiệu lực").fill(TODAY.isoformat())
    step.get_by_label("Số quyết định").fill("35/QĐ-UBND")
    decision_date = step.get_by_label("Ngày quyết định")
    decision_date.evaluate("field => { field.type = 'text'; }")
    decision_date.fill(TODAY.strftime("%d/%m/%Y"))
    step.get_by_label("Cơ quan ban hành").fill("UBND phường Nha Trang")
    step.get_by_label("Thời hạn (tháng)").fill("6")
    with page.expect_navigation() as navigation:
        step.get_by_role("button", name="Thực hiện bước này").click()
    assert redirected_post(navigation) == 302
    assert "Đã thực hiện bước." in page.get_by_role("status").inner_text()
    assert mine(page).count() == 2
    assert "Cai nghiện tự nguyện tại gia đình, cộng đồng" in page.locator("#stage").inner_text()
    caseworker.check("case-after-step")

    case = cases_committee("GET", f"/cases/{case_id}").json()
    assert case["stage"] == "community_rehab"
    assert [(v["kind"], v["outcome"], v["visited_on"]) for v in case["visits"]] == [
        ("home_visit", "met", TODAY.isoformat())]
