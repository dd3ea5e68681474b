"""The inbox over HTTP on the real FerretDB: each person's unread, read and archived alerts and their counts, the
area check (a user of one commune never sees another commune's alert, whatever the directory says),
acknowledgement with If-Match (and across the levels an alert escalated to), the signed one-time links of e-mails
and SMS, and the accounting of disclosures of a case."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from shared.audit import AuditEntry
from shared.clock import Clock
from shared.envelope import Actor
from shared.repository import EventSourcedRepository
from services.notifications.adapters.ack_links import SignedAckLinks
from services.notifications.adapters.deliveries import DisclosureLog
from services.notifications.adapters.documents import AlertSnapshot, alert_list_fields
from services.notifications.adapters.inbox import InboxStateDocument
from services.notifications.domain.model import Alert
from services.notifications.domain.seed import SEED_RULES
from services.notifications.entrypoints.app import create_app
from tests.problem import check_problem

HERE, THERE, PROVINCE = "22366", "22333", "56"
UNIT, OTHER_UNIT, PROVINCIAL = f"UBX-{HERE}", f"UBX-{THERE}", "UBT-56"
RULES = {rule.category: rule for rule in SEED_RULES}
SYSTEM = Actor.system("notifications")
START = datetime(2026, 8, 3, 8, 0, tzinfo=timezone.utc)
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def app(settings):
    return create_app(settings("notifications"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def alerts(app):
    return EventSourcedRepository("notifications", Alert, AlertSnapshot, list_fields=alert_list_fields)


@pytest.fixture
def people(auth):
    def person(subject, unit=UNIT, areas=(HERE,), roles=("caseworker",)):
        return auth(subject=subject, roles=list(roles), unit=unit, areas=list(areas))
    return {"worker": person("cb-1"), "colleague": person("cb-2"), "reporter": person("bc-1", roles=("unit_reporter",)),
            "province": person("cb-tinh", areas=(PROVINCE,)), "there": person("cb-there", unit=OTHER_UNIT,
                                                                               areas=(THERE,)),
            "provincial": person("pc-1", unit=PROVINCIAL, areas=(PROVINCE,)),
            "auditor": person("tt-1", unit="TTR-56", areas=(PROVINCE,), roles=("auditor",))}


class Raiser:
    def __init__(self, repository):
        self.repository, self.count = repository, 0

    def __call__(self, unit=UNIT, category="task_assigned", area=HERE, subject="t-1", escalated_from=None) -> Alert:
        rule = RULES[category]
        self.count += 1
        alert_id = uuid.uuid4().hex
        alert = Alert.raise_for(alert_id, unit, rule, rule.event_type, {rule.subject_field: subject}, area,
                                (f"Cảnh báo {self.count}: {category}", f"Alert {self.count}: {category}"),
                                raised_at=START + timedelta(minutes=self.count), escalated_from=escalated_from)
        self.repository.save(alert, SYSTEM)
        return alert


@pytest.fixture
def raise_alert(alerts):
    return Raiser(alerts)


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [alert["id"] for alert in response.get_json()]


def counts(client, headers) -> dict:
    response = client.get("/api/v1/inbox/counts", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def state_documents() -> int:
    return InboxStateDocument.objects.count()


def test_each_person_reads_and_archives_their_units_alerts_for_themselves(client, people, raise_alert):
    worker, colleague = people["worker"], people["colleague"]
    task = raise_alert(subject="t-1")
    relapse = raise_alert(category="relapse_suspected", subject="c-1")
    other = raise_alert(category="task_due_soon", subject="t-2")
    newest_first = [other.id, relapse.id, task.id]
    assert ids(client.get("/api/v1/inbox", headers=worker)) == newest_first
    assert counts(client, worker) == {"unread": 3, "read": 0, "archived": 0, "unacknowledged": 3,
                                      "urgent_unacknowledged": 1}

    detail = client.get(f"/api/v1/inbox/{task.id}", headers=worker)
    assert detail.status_code == 200 and detail.headers["ETag"] == '"1"'
    assert detail.get_json()["state"] == "read" and detail.get_json()["title_vi"] == "Cảnh báo 1: task_assigned"
    assert ids(client.get("/api/v1/inbox?box=read", headers=worker)) == [task.id]
    assert ids(client.get("/api/v1/inbox?box=unread", headers=worker)) == [other.id, relapse.id]
    assert counts(client, worker)["unread"] == 2 and counts(client, worker)["read"] == 1

    state_path = f"/api/v1/inbox/{relapse.id}/state"
    assert client.get(state_path, headers=worker).headers["ETag"] == '"0"'
    archived = client.put(state_path, json={"state": "archived"}, headers={**worker, "If-Match": '"0"'})
    assert archived.status_code == 200 and archived.headers["ETag"] == '"1"', archived.get_json()
    assert archived.get_json() == {"alert_id": relapse.id, "state": "archived", "version": 1}
    stale = client.put(state_path, json={"state": "unread"}, headers={**worker, "If-Match": '"0"'})
    assert check_problem(stale.status_code, stale.content_type, stale.data, 412)["current_version"] == 1
    assert ids(client.get("/api/v1/inbox?box=archived", headers=worker)) == [relapse.id]
    assert counts(client, worker) == {"unread": 1, "read": 1, "archived": 1, "unacknowledged": 3,
                                      "urgent_unacknowledged": 1}
    listed = client.get("/api/v1/inbox", headers=worker).get_json()
    assert [(a["id"], a["state"]) for a in listed] == [(other.id, "unread"), (relapse.id, "archived"),
                                                      (task.id, "read")]

    back = client.put(f"/api/v1/inbox/{task.id}/state", json={"state": "unread"}, headers=worker)
    assert back.status_code == 200 and back.headers["ETag"] == '"2"'
    assert ids(client.get("/api/v1/inbox?box=unread", headers=worker)) == [other.id, task.id]
    assert counts(client, colleague)["unread"] == 3, "another person's reading is their own"
    assert ids(client.get("/api/v1/inbox?box=read", headers=colleague)) == []

    assert ids(client.get("/api/v1/inbox?urgent=true", headers=worker)) == [relapse.id]
    assert ids(client.get("/api/v1/inbox?category=task_due_soon", headers=worker)) == [other.id]
    assert ids(client.get("/api/v1/inbox?box=archived&urgent=false", headers=worker)) == []
    paged = client.get("/api/v1/inbox?page=2&page_size=2", headers=worker)
    assert ids(paged) == [task.id] and '"total": 3' in paged.headers["X-Pagination"]


def test_case_alerts_are_hidden_from_roles_that_do_not_work_cases_in_list_counts_and_detail(client, people,
                                                                                              raise_alert):
    reporter = people["reporter"]
    task, relapse = raise_alert(subject="t-1"), raise_alert(category="relapse_suspected", subject="c-1")
    assert ids(client.get("/api/v1/inbox", headers=reporter)) == [task.id]
    assert counts(client, reporter) == {"unread": 1, "read": 0, "archived": 0, "unacknowledged": 1,
                                        "urgent_unacknowledged": 0}
    assert client.get(f"/api/v1/inbox/{relapse.id}", headers=reporter).status_code == 404


@pytest.mark.parametrize("body,field", [({"state": "deleted"}, "state"), ({}, "state"),
                                        ({"state": "read", "by": "x"}, "by")])
def test_a_state_that_is_not_one_is_refused_naming_the_field(client, people, raise_alert, body, field):
    alert = raise_alert()
    answer = client.put(f"/api/v1/inbox/{alert.id}/state", json=body, headers=people["worker"])
    assert field in check_problem(answer.status_code, answer.content_type, answer.data, 422)["errors"]
    assert state_documents() == 0


def test_a_box_that_is_not_one_is_refused_naming_the_field(client, people):
    answer = client.get("/api/v1/inbox?box=spam", headers=people["worker"])
    assert "box" in check_problem(answer.status_code, answer.content_type, answer.data, 422)["errors"]


def test_a_user_of_one_commune_never_sees_another_communes_alert_whatever_the_directory_says(
        client, people, raise_alert, alerts):
    """The alert names the caller's unit (a directory that wrongly lists the unit as covering the other commune
    would address it so), but its area is the other commune: it is not in the caller's areas."""
    worker = people["worker"]
    mine = raise_alert(area=HERE, subject="t-1")
    elsewhere = raise_alert(area=THERE, subject="t-2", category="relapse_suspected")
    assert ids(client.get("/api/v1/inbox", headers=worker)) == [mine.id]
    for box in ("unread", "read", "archived", "all"):
        assert elsewhere.id not in ids(client.get(f"/api/v1/inbox?box={box}&unacknowledged=true", headers=worker))
    assert counts(client, worker) == {"unread": 1, "read": 0, "archived": 0, "unacknowledged": 1,
                                      "urgent_unacknowledged": 0}
    for method, path, body in (("GET", "", None), ("GET", "/state", None), ("PUT", "/state", {"state": "read"}),
                               ("PUT", "/acknowledgement", None)):
        answer = client.open(f"/api/v1/inbox/{elsewhere.id}{path}", method=method, json=body, headers=worker)
        check_problem(answer.status_code, answer.content_type, answer.data, 404)
    assert alerts.get(elsewhere.id).version == 1 and alerts.get(elsewhere.id).acknowledged_by is None
    assert state_documents() == 0
    assert elsewhere.id in ids(client.get("/api/v1/inbox", headers=people["province"])), \
        "the same unit's member whose areas cover the commune sees it"


