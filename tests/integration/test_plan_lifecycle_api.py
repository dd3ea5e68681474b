"""A plan's life through the plans API against the real FerretDB: drafted with tasks, shares and tags, issued
under its document number, its tasks announced, amended with reasons, copied to the next year, closed once every
assignment is settled; what each caller sees; and bad input answered 4xx naming the field with nothing stored."""
from datetime import date

import pytest

from services.plans.domain.commands import AnnounceTasks
from services.plans.entrypoints.app import create_app

PLAN = {"title": "Kế hoạch Tháng hành động phòng, chống ma túy năm 2026", "kind": "action_month",
        "area_code": "56", "starts_on": "2026-06-01", "ends_on": "2026-06-30",
        "summary_report_due_on": "2026-07-02", "theme": "Phòng, chống ma túy vì cộng đồng",
        "slogan": "Hãy tránh xa ma túy", "goals": "Huy động cả hệ thống chính trị",
        "indicators": [{"code": "outreach_sessions", "target": 100}, {"code": "people_newly_managed", "target": 20}]}
ISSUE = {"issuing_authority": "Ủy ban nhân dân tỉnh Khánh Hòa", "document_number": "2057/KH-UBND",
         "document_date": "2026-05-20", "signer": "Phó Chủ tịch Nguyễn Văn A"}
UNITS = (("SGD-T56", "Sở Giáo dục và Đào tạo", "department", "56"),
         ("CA-T56", "Công an tỉnh", "provincial_police", "56"),
         ("UBX-22366", "UBND phường Bắc Nha Trang", "commune_committee", "22366"),
         ("UBX-22333", "UBND phường Nha Trang", "commune_committee", "22333"))


@pytest.fixture
def app(settings):
    app = create_app(settings("plans"))
    app.extensions["service_layer"].dependencies["clock"].today = lambda: date(2026, 5, 25)
    return app


def today_is(app, day: date) -> None:
    app.extensions["service_layer"].dependencies["clock"].today = lambda: day


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def coordinator(auth):
    return auth(subject="coordinator", roles=["plan_coordinator"], unit="UBT-56", areas=["56"])


@pytest.fixture
def reporter(auth):
    return auth(subject="reporter-22366", roles=["unit_reporter"], unit="UBX-22366", areas=["22366"])


@pytest.fixture
def units(client, coordinator):
    for code, name, kind, area in UNITS:
        response = client.post("/api/v1/units", headers=coordinator,
                               json={"unit_code": code, "name": name, "kind": kind, "area_code": area})
        assert response.status_code == 201, response.get_json()


def created(response, status=201):
    assert response.status_code == status, response.get_json()
    return response.get_json(), response.headers["ETag"]


def draft_with_task(client, coordinator):
    plan, _ = created(client.post("/api/v1/plans", headers=coordinator, json=PLAN))
    task, etag = created(client.post(f"/api/v1/plans/{plan['id']}/tasks", headers=coordinator, json={
        "title": "Tuyên truyền phòng, chống ma túy trong trường học", "lead_unit": "SGD-T56",
        "supporting_units": ["CA-T56"], "due_on": "2026-06-25", "areas": ["22366", "22333"],
        "place_types": ["school"], "tags": ["drug_free_schools", "cultural_life_movement"],
        "indicators": [{"code": "outreach_sessions", "target": 100}]}))
    for unit, share in (("UBX-22366", 60), ("UBX-22333", 30)):
        task, etag = created(client.put(f"/api/v1/tasks/{task['id']}/assignments/{unit}", headers={
            **coordinator, "If-Match": etag}, json={"shares": {"outreach_sessions": share}}), 200)
    return plan, task, etag


