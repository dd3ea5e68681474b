"""The case counts projection and the province-wide list read back by opening day, against the real FerretDB. The
consumer's part (the `cases.counts` queue) is played by handling CountCase, or CountEachCase for a lot, as it does."""
import json
import threading

import pytest

from shared.audit import AuditEntry
from services.cases.adapters.counts import CaseCounts
from services.cases.adapters.documents import CaseCountMember, CaseCountRow
from services.cases.domain.commands import CountCase, CountEachCase, RebuildCaseCounts
from services.cases.domain.counts import Placement
from services.cases.entrypoints.app import create_app

COMMUNES = ("22366", "22333")
OPENED = ("2026-11-20", "2026-11-20", "2026-11-02", "2026-10-15", "2026-09-30", "2026-09-01", "2026-08-03",
          "2026-08-03", "2026-05-10")
DECISION = {"decision_number": "12/QĐ-UBND", "decision_date": "2026-11-21", "issuing_authority": "UBND xã",
            "reason": "Cai nghiện tự nguyện tại cộng đồng", "document_ref": "qd-12", "term_months": 6}


def counted_app(settings, above):
    return create_app(settings("cases", CASE_LIST_COUNTED_ABOVE=str(above)))


@pytest.fixture
def province(auth):
    return auth(subject="tinh", roles=["police_liaison", "caseworker"], unit="CA-TINH", areas=["56"])


@pytest.fixture
def opened(settings, auth):
    """Nine cases in two communes, opened over half a year, each counted (twice: a redelivery changes nothing)."""
    app = counted_app(settings, 4)
    client, cases = app.test_client(), []
    for number, opened_on in enumerate(OPENED):
        commune = COMMUNES[number % 2]
        officer = auth(subject=f"ca-{commune}", roles=["police_liaison", "caseworker"], unit=f"CAX-{commune}",
                       areas=[commune])
        response = client.post("/api/v1/cases", headers=officer, json={
            "person": {"full_name": f"Nguyễn Văn {number}", "birth_date": "1990-04-05", "sex": "male",
                       "national_id": f"0560900{number:05d}"},
            "commune_code": commune, "opened_on": opened_on})
        assert response.status_code == 201, response.get_json()
        cases.append(response.get_json())
        for _ in range(2):
            app.extensions["service_layer"].handle(CountCase(cases[-1]["id"]))
    return app, cases


def listed(client, headers, **query):
    response = client.get("/api/v1/cases", headers=headers, query_string={"page_size": 4, **query})
    assert response.status_code == 200, response.get_json()
    return response


def test_counts_by_commune_and_stage_follow_the_cases(opened, province, auth):
    app, cases = opened
    client = app.test_client()
    counts = client.get("/api/v1/cases/counts", headers=province).get_json()
    assert counts["total"] == 9 and counts["stages"] == {"user_management": 9}
    assert {c["commune_code"]: c["total"] for c in counts["communes"]} == {"22366": 5, "22333": 4}
    officer = auth(subject="ca-22366", roles=["police_liaison", "caseworker"], unit="CAX-22366", areas=["22366"])
    moved = client.post(f"/api/v1/cases/{cases[0]['id']}/transitions", headers=officer, json={
        "transition": "register_community_rehab", "effective_on": "2026-11-21", "decision": DECISION})
    assert moved.status_code == 200, moved.get_json()
    app.extensions["service_layer"].handle(CountEachCase([cases[0]["id"], cases[1]["id"], "no-such-case"]))
    mine = client.get("/api/v1/cases/counts", headers=officer).get_json()
    assert mine["total"] == 5 and mine["stages"] == {"community_rehab": 1, "user_management": 4}
    assert [c["commune_code"] for c in mine["communes"]] == ["22366"], "only the caller's areas"
    assert AuditEntry.objects(subject="ca-22366", action="count", resource_type="case_counts").count() == 1
    refused = client.get("/api/v1/cases/counts", headers=auth(roles=["plan_coordinator"], areas=["56"]))
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"