def test_acknowledging_another_units_alert_is_404_and_stores_nothing(client, people, raise_alert, alerts):
    theirs = raise_alert(unit=OTHER_UNIT, area=THERE, category="relapse_suspected", subject="c-9")
    answer = client.put(f"/api/v1/inbox/{theirs.id}/acknowledgement", headers=people["province"])
    check_problem(answer.status_code, answer.content_type, answer.data, 404)
    assert alerts.get(theirs.id).version == 1 and alerts.get(theirs.id).acknowledged_by is None
    assert state_documents() == 0
    assert ids(client.get("/api/v1/inbox", headers=people["there"])) == [theirs.id]


def test_an_acknowledgement_takes_if_match_answers_the_etag_and_happens_once(client, people, raise_alert, alerts):
    worker = people["worker"]
    alert = raise_alert(category="relapse_suspected", subject="c-1")
    path = f"/api/v1/inbox/{alert.id}/acknowledgement"
    stale = client.put(path, headers={**worker, "If-Match": '"2"'})
    assert check_problem(stale.status_code, stale.content_type, stale.data, 412)["current_version"] == 1
    assert alerts.get(alert.id).acknowledged_by is None
    done = client.put(path, headers={**worker, "If-Match": '"1"'})
    assert done.status_code == 200 and done.headers["ETag"] == '"2"', done.get_json()
    assert done.get_json()["acknowledged_by"] == "cb-1" and done.get_json()["acknowledged_at"]
    events = [event for _, event in alerts.history(alert.id)]
    assert events[-1].via == "api" and events[-1].acknowledged_by == "cb-1"
    again = client.put(path, headers=people["colleague"])
    assert check_problem(again.status_code, again.content_type, again.data, 409)["acknowledged_by"] == "cb-1"
    assert ids(client.get("/api/v1/inbox?unacknowledged=true", headers=worker)) == []
    assert ids(client.get("/api/v1/inbox?box=read", headers=worker)) == [alert.id], "acting on it is reading it"

    resolved = raise_alert(category="relapse_suspected", subject="c-2")
    ended = alerts.get(resolved.id)
    ended.resolve("cases.case.closed", START + timedelta(hours=1))
    alerts.save(ended, SYSTEM)
    answer = client.put(f"/api/v1/inbox/{resolved.id}/acknowledgement", headers=worker)
    check_problem(answer.status_code, answer.content_type, answer.data, 409)


