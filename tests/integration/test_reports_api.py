"""Progress reports through the plans API against the real FerretDB: drafted, submitted, returned, resubmitted,
approved and revised; crackdown figures; the late flag; who may see and review; bad input stores nothing."""
from datetime import date

import pytest

from services.plans.entrypoints.app import create_app

PROVINCE, COMMUNE, OTHER = "56", "22366", "22333"
UNITS = (("UBND-T56", "Ban chỉ đạo tỉnh", "provincial_committee", PROVINCE),
         ("CA-T56", "Công an tỉnh", "provincial_police", PROVINCE),
         ("CAX-22366", "Công an phường Nha Trang", "commune_police", COMMUNE),
         ("UBX-22366", "UBND phường Nha Trang", "commune_committee", COMMUNE),
         ("CAX-22333", "Công an phường Bắc Nha Trang", "commune_police", OTHER))
INDICATORS = [{"code": code, "target": 100} for code in ("outreach_sessions", "drug_cases", "suspects",
                                                         "drugs_seized_g")]
CRACKDOWN = {"offences": [{"offence": "trafficking", "cases": 2, "suspects": 3},
                          {"offence": "possession", "cases": 1, "suspects": 1}],
             "seizures": [{"drug": "heroin", "quantity": 15.5, "measure": "g"},
                          {"drug": "cannabis", "quantity": 0.5, "measure": "kg"},
                          {"drug": "pills", "quantity": 120, "measure": "viên"}]}