@pytest.mark.parametrize("size", [1, 4])
def test_a_large_list_reads_back_by_opening_day_in_the_same_order_and_total_as_counting(opened, settings,
                                                                                          province, size):
    """Pages of one case put a page's end between two cases opened the same day (keyset ties by id)."""
    app, cases = opened
    fast, counted = app.test_client(), counted_app(settings, 1000).test_client()
    pages = {}
    for name, client in (("by opening day", fast), ("counted", counted)):
        ids, after = [], None
        for page in range(1, 9 // size + 2):
            by_page = listed(client, province, page=page, page_size=size)
            assert json.loads(by_page.headers["X-Pagination"])["total"] == 9
            ids += [c["id"] for c in by_page.get_json()]
        assert listed(client, province, page=20, page_size=size).get_json() == [], "past the end: no page"
        keyset, after = [], None
        while True:
            response = listed(client, province, page_size=size, **({"after": after} if after else {}))
            keyset += [c["id"] for c in response.get_json()]
            after = response.headers.get("X-Next-After")
            if after is None:
                break
        assert keyset == ids, name
        pages[name] = ids
    assert pages["by opening day"] == pages["counted"]
    assert sorted(pages["counted"]) == sorted(c["id"] for c in cases)
    newest_first = [c["opened_on"] for c in fast.get("/api/v1/cases", headers=province,
                                                     query_string={"page_size": 9}).get_json()]
    assert newest_first == sorted(OPENED, reverse=True)
    staged = listed(fast, province, commune_code="22333")
    assert json.loads(staged.headers["X-Pagination"])["total"] == 4, "4 cases: counted, not read by day"


def test_a_bad_position_is_refused_naming_the_field(opened, province):
    app, _ = opened
    for after in ("yesterday", "2026-11-20/", "2026-11-20/a b", "2026-13-01/abc", "0000-00-00/abc"):
        response = app.test_client().get("/api/v1/cases", headers=province, query_string={"after": after})
        assert response.status_code == 422 and "after" in json.dumps(response.get_json()["errors"]), after
    unreal = listed(app.test_client(), province, after="2026-09-31/zzz", page_size=9).get_json()
    assert [c["opened_on"] for c in unreal] == ["2026-09-30", "2026-09-01", "2026-08-03", "2026-08-03",
                                                "2026-05-10"], "a day past its month's end sorts after its last day"


def test_a_placement_left_half_done_is_finished_by_recounting(opened):
    app, cases = opened
    case_id = cases[1]["id"]
    CaseCountMember._get_collection().update_one(
        {"_id": case_id}, {"$set": {"commune_code": "22366", "moving_from": json.dumps(
            {"commune_code": "22333", "stage": "user_management", "opened_on": "2026-11-20"})}})
    CaseCountRow._get_collection().update_one({"_id": "22366"}, {"$set": {"stages": '{"user_management": 6}'}})
    app.extensions["service_layer"].handle(CountCase(case_id))
    rows = CaseCounts().rows(COMMUNES)
    assert (rows["22366"].total(), rows["22333"].total()) == (5, 4)
    assert "moving_from" not in CaseCountMember._get_collection().find_one({"_id": case_id})
    CaseCounts().place(case_id, Placement("22366", "user_management", "2026-11-20"))
    rows = CaseCounts().rows(COMMUNES)
    assert (rows["22366"].total(), rows["22333"].total()) == (6, 3), "moved between communes by one each"
    assert CaseCounts().rebuild(COMMUNES) == 9
    rows = CaseCounts().rows(COMMUNES)
    assert (rows["22366"].total(), rows["22333"].total()) == (5, 4), "rebuilt from the snapshots"


def test_counts_of_a_system_that_had_cases_before_them_are_not_used_until_rebuilt(opened, province, settings):
    app, _ = opened
    CaseCountRow._get_collection().delete_many({})
    CaseCountMember._get_collection().delete_many({})
    CaseCountMember._get_collection().insert_one({"_id": "old", "commune_code": "22366", "stage": "closed",
                                                  "opened_on": "2020-01-01"})
    CaseCounts().place("old-too", Placement("22366", "closed", "2020-01-01"))
    restarted = counted_app(settings, 1).test_client()
    incomplete = restarted.get("/api/v1/cases/counts", headers=province)
    assert incomplete.status_code == 503 and incomplete.mimetype == "application/problem+json", "not a false 0"
    listed_now = listed(restarted, province)
    assert json.loads(listed_now.headers["X-Pagination"])["total"] == 9, "counted from the snapshots meanwhile"
    assert app.extensions["service_layer"].handle(RebuildCaseCounts()) == 9
    assert restarted.get("/api/v1/cases/counts", headers=province).get_json()["total"] == 9
    assert json.loads(listed(restarted, province).headers["X-Pagination"])["total"] == 9


def test_a_row_gone_wrong_is_recounted_from_its_members_by_the_next_day(opened):
    """A row a lost placement left wrong (a dead-lettered CountCase, say) is recounted the first time a count
    changes it on a later day."""
    CaseCountRow._get_collection().update_one({"_id": "22333"}, {"$set": {
        "stages": '{"user_management": 40}', "recounted_on": "2026-01-01"}})
    CaseCounts().place("arriving", Placement("22333", "user_management", "2026-11-25"))
    assert CaseCounts().rows(COMMUNES)["22333"].stages == {"user_management": 5}
    CaseCountRow._get_collection().update_one({"_id": "22333"}, {"$set": {"stages": '{"user_management": 40}'}})
    CaseCounts().place("arriving-too", Placement("22333", "user_management", "2026-11-25"))
    assert CaseCounts().rows(COMMUNES)["22333"].stages == {"user_management": 41}, "once a day, not each time"


def test_processes_starting_together_on_a_new_system_all_start(settings):
    """Every API worker and the worker process mark a new system's counts complete at start: the upserts that lose
    the race must not fail (one failing worker stops its whole gunicorn)."""
    counted_app(settings, 4)
    failures = []
    for _ in range(10):
        CaseCountRow._get_collection().delete_many({})
        barrier = threading.Barrier(6)

        def start():
            barrier.wait()
            try:
                CaseCounts().start()
            except Exception as error:  # noqa: BLE001 (any failure is the finding)
                failures.append(error)

        threads = [threading.Thread(target=start) for _ in range(6)]
        [thread.start() for thread in threads]
        [thread.join() for thread in threads]
        assert CaseCounts().complete()
    assert failures == []