def escalated(raise_alert, alerts) -> tuple[Alert, Alert, Alert]:
    """An urgent alert of the commune nobody acknowledged, and the alerts two next levels received."""
    origin = raise_alert(category="relapse_suspected", subject="c-1")
    first = raise_alert(unit=PROVINCIAL, category="relapse_suspected", subject="c-1", escalated_from=origin.id)
    second = raise_alert(unit=OTHER_UNIT, area=HERE, category="relapse_suspected", subject="c-1",
                         escalated_from=origin.id)
    assert alerts.get(origin.id).awaiting_escalation
    return origin, first, second


def test_acknowledging_an_alert_a_next_level_received_acknowledges_the_original(client, people, raise_alert, alerts):
    origin, first, second = escalated(raise_alert, alerts)
    done = client.put(f"/api/v1/inbox/{first.id}/acknowledgement", headers=people["provincial"])
    assert done.status_code == 200, done.get_json()
    original = alerts.get(origin.id)
    assert original.acknowledged_by == "pc-1" and not original.awaiting_escalation
    assert alerts.get(first.id).acknowledged_by == "pc-1" and alerts.get(first.id).open
    assert alerts.get(second.id).resolved_reason == "acknowledged_at_origin"
    answer = client.put(f"/api/v1/inbox/{origin.id}/acknowledgement", headers=people["worker"])
    check_problem(answer.status_code, answer.content_type, answer.data, 409)