@pytest.fixture
def app(settings):
    return create_app(settings("plans"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def today(app):
    """Moves the service's clock: `today(date)`."""
    clock = app.extensions["service_layer"].dependencies["clock"]

    def move(day):
        clock.today = lambda: day
    move(date(2026, 5, 25))
    return move


@pytest.fixture
def people(auth):
    return {"coordinator": auth(subject="pc", roles=["plan_coordinator"], unit="UBND-T56", areas=[PROVINCE]),
            "reporter": auth(subject="cax", roles=["unit_reporter"], unit="CAX-22366", areas=[COMMUNE]),
            "committee": auth(subject="ubx", roles=["unit_reporter"], unit="UBX-22366", areas=[COMMUNE]),
            "lead": auth(subject="pc04", roles=["unit_reporter"], unit="CA-T56", areas=[PROVINCE]),
            "other": auth(subject="cax2", roles=["unit_reporter"], unit="CAX-22333", areas=[OTHER]),
            "auditor": auth(subject="tt", roles=["auditor"], unit="TTr-T56", areas=[PROVINCE]),
            "caseworker": auth(subject="cw", roles=["caseworker"], unit="CAX-22366", areas=[COMMUNE])}


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


@pytest.fixture
def task_id(client, people, today):
    """An Action Month plan issued with one task led by the provincial police, assigned to a commune's police
    and its People's Committee."""
    coordinator = people["coordinator"]
    for code, name, kind, area in UNITS:
        ok(client.post("/api/v1/units", headers=coordinator,
                       json={"unit_code": code, "name": name, "kind": kind, "area_code": area}), 201)
    plan = ok(client.post("/api/v1/plans", headers=coordinator, json={
        "title": "Tháng hành động phòng, chống ma túy 2026", "kind": "action_month", "area_code": PROVINCE,
        "starts_on": "2026-06-01", "ends_on": "2026-06-30", "indicators": INDICATORS}), 201)
    task = ok(client.post(f"/api/v1/plans/{plan['id']}/tasks", headers=coordinator, json={
        "title": "Đấu tranh, triệt phá tội phạm ma túy", "lead_unit": "CA-T56",
        "supporting_units": ["CAX-22366", "UBX-22366"], "starts_on": "2026-06-01", "due_on": "2026-06-30",
        "indicators": INDICATORS}), 201)
    for unit, shares in (("CAX-22366", {"drug_cases": 10}), ("UBX-22366", {"outreach_sessions": 5}),
                         ("CA-T56", {"drug_cases": 20})):
        ok(client.put(f"/api/v1/tasks/{task['id']}/assignments/{unit}", headers=coordinator,
                      json={"shares": shares}))
    ok(client.post(f"/api/v1/plans/{plan['id']}/issue", headers=coordinator, json={
        "issuing_authority": "Ủy ban nhân dân tỉnh Khánh Hòa", "document_number": "2057/KH-UBND",
        "document_date": "2026-05-20", "signer": "Phó Chủ tịch"}))
    task["plan_id"] = plan["id"]
    return task["id"]


def path(task_id, period="W1", unit="CAX-22366", step=""):
    return f"/api/v1/tasks/{task_id}/assignments/{unit}/reports/{period}{step}"


def test_a_report_is_drafted_submitted_returned_resubmitted_and_approved(client, people, task_id, today):
    reporter, lead = people["reporter"], people["lead"]
    created = client.put(path(task_id), headers=reporter, json={"values": {"outreach_sessions": 3}})
    assert created.status_code == 201 and created.headers["ETag"] == '"1"', created.get_json()
    assert created.headers["Location"].endswith(path(task_id))
    stale = client.put(path(task_id), headers={**reporter, "If-Match": '"0"'}, json={"values": {}})
    assert stale.status_code == 412 and stale.get_json()["current_version"] == 1
    changed = client.put(path(task_id), headers={**reporter, "If-Match": '"1"'},
                         json={"values": {"outreach_sessions": 4}, "narrative": "Tuần 1",
                               "documents": [{"number": "12/BC-CAX", "issued_on": "2026-05-25",
                                              "title": "Báo cáo tuần 1"}]})
    assert ok(changed)["values"] == {"outreach_sessions": 4.0} and changed.headers["ETag"] == '"2"'
    assert ok(changed)["documents"] == [{"number": "12/BC-CAX", "issued_on": "2026-05-25",
                                         "title": "Báo cáo tuần 1"}]
    today(date(2026, 6, 8))
    submitted = ok(client.post(path(task_id, step="/submit"), headers={**reporter, "If-Match": '"2"'}))
    assert (submitted["status"], submitted["late"], submitted["submitted_on"]) == ("submitted", False, "2026-06-08")
    returned = client.post(path(task_id, step="/return"), headers=lead,
                           json={"comments": "Bổ sung số buổi tuyên truyền ở trường học"})
    assert ok(returned)["status"] == "returned" and returned.headers["ETag"] == '"4"'
    ok(client.put(path(task_id), headers=reporter, json={"values": {"outreach_sessions": 6}}))
    assert ok(client.post(path(task_id, step="/submit"), headers=reporter))["status"] == "resubmitted"
    approved = ok(client.post(path(task_id, step="/approve"), headers=people["coordinator"], json={}))
    assert approved["status"] == "approved" and approved["approved_values"] == {"outreach_sessions": 6.0}
    read = client.get(path(task_id), headers=reporter)
    assert read.headers["ETag"] == f'"{approved["version"]}"'
    assert [(r["outcome"], r["by"], r["unit"]) for r in ok(read)["reviews"]] == [
        ("returned", "pc04", "CA-T56"), ("approved", "pc", "UBND-T56")]
    assert ok(read)["documents"] == [] and ok(read)["narrative"] is None, "a draft saved replaces the one before"


def test_approved_figures_are_locked_and_corrected_by_a_revision(client, people, task_id, today):
    reporter = people["reporter"]
    today(date(2026, 6, 8))
    ok(client.put(path(task_id), headers=reporter, json={"values": {"outreach_sessions": 2}}), 201)
    ok(client.post(path(task_id, step="/submit"), headers=reporter))
    ok(client.post(path(task_id, step="/approve"), headers=people["lead"], json={"comments": "Đạt"}))
    again = client.post(path(task_id, step="/submit"), headers=reporter)
    assert again.status_code == 409 and again.get_json()["allowed"] == ["revise"]
    assert client.put(path(task_id), headers=reporter, json={"values": {"outreach_sessions": 3}}).status_code == 409
    no_reason = client.post(path(task_id, step="/revisions"), headers=reporter,
                            json={"values": {"outreach_sessions": 3}})
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]
    revised = ok(client.post(path(task_id, step="/revisions"), headers={**reporter, "If-Match": '"3"'},
                             json={"reason": "Bổ sung số liệu tổ dân phố 4", "values": {"outreach_sessions": 3}}))
    assert (revised["revision"], revised["status"], revised["values"], revised["approved_values"]) == (
        2, "submitted", {"outreach_sessions": 3.0}, {"outreach_sessions": 2.0})
    assert revised["revisions"] == [{"number": 2, "reason": "Bổ sung số liệu tổ dân phố 4",
                                     "revised_on": "2026-06-08"}]
    approved = ok(client.post(path(task_id, step="/approve"), headers=people["lead"], json={}))
    assert (approved["approved_values"], approved["approved_revision"]) == ({"outreach_sessions": 3.0}, 2)


def test_crackdown_figures_feed_the_indicators_they_imply(client, people, task_id):
    body = {"values": {"outreach_sessions": 1, "suspects": 4}, "crackdown": CRACKDOWN}
    report = ok(client.put(path(task_id), headers=people["reporter"], json=body), 201)
    assert report["values"] == {"outreach_sessions": 1.0, "drug_cases": 3.0, "suspects": 4.0,
                                "drugs_seized_g": 515.5}
    assert [(o["offence"], o["article"]) for o in report["crackdown"]["offences"]] == [("trafficking", 251),
                                                                                      ("possession", 249)]
    assert report["crackdown"]["seizures"][2] == {"drug": "pills", "quantity": 120.0, "measure": "viên"}


def test_a_first_submission_after_the_due_date_is_flagged_late(client, people, task_id, today):
    reporter = people["reporter"]
    ok(client.put(path(task_id, "W2"), headers=reporter, json={"values": {"outreach_sessions": 1}}), 201)
    early = client.post(path(task_id, "W2", step="/submit"), headers=reporter)
    assert early.status_code == 409, early.get_json()
    today(date(2026, 6, 17))
    late = ok(client.post(path(task_id, "W2", step="/submit"), headers=reporter))
    assert late["late"] is True and late["due_on"] == "2026-06-16"
    ok(client.post(path(task_id, "W2", step="/return"), headers=people["lead"], json={"comments": "Thiếu tài liệu"}))
    today(date(2026, 6, 18))
    assert ok(client.post(path(task_id, "W2", step="/submit"), headers=reporter))["late"] is True


def plan_of(client, people, task_id):
    return ok(client.get(f"/api/v1/tasks/{task_id}", headers=people["coordinator"]))["plan_id"]


def test_the_plans_reports_are_listed_to_those_who_may_see_them(client, people, task_id, today):
    today(date(2026, 6, 9))
    for who, unit, period in (("reporter", "CAX-22366", "W1"), ("reporter", "CAX-22366", "W2"),
                              ("committee", "UBX-22366", "W1"), ("lead", "CA-T56", "W1")):
        ok(client.put(path(task_id, period, unit), headers=people[who], json={"values": {"outreach_sessions": 1}}),
           201)
    ok(client.post(path(task_id, "W1", "UBX-22366", "/submit"), headers=people["committee"]))
    plan_id = plan_of(client, people, task_id)

    def listed(who, query=""):
        response = client.get(f"/api/v1/plans/{plan_id}/reports{query}", headers=people[who])
        return [(r["unit_code"], r["period"], r["status"]) for r in ok(response)]
    everything = [("CA-T56", "W1", "draft"), ("CAX-22366", "W1", "draft"), ("UBX-22366", "W1", "submitted"),
                  ("CAX-22366", "W2", "draft")]
    assert listed("coordinator") == listed("auditor") == listed("lead") == everything
    assert listed("reporter") == [("CAX-22366", "W1", "draft"), ("CAX-22366", "W2", "draft")]
    assert listed("other") == []
    assert listed("coordinator", "?status=submitted") == [("UBX-22366", "W1", "submitted")]
    assert listed("coordinator", "?unit_code=CAX-22366&period=W2") == [("CAX-22366", "W2", "draft")]
    paged = client.get(f"/api/v1/plans/{plan_id}/reports?page_size=2&page=2", headers=people["coordinator"])
    assert len(ok(paged)) == 2 and '"total": 4' in paged.headers["X-Pagination"]


def test_only_the_units_reporters_write_and_nobody_reviews_their_own_units_report(client, people, task_id, today):
    today(date(2026, 6, 8))
    body = {"values": {"outreach_sessions": 1}}
    assert client.put(path(task_id), headers=people["other"], json=body).status_code == 404
    assert client.put(path(task_id), headers=people["caseworker"], json=body).status_code == 404
    assert client.put(path(task_id), headers=people["lead"], json=body).status_code == 403
    ok(client.put(path(task_id), headers=people["reporter"], json=body), 201)
    assert client.get(path(task_id), headers=people["other"]).status_code == 404
    assert client.post(path(task_id, step="/submit"), headers=people["lead"]).status_code == 403
    ok(client.post(path(task_id, step="/submit"), headers=people["reporter"]))
    own = client.post(path(task_id, step="/approve"), headers=people["reporter"], json={})
    assert own.status_code == 403 and own.mimetype == "application/problem+json"
    assert client.post(path(task_id, step="/approve"), headers=people["auditor"], json={}).status_code == 403
    assert client.post(path(task_id, step="/approve"), headers=people["other"], json={}).status_code == 404
    ok(client.put(path(task_id, unit="CA-T56"), headers=people["lead"], json=body), 201)
    ok(client.post(path(task_id, unit="CA-T56", step="/submit"), headers=people["lead"]))
    lead_own = client.post(path(task_id, unit="CA-T56", step="/approve"), headers=people["lead"], json={})
    assert lead_own.status_code == 403
    ok(client.post(path(task_id, unit="CA-T56", step="/approve"), headers=people["coordinator"], json={}))


@pytest.mark.parametrize("body, period, unit, field", [
    ({"values": {"outreach_sessions": "nhiều"}}, "W1", "CAX-22366", "values.outreach_sessions"),
    ({"values": {"outreach_sessions": -2}}, "W1", "CAX-22366", "values.outreach_sessions"),
    ({"values": {"hotspots_eliminated": 1}}, "W1", "CAX-22366", "values.hotspots_eliminated"),
    ({"values": {"outreach_sessions": 1}}, "2026-06", "CAX-22366", "period"),
    ({"values": {"outreach_sessions": 1}}, "W9", "CAX-22366", "period"),
    ({"crackdown": CRACKDOWN}, "W1", "UBX-22366", "crackdown"),
    ({"crackdown": {"seizures": [{"drug": "heroin", "quantity": 1, "measure": "kg"}]}}, "W1", "CAX-22366",
     "crackdown.seizures.0.measure"),
    ({"crackdown": {"offences": [{"offence": "smuggling", "cases": 1}]}}, "W1", "CAX-22366",
     "crackdown.offences.0.offence"),
    ({"crackdown": {"seizures": [{"drug": "ketamine", "quantity": 1}]}}, "W1", "CAX-22366",
     "crackdown.seizures.0.drug"),
    ({"crackdown": {"offences": [{"offence": "possession", "cases": -1}]}}, "W1", "CAX-22366",
     "crackdown.offences.0.cases"),
    ({"values": {"drug_cases": 5}, "crackdown": CRACKDOWN}, "W1", "CAX-22366", "values.drug_cases"),
    ({"documents": [{"number": "1/BC", "issued_on": "2026-08-01", "title": "Báo cáo"}]}, "W1", "CAX-22366",
     "documents.0.issued_on"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(client, people, task_id, body, period, unit,
                                                                     field):
    who = people["committee"] if unit == "UBX-22366" else people["reporter"]
    refused = client.put(path(task_id, period, unit), headers=who, json=body)
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json", refused.get_json()
    assert field in refused.get_json()["errors"], refused.get_json()
    assert client.get(path(task_id, period, unit), headers=who).status_code == 404


def test_a_refused_change_leaves_the_report_as_it_was(client, people, task_id):
    reporter = people["reporter"]
    ok(client.put(path(task_id), headers=reporter, json={"values": {"outreach_sessions": 1}}), 201)
    refused = client.put(path(task_id), headers=reporter, json={"values": {"outreach_sessions": -1}})
    assert refused.status_code == 422
    read = client.get(path(task_id), headers=reporter)
    assert read.headers["ETag"] == '"1"' and ok(read)["values"] == {"outreach_sessions": 1.0}
    assert client.post(path(task_id, step="/return"), headers=people["lead"],
                       json={"comments": "Sai"}).status_code == 422


def test_reports_are_made_only_on_a_plan_in_force_and_a_live_assignment(client, people, task_id, today):
    coordinator = people["coordinator"]
    ok(client.post(f"/api/v1/tasks/{task_id}/assignments/UBX-22366/waiver", headers=coordinator,
                   json={"reason": "Phường đã sáp nhập, giao cho đơn vị khác"}))
    waived = client.put(path(task_id, unit="UBX-22366"), headers=people["committee"],
                        json={"values": {"outreach_sessions": 1}})
    assert waived.status_code == 409, waived.get_json()
    assert client.put(path(task_id, unit="CAX-22333"), headers=people["other"],
                      json={"values": {"outreach_sessions": 1}}).status_code == 404


def test_report_reads_filter_on_an_indexed_field(settings, people, task_id, client):
    """The plan's list and a task's progress read report snapshots by plan_id or task_id (test_list_indexes.py)."""
    from pymongo import monitoring

    from tests.integration.test_list_indexes import Recorder, filter_and_sort, leading_fields
    from services.plans.adapters.documents import ReportSnapshot
    ok(client.put(path(task_id), headers=people["reporter"], json={"values": {"outreach_sessions": 1}}), 201)
    recorder = Recorder()
    monitoring.register(recorder)
    watched = create_app(settings("plans")).test_client()
    plan_id = plan_of(watched, people, task_id)
    ok(watched.get(f"/api/v1/plans/{plan_id}/reports?status=draft", headers=people["coordinator"]))
    reads = [filter_and_sort(name, command) for name, collection, command in recorder.commands
             if collection == ReportSnapshot._get_collection_name()]
    assert {"plan_id", "task_id"} <= leading_fields(ReportSnapshot)
    assert all(set(query) & {"_id", "plan_id", "task_id"} for query, _sort in reads), reads
    assert any("plan_id" in query for query, _ in reads) and any("task_id" in query for query, _ in reads), reads


def test_every_report_write_refuses_a_stale_if_match_and_answers_the_new_etag(client, people, task_id, today):
    today(date(2026, 6, 8))
    reporter, lead = people["reporter"], people["lead"]
    ok(client.put(path(task_id), headers=reporter, json={"values": {"outreach_sessions": 1}}), 201)
    steps = [("PUT", "", reporter, {"values": {"outreach_sessions": 2}}), ("POST", "/submit", reporter, None),
             ("POST", "/return", lead, {"comments": "Bổ sung tài liệu"}), ("POST", "/submit", reporter, None),
             ("POST", "/approve", lead, {}),
             ("POST", "/revisions", reporter, {"reason": "Sửa số liệu", "values": {"outreach_sessions": 3}})]
    for method, step, who, body in steps:
        current = int(client.get(path(task_id), headers=reporter).headers["ETag"].strip('"'))
        stale = client.open(path(task_id, step=step), method=method, json=body,
                            headers={**who, "If-Match": f'"{current - 1}"'})
        assert stale.status_code == 412 and stale.get_json()["current_version"] == current, (step, stale.get_json())
        done = client.open(path(task_id, step=step), method=method, json=body,
                           headers={**who, "If-Match": f'"{current}"'})
        assert done.status_code == 200, (step, done.get_json())
        assert done.headers["ETag"] == f'"{ok(done)["version"]}"' and ok(done)["version"] > current
