"""A progress report in a real browser: the province's coordinating agency system drafts and issues a plan through
the plans API with a task assigned to the commune committee; the committee's unit reporter, signed in with
password and code, finds the plan, opens the report for this month from the task and submits it (a figure typed
the Vietnamese way, 1234,5); the provincial plan coordinator, signed in, opens the same report and approves it.
The plans API then answers the report approved with the figure as typed. Each page answers 200, the plan page with
its roll-up (a chart, or the note that there are no figures yet) and the task; each form carries its version and
Idempotency-Key. The plan page and the report page pass axe-core under the portal's Content-Security-Policy.
The commune police, signed in, see the hotspots recorded by the province's system drawn on a map above their list
(on a desktop and on a 360-pixel phone), a marker leading to its row, the one without coordinates only listed."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from shared.clock import province_today

from tests.e2e.browser.support import PHONE, PORTAL, SCREENSHOTS, signed_in_tab

pytestmark = pytest.mark.e2e

TODAY = province_today()
PERIOD = TODAY.strftime("%Y-%m")


@pytest.fixture(scope="module")
def issued(browser_system, plans_coordinator) -> tuple[str, str]:
    """A plan issued with one task led by the provincial police, 1200 of its outreach sessions assigned to the
    commune committee (the units are registered by the package's conftest)."""
    plan = plans_coordinator("POST", "/plans", json={
        "title": "Kế hoạch tuyên truyền phòng, chống ma túy", "kind": "thematic", "area_code": "56",
        "starts_on": TODAY.replace(day=1).isoformat(), "ends_on": (TODAY + timedelta(days=40)).isoformat(),
        "indicators": [{"code": "outreach_sessions", "target": 1500}]})
    assert plan.status_code == 201, plan.text
    plan_id = plan.json()["id"]
    task = plans_coordinator("POST", f"/plans/{plan_id}/tasks", json={
        "title": "Tuyên truyền tại tổ dân phố", "lead_unit": "CA-T56-PC04",
        "due_on": (TODAY + timedelta(days=30)).isoformat(),
        "indicators": [{"code": "outreach_sessions", "target": 1500}]})
    assert task.status_code == 201, task.text
    assigned = plans_coordinator("PUT", f"/tasks/{task.json()['id']}/assignments/UBX-22366",
                           headers={"If-Match": task.headers["ETag"]}, json={"shares": {"outreach_sessions": 1200}})
    assert assigned.status_code == 200, assigned.text
    done = plans_coordinator("POST", f"/plans/{plan_id}/issue", json={
        "issuing_authority": "Ủy ban nhân dân tỉnh", "document_number": "27/KH-UBND",
        "document_date": TODAY.isoformat(), "signer": "Chủ tịch"})
    assert done.status_code == 200, done.text
    return plan_id, task.json()["id"]


def test_a_reporter_submits_a_report_and_a_coordinator_approves_it(browser_system, browser, plans_coordinator, issued):
    plan_id, task_id = issued
    reporter = signed_in_tab(browser, browser_system, "ubx.mai", "unit_reporter", "UBX-22366", ["22366"])
    try:
        page = reporter.page
        assert page.goto(f"{PORTAL}/plans").status == 200
        link = page.get_by_role("link", name="Kế hoạch tuyên truyền phòng, chống ma túy")
        assert link.get_attribute("href") == f"/plans/{plan_id}"
        with page.expect_navigation() as shown:
            link.click()
        assert shown.value.status == 200
        page.wait_for_url(f"{PORTAL}/plans/{plan_id}")
        assert page.locator("#rollup-chart").count() == 1 or "Chưa có số liệu" in page.locator("main").inner_text()
        reporter.check("plan")
        task = page.locator(f"#task-{task_id}")
        assert "Tuyên truyền tại tổ dân phố" in task.inner_text()
        assert task.get_by_label("Đơn vị").input_value() == "UBX-22366"
        task.get_by_label("Kỳ báo cáo").select_option(value=PERIOD)
        with page.expect_navigation() as chosen:
            task.get_by_role("button", name="Mở báo cáo").click()
        assert chosen.value.status == 200
        report_url = page.url
        assert page.locator("#submit-form").count() == 1
        reporter.check("report")
        form = page.locator("#submit-form")
        assert form.locator("input[name=version]").get_attribute("value") == "0"
        assert form.locator("input[name=idempotency_key]").get_attribute("value")
        form.get_by_label(re.compile("^Buổi tuyên truyền")).fill("1234,5")
        form.get_by_label("Nội dung báo cáo").fill("Đã tổ chức tuyên truyền tại các tổ dân phố")
        with page.expect_navigation() as submitted:
            form.get_by_role("button", name="Gửi xét duyệt").click()
        assert submitted.value.status == 200
        assert "Đã gửi báo cáo để xét duyệt." in page.locator("main").inner_text()
        assert "1.234,5" in page.locator("#report-figures").inner_text()
    finally:
        reporter.close()

    reviewer = signed_in_tab(browser, browser_system, "so.binh", "plan_coordinator", "UBND-T56", ["56"])
    try:
        page = reviewer.page
        assert page.goto(report_url).status == 200
        review = page.locator("#review-form")
        assert review.count() == 1
        assert re.fullmatch(r"\d+", review.locator("input[name=version]").get_attribute("value"))
        assert review.locator("input[name=idempotency_key]").get_attribute("value")
        reviewer.check("report-review")
        with page.expect_navigation() as approved:
            review.get_by_role("button", name="Phê duyệt").click()
        assert approved.value.status == 200
        assert "Đã phê duyệt báo cáo." in page.locator("main").inner_text()
        assert page.locator("#review-form").count() == 0
        reviewer.check("report-approved")
    finally:
        reviewer.close()

    report = plans_coordinator("GET", f"/tasks/{task_id}/assignments/UBX-22366/reports/{PERIOD}")
    assert report.status_code == 200 and report.json()["status"] == "approved", report.text
    assert report.json()["values"] == {"outreach_sessions": 1234.5}


HOTSPOTS = (("Quán karaoke gần chợ Đầm", "high", {"latitude": 12.2530, "longitude": 109.1905}),
            ("Khu nhà trọ ven biển", "medium", {"latitude": 12.2447, "longitude": 109.1960}),
            ("Nhà hoang cuối xóm", "low", None))


def test_the_police_see_their_hotspots_on_a_map_above_the_list(browser_system, browser, plans_coordinator):
    recorded = {}
    for name, level, coordinates in HOTSPOTS:
        created = plans_coordinator("POST", "/hotspots", json={
            "place_name": name, "commune_code": "22366", "kind": "point", "activity": "use_and_dealing",
            "level": level, "found_on": TODAY.isoformat(), **({"coordinates": coordinates} if coordinates else {})})
        assert created.status_code == 201, created.text
        recorded[name] = created.json()["id"]
    police = signed_in_tab(browser, browser_system, "cax.hung", "police_liaison", "CAX-22366", ["22366"])
    try:
        page = police.page
        assert page.goto(f"{PORTAL}/plans/hotspots").status == 200
        drawn = page.locator("#hotspot-map")
        assert drawn.is_visible() and drawn.get_attribute("role") == "img" and drawn.bounding_box()["width"] > 300
        assert page.locator("#hotspot-map path.marker").count() == 2
        assert "1 trong 3 điểm nóng chưa có tọa độ nên chỉ có trong danh sách." in page.locator("main").inner_text()
        police.check("hotspots")
        marker = page.locator(f"#hotspot-map-links a[href='#hotspot-{recorded['Quán karaoke gần chợ Đầm']}']")
        marker.click()
        assert page.url.endswith(f"#hotspot-{recorded['Quán karaoke gần chợ Đầm']}")
        assert "Quán karaoke gần chợ Đầm" in page.locator("tr:target").inner_text()
        assert page.locator(f"#hotspot-map-links a[href='#hotspot-{recorded['Nhà hoang cuối xóm']}']").count() == 0
        page.set_viewport_size(PHONE)
        try:
            page.goto(f"{PORTAL}/plans/hotspots")
            assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
            assert drawn.is_visible() and drawn.bounding_box()["width"] <= PHONE["width"]
            page.screenshot(path=str(SCREENSHOTS / "hotspots-phone.png"), full_page=True)
        finally:
            page.set_viewport_size({"width": 1280, "height": 720})
    finally:
        police.close()