def test_acknowledging_the_original_resolves_the_alerts_the_next_levels_received(client, people, raise_alert,
                                                                                 alerts):
    origin, first, second = escalated(raise_alert, alerts)
    unrelated = raise_alert(unit=PROVINCIAL, category="relapse_suspected", subject="c-1")
    done = client.put(f"/api/v1/inbox/{origin.id}/acknowledgement", headers=people["worker"])
    assert done.status_code == 200 and not alerts.get(origin.id).awaiting_escalation
    assert [alerts.get(a.id).resolved_reason for a in (first, second)] == ["acknowledged_at_origin"] * 2
    assert alerts.get(unrelated.id).open
    assert ids(client.get("/api/v1/inbox?unacknowledged=true", headers=people["provincial"])) == [unrelated.id]


def link_for(app, alert_id: str, target: str = "member:cb-1") -> str:
    url = app.extensions["service_layer"].dependencies["ack_links"].link_for(alert_id, target)
    assert url.startswith("http://127.0.0.1:8103/api/v1/ack/")
    return url.removeprefix("http://127.0.0.1:8103")


def test_a_signed_link_shows_the_alert_on_get_acknowledges_on_post_once(app, client, raise_alert, alerts):
    alert = raise_alert(category="relapse_suspected", subject="c-1")
    path = link_for(app, alert.id)
    shown = client.get(path, headers=BROWSER)
    assert shown.status_code == 200 and shown.mimetype == "text/html", shown.data
    page = shown.get_data(as_text=True)
    assert "c-1" in page and "Cảnh báo 1" not in page and '<form method="post"' in page, \
        "the page names the case as an e-mail may, never by the in-app title"
    assert shown.headers["Cache-Control"] == "no-store" and shown.headers["Referrer-Policy"] == "no-referrer"
    assert client.get(path, headers=BROWSER).status_code == 200 and alerts.get(alert.id).acknowledged_by is None, \
        "a mail scanner's GET acknowledges nothing"

    done = client.post(path, headers=BROWSER)
    assert done.status_code == 200 and "Đã xác nhận" in done.get_data(as_text=True), done.data
    acknowledged = alerts.get(alert.id)
    assert acknowledged.acknowledged_by == "member:cb-1"
    assert [event for _, event in alerts.history(alert.id)][-1].via == "link"
    again = client.post(path, headers=BROWSER)
    assert again.status_code == 410 and again.mimetype == "text/html"
    assert client.get(path, headers=BROWSER).status_code == 410
    as_json = client.post(path)
    check_problem(as_json.status_code, as_json.content_type, as_json.data, 410)
    assert alerts.get(alert.id).version == acknowledged.version