def test_a_plan_is_drafted_with_shares_issued_announced_and_seen_by_its_units(app, client, coordinator, reporter,
                                                                                units):
    plan, task, _ = draft_with_task(client, coordinator)
    assert plan["status"] == "draft" and [p["code"] for p in plan["reporting_periods"]] == [
        "W1", "W2", "W3", "W4", "W5", "final"]
    assert task["unassigned"] == {"outreach_sessions": 10.0} and task["status"] == "not_started"
    assert [(a["unit_code"], a["shares"]) for a in task["assignments"]] == [
        ("UBX-22333", {"outreach_sessions": 30.0}), ("UBX-22366", {"outreach_sessions": 60.0})]
    assert client.get(f"/api/v1/plans/{plan['id']}", headers=reporter).status_code == 404
    assert client.get("/api/v1/my/tasks", headers=reporter).get_json() == []
    draft_report = client.put(f"/api/v1/tasks/{task['id']}/assignments/UBX-22366/reports/W1", headers=reporter,
                              json={"values": {"outreach_sessions": 1}})
    assert draft_report.status_code == 404, draft_report.get_json()
    assert client.get(f"/api/v1/plans/{plan['id']}/reports", headers=reporter).status_code == 404

    current = client.get(f"/api/v1/plans/{plan['id']}", headers=coordinator)
    issued, _ = created(client.post(f"/api/v1/plans/{plan['id']}/issue", json=ISSUE, headers={
        **coordinator, "If-Match": current.headers["ETag"]}), 200)
    assert (issued["status"], issued["document_number"], issued["signer"]) == (
        "issued", "2057/KH-UBND", "Phó Chủ tịch Nguyễn Văn A")
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=coordinator).get_json()["announced"] is False
    assert app.extensions["service_layer"].handle(AnnounceTasks(plan["id"])) == 1
    assert app.extensions["service_layer"].handle(AnnounceTasks(plan["id"])) == 0
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=coordinator).get_json()["announced"] is True

    mine = client.get("/api/v1/my/tasks", headers=reporter).get_json()
    assert [(t["id"], [a["unit_code"] for a in t["assignments"]]) for t in mine] == [(task["id"], ["UBX-22366"])]
    assert client.get(f"/api/v1/plans/{plan['id']}", headers=reporter).status_code == 200
    by_tag = client.get(f"/api/v1/plans/{plan['id']}/tasks", headers=coordinator,
                        query_string={"tag": "drug_free_schools"}).get_json()
    assert [t["id"] for t in by_tag] == [task["id"]]
    assert client.get(f"/api/v1/plans/{plan['id']}/tasks", headers=coordinator,
                      query_string={"tag": "national_security_movement"}).get_json() == []
    listed = client.get("/api/v1/plans", headers=coordinator, query_string={"status": "issued"}).get_json()
    assert [(p["id"], p["document_number"]) for p in listed] == [(plan["id"], "2057/KH-UBND")]


def test_an_issued_plan_is_amended_with_a_reason_and_its_history_keeps_every_change(client, coordinator, units):
    plan, task, task_etag = draft_with_task(client, coordinator)
    plan_etag = client.get(f"/api/v1/plans/{plan['id']}", headers=coordinator).headers["ETag"]
    _, plan_etag = created(client.post(f"/api/v1/plans/{plan['id']}/issue", json=ISSUE, headers={
        **coordinator, "If-Match": plan_etag}), 200)
    edit = client.patch(f"/api/v1/plans/{plan['id']}", json={"goals": "khác"},
                        headers={**coordinator, "If-Match": plan_etag})
    assert edit.status_code == 409 and edit.get_json()["allowed"] == ["amend"]
    amended, plan_etag = created(client.post(f"/api/v1/plans/{plan['id']}/amendments", headers={
        **coordinator, "If-Match": plan_etag}, json={
        "document_number": "2101/KH-UBND", "reason": "Kéo dài thời gian báo cáo theo chỉ đạo của Bộ",
        "amended_on": "2026-06-05", "changes": {"summary_report_due_on": "2026-07-06"}}), 200)
    assert amended["summary_report_due_on"] == "2026-07-06"
    assert [(r["number"], r["document_number"], r["changed"]) for r in amended["revisions"]] == [
        (1, "2101/KH-UBND", ["summary_report_due_on"])]
    unexplained = client.patch(f"/api/v1/tasks/{task['id']}", headers={**coordinator, "If-Match": task_etag},
                               json={"changes": {"due_on": "2026-06-28"}})
    assert unexplained.status_code == 422 and "reason" in unexplained.get_json()["errors"]
    changed, _ = created(client.patch(f"/api/v1/tasks/{task['id']}", headers={**coordinator, "If-Match": task_etag},
                                      json={"changes": {"due_on": "2026-06-28"}, "reason": "theo kế hoạch sửa đổi",
                                            "document_number": "2101/KH-UBND"}), 200)
    assert changed["due_on"] == "2026-06-28"
    history = client.get(f"/api/v1/plans/{plan['id']}/history", headers=coordinator).get_json()
    types = [entry["type"] for entry in history]
    for expected in ("plans.plan.created", "plans.task.drafted", "plans.assignment.drafted", "plans.plan.issued",
                     "plans.plan.amended", "plans.task.amended"):
        assert expected in types, types
    assert all(entry["actor"] == "coordinator" for entry in history)
    stale = client.post(f"/api/v1/plans/{plan['id']}/start", headers={**coordinator, "If-Match": '"1"'})
    assert stale.status_code == 412


