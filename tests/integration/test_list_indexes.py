"""Every list query is served by a declared index on MongoDB (FerretDB scans regardless; DESIGN.md section 3).

The test watches the commands the list endpoints really send (pymongo command monitoring) and checks each filter
and sort against the indexes declared in the documents' meta.
"""
import pytest
from pymongo import monitoring

from services.cases.adapters.documents import DOCUMENTS as CASES
from services.cases.domain.commands import CountCase
from services.cases.entrypoints.app import create_app as cases_app
from services.notifications.adapters.deliveries import DOCUMENTS as DELIVERIES
from services.notifications.adapters.directory import UnitDirectory
from services.notifications.adapters.documents import DOCUMENTS as NOTIFICATIONS
from services.notifications.adapters.endpoints import ENDPOINT_DOCUMENTS
from services.notifications.adapters.feed_tokens import FEED_TOKEN_DOCUMENTS
from services.notifications.entrypoints.app import create_app as notifications_app
from services.plans.adapters.documents import DOCUMENTS as PLANS
from services.plans.entrypoints.app import create_app as plans_app

LISTED = {d._get_collection_name(): d for d in (*CASES, *PLANS, *NOTIFICATIONS, *DELIVERIES, *ENDPOINT_DOCUMENTS,
                                                 *FEED_TOKEN_DOCUMENTS)}


class Recorder(monitoring.CommandListener):
    def __init__(self):
        self.commands = []

    def started(self, event):
        if event.command_name in ("find", "count", "aggregate"):
            self.commands.append((event.command_name, event.command.get(event.command_name), event.command))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


@pytest.fixture(scope="module")
def recorder():
    listener = Recorder()
    monitoring.register(listener)
    return listener


def leading_fields(document) -> set[str]:
    leads = {"_id"}
    for spec in document._meta.get("index_specs", []):
        leads.add(spec["fields"][0][0])
    return leads


def filter_and_sort(name, command):
    if name == "aggregate":
        match = next((stage["$match"] for stage in command["pipeline"] if "$match" in stage), {})
        return match, {}
    return command.get("filter") or command.get("query") or {}, command.get("sort") or {}


def test_list_queries_lead_with_an_indexed_field(settings, recorder, auth):
    headers = auth(subject="lister", roles=["caseworker", "plan_coordinator"], unit="UBX-22366", areas=["56"])
    calls = {cases_app: ["/api/v1/cases", "/api/v1/cases?commune_code=22366", "/api/v1/cases?stage=tested",
                         "/api/v1/cases?assigned_worker=w1"],
             plans_app: ["/api/v1/units", "/api/v1/plans", "/api/v1/hotspots",
                         "/api/v1/hotspots?status=identified&kind=point", "/api/v1/hotspots?task_id=t1",
                         "/api/v1/hotspots.geojson?commune_code=22366"],
             notifications_app: ["/api/v1/inbox", "/api/v1/inbox?unacknowledged=true",
                                 "/api/v1/inbox?box=unread&urgent=true&category=case_opened", "/api/v1/inbox/counts"]}
    service = {cases_app: "cases", plans_app: "plans", notifications_app: "notifications"}
    for factory, paths in calls.items():
        client = factory(settings(service[factory])).test_client()
        recorder.commands.clear()
        for path in paths:
            assert client.get(path, headers=headers).status_code == 200, path
        checked = 0
        for name, collection, command in recorder.commands:
            if collection not in LISTED:
                continue
            query, sort = filter_and_sort(name, command)
            keys = [k for k in query if not k.startswith("$")] or list(sort)
            if not keys:
                continue
            assert any(k in leading_fields(LISTED[collection]) for k in keys), (collection, query, sort)
            checked += 1
        assert checked >= len(paths), recorder.commands


def test_the_notification_admin_lists_and_the_agency_feed_lead_with_an_indexed_field(settings, recorder, auth):
    admin = auth(subject="admin-1", roles=["admin"], unit="UBND-T56", areas=["56"])
    client = notifications_app(settings("notifications")).test_client()
    UnitDirectory().keep("CAX-22366", "commune_police", ["22366"], 1)
    token = client.post("/api/v1/agencies/CAX-22366/feed-token", headers=admin).get_json()["token"]
    paths = ["/api/v1/endpoints?unit_code=CAX-22366", "/api/v1/deliveries/dead-letters",
             f"/api/v1/agencies/CAX-22366/alerts.atom?token={token}"]
    recorder.commands.clear()
    for path in paths:
        assert client.get(path, headers=admin).status_code == 200, path
    checked = set()
    for name, collection, command in recorder.commands:
        if collection not in LISTED:
            continue
        query, sort = filter_and_sort(name, command)
        keys = [k for k in query if not k.startswith("$")] or list(sort)
        assert any(k in leading_fields(LISTED[collection]) for k in keys), (collection, query, sort)
        checked.add(collection)
    assert {"endpoints", "deliveries", "feed_token_generations", "alert_snapshots"} <= checked, recorder.commands


def test_a_province_wide_list_read_back_by_opening_day_leads_with_an_indexed_field(settings, recorder, auth):
    """With the case counts above the setting (0 here), the list asks the snapshots by `opened_on` days."""
    headers = auth(subject="lister", roles=["caseworker"], unit="UBX-22366", areas=["56"])
    app = cases_app(settings("cases", CASE_LIST_COUNTED_ABOVE="0"))
    client = app.test_client()
    opened = client.post("/api/v1/cases", headers=auth(subject="ca", roles=["police_liaison"], unit="CAX-22366",
                                                       areas=["22366"]), json={
        "person": {"full_name": "Trần Văn Bảy", "birth_date": "1990-04-05", "sex": "male"},
        "commune_code": "22366", "opened_on": "2026-08-03"})
    assert opened.status_code == 201, opened.get_json()
    app.extensions["service_layer"].handle(CountCase(opened.get_json()["id"]))
    recorder.commands.clear()
    for path in ("/api/v1/cases", "/api/v1/cases?after=2026-08-04/x", "/api/v1/cases/counts"):
        assert client.get(path, headers=headers).status_code == 200, path
    asked = [filter_and_sort(name, command)[0] for name, collection, command in recorder.commands
             if collection == "case_snapshots"]
    assert asked and all("opened_on" in query and "opened_on" in leading_fields(LISTED["case_snapshots"])
                         for query in asked), asked