def test_a_tampered_or_expired_link_acknowledges_nothing(app, settings, client, raise_alert, alerts):
    alert = raise_alert(category="relapse_suspected", subject="c-1")
    path = link_for(app, alert.id)
    token = path.rsplit("/", 1)[1]
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    for tampered in (flipped, token[:-2], "nonsense", token + "AAAA"):
        answer = client.post(f"/api/v1/ack/{tampered}", headers=BROWSER)
        assert answer.status_code == 404 and "không hợp lệ" in answer.get_data(as_text=True), tampered
    as_json = client.get(f"/api/v1/ack/{flipped}")
    assert "token" in check_problem(as_json.status_code, as_json.content_type, as_json.data, 404)["errors"]

    links = app.extensions["service_layer"].dependencies["ack_links"]
    yesterday = Clock()
    yesterday.now = lambda: datetime.now(timezone.utc) - timedelta(hours=73)
    old = SignedAckLinks(links.key, "http://127.0.0.1:8103", yesterday).link_for(alert.id, "member:cb-1")
    expired = client.post(old.removeprefix("http://127.0.0.1:8103"), headers=BROWSER)
    assert expired.status_code == 410 and "quá hạn" in expired.get_data(as_text=True)
    other_key = SignedAckLinks(b"k" * 32, "http://127.0.0.1:8103", Clock()).link_for(alert.id, "member:cb-1")
    assert client.post(other_key.removeprefix("http://127.0.0.1:8103")).status_code == 404
    assert alerts.get(alert.id).version == 1


def test_a_link_to_an_alert_acknowledged_already_answers_409_and_a_child_link_reaches_the_origin(
        app, client, people, raise_alert, alerts):
    alert = raise_alert(category="relapse_suspected", subject="c-1")
    path = link_for(app, alert.id)
    assert client.put(f"/api/v1/inbox/{alert.id}/acknowledgement", headers=people["worker"]).status_code == 200
    shown = client.get(path, headers=BROWSER)
    assert shown.status_code == 200 and "<form" not in shown.get_data(as_text=True)
    late = client.post(path, headers=BROWSER)
    assert late.status_code == 409 and "đã được xác nhận" in late.get_data(as_text=True)

    origin, first, second = escalated(raise_alert, alerts)
    assert client.post(link_for(app, second.id, "unit:" + OTHER_UNIT), headers=BROWSER).status_code == 200
    assert alerts.get(origin.id).acknowledged_by == "unit:" + OTHER_UNIT
    assert alerts.get(first.id).resolved_reason == "acknowledged_at_origin"


def test_the_accounting_of_disclosures_is_for_auditors_and_admins_and_reading_it_is_audited(client, people, app,
                                                                                             raise_alert):
    raise_alert(category="relapse_suspected", subject="c-1")
    log = DisclosureLog()
    for number, (to, channel) in enumerate([("member:ca-1", "sms"), ("endpoint:clinic", "webhook")]):
        log.record("c-1", to, channel, "relapse_suspected", f"a{number}", None, START + timedelta(minutes=2 + number))
    log.record("c-2", "member:ca-1", "sms", "case_opened", "a9", None, START)

    refused = client.get("/api/v1/cases/c-1/disclosures", headers=people["worker"])
    check_problem(refused.status_code, refused.content_type, refused.data, 403)
    answer = client.get("/api/v1/cases/c-1/disclosures?page_size=2", headers=people["auditor"])
    assert answer.status_code == 200, answer.get_json()
    assert [(d["to"], d["channel"], d["rule_id"]) for d in answer.get_json()] == [
        (f"unit:{UNIT}", "in_app", "relapse_suspected"), ("member:ca-1", "sms", "relapse_suspected")], \
        "the alert raised about the case is its in-app disclosure"
    assert '"total": 3' in answer.headers["X-Pagination"]
    audited = {(e.subject, e.outcome) for e in AuditEntry.objects(resource_id="c-1")}
    assert audited == {("cb-1", "denied"), ("tt-1", "allowed")}


def test_the_link_routes_need_no_token_and_the_inbox_still_does(client, raise_alert):
    assert client.get("/api/v1/inbox").status_code == 401
    assert client.put(f"/api/v1/inbox/{raise_alert().id}/acknowledgement").status_code == 401
    assert client.get("/api/v1/ack/nonsense").status_code == 404
    assert client.put("/api/v1/ack/nonsense").status_code in (401, 405)