def test_closing_needs_every_assignment_settled_and_waivers_say_why(app, client, coordinator, units):
    plan, task, task_etag = draft_with_task(client, coordinator)
    etag = client.get(f"/api/v1/plans/{plan['id']}", headers=coordinator).headers["ETag"]
    _, etag = created(client.post(f"/api/v1/plans/{plan['id']}/issue", json=ISSUE,
                                  headers={**coordinator, "If-Match": etag}), 200)
    refused = client.post(f"/api/v1/plans/{plan['id']}/close", json={"closed_on": "2026-07-05"},
                          headers={**coordinator, "If-Match": etag})
    assert refused.status_code == 409
    assert sorted(refused.get_json()["allowed"]) == [f"approve or waive {task['id']}/UBX-22333",
                                                    f"approve or waive {task['id']}/UBX-22366"]
    for unit in ("UBX-22333", "UBX-22366"):
        short = client.post(f"/api/v1/tasks/{task['id']}/assignments/{unit}/waiver", json={"reason": "no"},
                            headers=coordinator)
        assert short.status_code == 422 and "reason" in short.get_json()["errors"]
        _, task_etag = created(client.post(f"/api/v1/tasks/{task['id']}/assignments/{unit}/waiver", headers={
            **coordinator, "If-Match": task_etag}, json={"reason": "Đơn vị sáp nhập, nhiệm vụ giao xã mới"}), 200)
    early = client.post(f"/api/v1/plans/{plan['id']}/close", json={"closed_on": "2026-07-05"},
                        headers={**coordinator, "If-Match": etag})
    assert early.status_code == 422 and "closed_on" in early.get_json()["errors"]
    today_is(app, date(2026, 7, 6))
    closed, _ = created(client.post(f"/api/v1/plans/{plan['id']}/close", json={"closed_on": "2026-07-05"},
                                    headers={**coordinator, "If-Match": etag}), 200)
    assert (closed["status"], closed["closed_on"]) == ("closed", "2026-07-05")
    late_budget = client.post(f"/api/v1/plans/{plan['id']}/budget-lines", headers=coordinator, json={
        "source": "local_budget", "purpose": "Tuyên truyền", "planned_vnd": 1_000_000})
    assert late_budget.status_code == 409


def test_last_years_plan_is_copied_into_a_draft_with_dates_shifted_and_targets_kept(client, coordinator, units):
    plan, task, _ = draft_with_task(client, coordinator)
    copy, _ = created(client.post(f"/api/v1/plans/{plan['id']}/copies", headers=coordinator,
                                  json={"starts_on": "2027-06-01"}))
    assert (copy["status"], copy["title"], copy["starts_on"], copy["ends_on"], copy["summary_report_due_on"],
            copy["copied_from"]) == ("draft", "Kế hoạch Tháng hành động phòng, chống ma túy năm 2027", "2027-06-01",
                                     "2027-06-30", "2027-07-02", plan["id"])
    assert [(i["code"], i["target"]) for i in copy["indicators"]] == [("outreach_sessions", 100.0),
                                                                       ("people_newly_managed", 20.0)]
    tasks = client.get(f"/api/v1/plans/{copy['id']}/tasks", headers=coordinator).get_json()
    assert [(t["title"], t["starts_on"], t["due_on"], t["tags"], t["unassigned"]) for t in tasks] == [
        (task["title"], "2027-06-01", "2027-06-25", task["tags"], {"outreach_sessions": 10.0})]


BAD_PLANS = (({"indicators": [{"code": "outreach_sessions", "target": -5}]}, "indicators.0.target"),
             ({"indicators": [{"code": "outreach_sessions", "target": "many"}]}, "indicators.0.target"),
             ({"indicators": [{"code": "no_such_indicator", "target": 5}]}, "indicators.0.code"),
             ({"ends_on": "2026-05-01"}, "ends_on"), ({"kind": "weekly"}, "kind"), ({"area_code": "99"}, "area_code"))


@pytest.mark.parametrize("change, field", BAD_PLANS)
def test_a_bad_plan_is_refused_naming_the_field_and_nothing_is_stored(client, coordinator, change, field):
    refused = client.post("/api/v1/plans", headers=coordinator, json={**PLAN, **change})
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert field in refused.get_json()["errors"], refused.get_json()
    assert client.get("/api/v1/plans", headers=coordinator).get_json() == []


def test_bad_tasks_shares_and_amendments_are_refused_naming_the_field_and_nothing_is_stored(client, coordinator,
                                                                                            units):
    plan, task, etag = draft_with_task(client, coordinator)
    tasks_url = f"/api/v1/plans/{plan['id']}/tasks"
    good = {"title": "Triệt xóa điểm, tụ điểm", "lead_unit": "CA-T56", "due_on": "2026-06-25"}
    for change, field in (({"due_on": "2026-05-20"}, "due_on"), ({"starts_on": "2026-06-10", "due_on": "2026-06-05"},
                                                                 "due_on"),
                          ({"tags": ["no_such_movement"]}, "tags.0"), ({"place_types": ["market"]}, "place_types.0"),
                          ({"lead_unit": "NO-SUCH"}, "lead_unit"), ({"areas": ["22366", "01001"]}, "areas.1"),
                          ({"indicators": [{"code": "outreach_sessions", "target": -1}]}, "indicators.0.target")):
        refused = client.post(tasks_url, headers=coordinator, json={**good, **change})
        assert refused.status_code == 422, (change, refused.get_json())
        assert field in refused.get_json()["errors"], (change, refused.get_json())
    over = client.put(f"/api/v1/tasks/{task['id']}/assignments/UBX-22333", headers={**coordinator, "If-Match": etag},
                      json={"shares": {"outreach_sessions": 41}})
    assert over.status_code == 422 and "shares.outreach_sessions" in over.get_json()["errors"]
    unknown = client.put(f"/api/v1/tasks/{task['id']}/assignments/NO-SUCH", headers={**coordinator, "If-Match": etag},
                         json={"shares": {"outreach_sessions": 1}})
    assert unknown.status_code == 422 and "unit_code" in unknown.get_json()["errors"]
    assert len(client.get(tasks_url, headers=coordinator).get_json()) == 1
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=coordinator).headers["ETag"] == etag

    empty = client.post(f"/api/v1/plans/{plan['id']}/issue", headers=coordinator,
                        json={**ISSUE, "document_number": "không số"})
    assert empty.status_code == 422 and "document_number" in empty.get_json()["errors"]
    plan_etag = client.get(f"/api/v1/plans/{plan['id']}", headers=coordinator).headers["ETag"]
    created(client.post(f"/api/v1/plans/{plan['id']}/issue", json=ISSUE, headers=coordinator), 200)
    for body, field in (({"document_number": "2101/KH-UBND", "amended_on": "2026-06-05",
                          "changes": {"goals": "x"}}, "reason"),
                        ({"document_number": "2101/KH-UBND", "reason": "điều chỉnh", "amended_on": "2026-06-05",
                          "changes": {"starts_on": "2026-06-02"}}, "changes.starts_on"),
                        ({"reason": "điều chỉnh mục tiêu", "amended_on": "2026-06-05", "changes": {"goals": "x"}},
                         "document_number")):
        refused = client.post(f"/api/v1/plans/{plan['id']}/amendments", headers=coordinator, json=body)
        assert refused.status_code == 422 and field in str(refused.get_json()["errors"]), refused.get_json()
    after = client.get(f"/api/v1/plans/{plan['id']}", headers=coordinator)
    assert after.get_json()["revisions"] == [] and after.headers["ETag"] != plan_etag


def test_only_the_areas_coordinators_manage_a_plan(client, coordinator, reporter, auth, units):
    plan, task, etag = draft_with_task(client, coordinator)
    other = auth(subject="pc-01", roles=["plan_coordinator"], unit="UBT-01", areas=["01"])
    assert client.get(f"/api/v1/plans/{plan['id']}", headers=other).status_code == 404
    assert client.post(f"/api/v1/plans/{plan['id']}/issue", headers=other, json=ISSUE).status_code == 404
    created(client.post(f"/api/v1/plans/{plan['id']}/issue", headers=coordinator, json=ISSUE), 200)
    refused = client.put(f"/api/v1/tasks/{task['id']}/assignments/UBX-22366", headers=reporter,
                         json={"shares": {"outreach_sessions": 100}})
    assert refused.status_code == 403
    assert client.post("/api/v1/plans", headers=reporter, json=PLAN).status_code == 403
