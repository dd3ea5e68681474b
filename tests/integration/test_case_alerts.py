"""The steps of an alert about a case, published by the notifications service to the real RabbitMQ, noted by the
cases consumer on the real FerretDB in the case's alert log (never on the case's stream): each step once on the
case's timeline however often it is delivered, the police notification of a transfer read on the case as pending,
overdue, then acknowledged late, and a caller's write from the version they read untouched by the steps noted
in between."""
import dataclasses
import uuid
from datetime import datetime, timezone

import pytest
from kombu import Connection

from shared.bus import events_exchange
from shared.envelope import Actor, StreamRef, envelope_from_message, new_envelope
from shared.eventstore import PendingEvent, StoredEvent
from services.cases.adapters.documents import CaseAlertLogSnapshot
from services.cases.domain.alerts import NOTED_TYPES
from services.cases.domain.commands import NoteAlertStep, NoteAlertSteps, RecordUnit
from services.cases.entrypoints.app import create_app
from services.cases.entrypoints.consumers import ALERTS, handlers
from tests.integration.busutil import RunningConsumer, queue_messages
from tests.support import wait_for

HERE, THERE = "22366", "22333"
POLICE_THERE = f"CAX-{THERE}"
NOTIFIER = Actor("notifications-worker", "system")


@pytest.fixture
def app(settings):
    return create_app(settings("cases"))


@pytest.fixture
def users(auth):
    return {"here": auth(subject="ca-here", roles=["police_liaison"], unit=f"CAX-{HERE}", areas=[HERE]),
            "caseworker": auth(subject="cb-here", roles=["caseworker"], unit=f"UBX-{HERE}", areas=[HERE]),
            "clinic": auth(subject="bs-here", roles=["health_worker"], unit="PKMT-NT", areas=[HERE])}


def transferred_case(client, headers, full_name: str = "Đặng Văn Tín") -> tuple[dict, str, str]:
    """A case under Law 120/2025 whose person moves to THERE: the transfer, with its police notice deadline."""
    opened = client.post("/api/v1/cases", headers=headers, json={
        "person": {"full_name": full_name, "birth_date": "1984-03-03", "sex": "male"},
        "commune_code": HERE, "opened_on": "2026-08-03"})
    assert opened.status_code == 201, opened.get_json()
    case = opened.get_json()
    moved = client.post(f"/api/v1/cases/{case['id']}/transfers", headers=headers,
                        json={"to_commune": THERE, "reason": "chuyển nơi cư trú"})
    assert moved.status_code == 201, moved.get_json()
    share_id, share = next(iter(moved.get_json()["shares"].items()))
    return case, share_id, share["notify_police_by"]


def alert_message(step: str, version: int, data: dict, alert_id: str = "a1", actor: Actor = NOTIFIER) -> dict:
    return new_envelope(event_type=f"notifications.alert.{step}", schema_version=1, producer="notifications",
                        stream=StreamRef("alert", f"alert-{alert_id}", version), area_code=THERE, actor=actor,
                        data=data).to_message()


def publish(amqp_url: str, *messages: dict) -> None:
    exchange = events_exchange("notifications")
    with Connection(amqp_url) as connection:
        producer = connection.Producer()
        for message in messages:
            producer.publish(message, exchange=exchange, routing_key=message["type"], serializer="json",
                             delivery_mode=2, declare=[exchange])


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


def read(client, headers, case_id) -> dict:
    answer = client.get(f"/api/v1/cases/{case_id}", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def read_with_etag(client, headers, case_id) -> tuple[dict, str]:
    answer = client.get(f"/api/v1/cases/{case_id}", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json(), answer.headers["ETag"]


def alert_entries(client, headers, case_id) -> list[dict]:
    answer = client.get(f"/api/v1/cases/{case_id}/history", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return [entry for entry in answer.get_json() if "alert" in entry]


def noted_in_log(case_id: str) -> int:
    """The steps noted in the case's alert log: what the consumer did (the lots it takes together keep no
    handled marks; the log's own ids make each step count once)."""
    return StoredEvent.objects(stream_id=f"case_alerts-{case_id}").count()


def test_each_step_is_noted_once_and_the_police_notification_goes_pending_overdue_acknowledged_late(
        app, users, amqp_url):
    client, bus = app.test_client(), app.extensions["service_layer"]
    case, share_id, notify_police_by = transferred_case(client, users["here"])
    about = {"alert_id": "a1", "recipient_unit": POLICE_THERE, "category": "transfer_requested",
             "subject_type": "case", "subject_id": case["id"]}
    raised = alert_message("raised", 1, {**about, "urgent": True, "area_code": THERE, "title_vi": "Chuyển đến",
                                         "title_en": "Moved in", "raised_at": now(), "ack_required": True,
                                         "ack_due_at": notify_police_by, "escalated_from": None})
    committee = alert_message("raised", 1, {**about, "alert_id": "a2", "recipient_unit": f"UBX-{THERE}",
                                            "urgent": True, "title_vi": "t", "title_en": "t", "raised_at": now()},
                              alert_id="a2")
    not_a_case = alert_message("raised", 1, {**about, "alert_id": "a3", "category": "task_overdue",
                                             "subject_type": "plan_task", "subject_id": case["id"], "urgent": False,
                                             "title_vi": "t", "title_en": "t", "raised_at": now()}, alert_id="a3")
    escalated = alert_message("escalated", 2, {**about, "level": 1, "round": 1, "to_units": ["CA-T56"],
                                               "to_unit_heads": False, "deadline_missed": True,
                                               "escalated_at": now()})
    officer = Actor("ca-there", "police_liaison", POLICE_THERE)
    acknowledged = alert_message("acknowledged", 3, {**about, "acknowledged_by": "ca-there", "via": "in_app",
                                                     "acknowledged_at": now(), "late": True}, actor=officer)
    subscription = dataclasses.replace(ALERTS, queue=f"test.cases-alerts.{uuid.uuid4().hex[:8]}")
    noted = lambda count: noted_in_log(case["id"]) == count  # noqa: E731
    version = read_with_etag(client, users["here"], case["id"])[1]
    with RunningConsumer(amqp_url, subscription, handlers(bus)[ALERTS]):
        publish(amqp_url, raised, raised, committee, not_a_case)
        wait_for(lambda: noted(2), 20, message="the raised alerts noted")
        pending = read(client, users["here"], case["id"])["police_notification"]
        assert (pending["alert_id"], pending["recipient_unit"], pending["share_id"]) == ("a1", POLICE_THERE, share_id)
        assert datetime.fromisoformat(pending["due_at"]) == datetime.fromisoformat(notify_police_by)
        assert not pending["overdue"] and pending["acknowledged_at"] is None and not pending["resolved"]
        assert [a["alert_id"] for a in read(client, users["here"], case["id"])["alerts"]] == ["a1"]

        publish(amqp_url, escalated, escalated)
        wait_for(lambda: noted(3), 20, message="the escalation noted")
        overdue = read(client, users["here"], case["id"])["police_notification"]
        assert overdue["overdue"] and overdue["escalation_level"] == 1 and overdue["acknowledged_at"] is None

        publish(amqp_url, acknowledged, acknowledged)
        wait_for(lambda: noted(4), 20, message="the acknowledgement noted")
    assert bus.handle(NoteAlertStep(_envelope(escalated))) == 0, "a step handled again adds nothing"
    done = read(client, users["here"], case["id"])
    late = done["police_notification"]
    assert late["acknowledged_late"] and not late["overdue"] and late["acknowledged_by"] == "ca-there"
    assert datetime.fromisoformat(late["due_at"]) == datetime.fromisoformat(
        done["shares"][share_id]["notify_police_by"]), "the alert's deadline is the transfer's notify_police_by"
    assert done["alerts"] == []

    steps = alert_entries(client, users["caseworker"], case["id"])
    assert [(e["alert"]["alert_id"], e["alert"]["step"]) for e in steps] == [
        ("a1", "raised"), ("a2", "raised"), ("a1", "escalated"), ("a1", "acknowledged")]
    assert steps[0]["type"] == "cases.case.alert_noted" and steps[0]["alert"]["category"] == "transfer_requested"
    assert steps[2]["alert"]["level"] == 1 and steps[2]["alert"]["deadline_missed"] is True
    assert steps[3]["actor"]["id"] == "ca-there" and steps[3]["alert"]["by"] == "ca-there"
    assert steps[3]["alert"]["late"] is True
    noted = StoredEvent.objects(stream_id=f"case_alerts-{case['id']}", type__in=list(NOTED_TYPES))
    assert noted.count() == 4 and StoredEvent.objects(stream_id=f"case_alerts-{case['id']}").count() == 4
    assert PendingEvent.objects(event_id__in=[e.event_id for e in noted]).count() == 0, "never published"
    assert StoredEvent.objects(stream_id=f"case-{case['id']}", type__in=list(NOTED_TYPES)).count() == 0
    assert read_with_etag(client, users["here"], case["id"])[1] == version, "the case's version never moved"
    assert CaseAlertLogSnapshot.objects.get(id=case["id"]).version == 4
    assert queue_messages(amqp_url, subscription.dead_letter_name) == []


def test_a_methadone_alert_is_on_the_clinic_s_timeline_and_not_the_police_s(app, users, amqp_url):
    client, bus = app.test_client(), app.extensions["service_layer"]
    case, _, _ = transferred_case(client, users["here"])
    message = alert_message("raised", 1, {
        "alert_id": "m1", "recipient_unit": "PKMT-NT", "category": "methadone_termination_proposed",
        "subject_type": "case", "subject_id": case["id"], "urgent": False, "title_vi": "t", "title_en": "t",
        "raised_at": now()}, alert_id="m1")
    assert bus.handle(NoteAlertStep(_envelope(message))) == 1
    assert alert_entries(client, users["here"], case["id"]) == []
    assert alert_entries(client, users["clinic"], case["id"]) == [], "no treatment relationship yet"
    bus.handle(RecordUnit("PKMT-NT", "health_facility", 1))
    assert client.post(f"/api/v1/cases/{case['id']}/consents", headers=users["here"], json={
        "to_unit": "PKMT-NT", "sections": ["clinical"], "purpose": "treatment", "reference": "PĐY-09/2026",
        "valid_from": "2026-08-03"}).status_code == 201
    assert [e["type"] for e in alert_entries(client, users["clinic"], case["id"])] == ["cases.ost.alert_noted"]


def test_an_alert_about_a_case_this_service_does_not_keep_changes_nothing(app):
    bus = app.extensions["service_layer"]
    message = alert_message("resolved", 1, {"alert_id": "a9", "recipient_unit": POLICE_THERE,
                                            "category": "transfer_requested", "subject_type": "case",
                                            "subject_id": "no-such-case", "reason": "x", "resolved_at": now()})
    assert bus.handle(NoteAlertStep(_envelope(message))) == 0
    assert StoredEvent.objects(stream_id="case-no-such-case").count() == 0
    assert StoredEvent.objects(stream_id="case_alerts-no-such-case").count() == 0
    assert CaseAlertLogSnapshot.objects(id="no-such-case").count() == 0


def _envelope(message: dict):
    return envelope_from_message(message, ALERTS.contracts)


def test_a_write_from_the_version_read_succeeds_though_alert_steps_were_noted_in_between(app, users, amqp_url):
    """The walking skeleton's race: the alert about a step of the case arrives moments after it, between the
    caller's read and their next write. The steps are noted beside the case, so the If-Match of the version the
    caller read still holds and the write is no conflict."""
    client, bus = app.test_client(), app.extensions["service_layer"]
    case, _, notify_police_by = transferred_case(client, users["here"])
    _, etag = read_with_etag(client, users["caseworker"], case["id"])
    about = {"alert_id": "r1", "recipient_unit": POLICE_THERE, "category": "transfer_requested",
             "subject_type": "case", "subject_id": case["id"]}
    raised = alert_message("raised", 1, {**about, "urgent": True, "title_vi": "t", "title_en": "t",
                                         "raised_at": now(), "ack_required": True, "ack_due_at": notify_police_by},
                           alert_id="r1")
    escalated = alert_message("escalated", 2, {**about, "level": 1, "round": 1, "to_units": ["CA-T56"],
                                               "to_unit_heads": False, "deadline_missed": True, "escalated_at": now()},
                              alert_id="r1")
    subscription = dataclasses.replace(ALERTS, queue=f"test.cases-alerts.{uuid.uuid4().hex[:8]}")
    with RunningConsumer(amqp_url, subscription, handlers(bus)[ALERTS]):
        publish(amqp_url, raised, escalated)
        wait_for(lambda: noted_in_log(case["id"]) == 2, 20, message="the alert steps noted")
    between, etag_between = read_with_etag(client, users["caseworker"], case["id"])
    assert etag_between == etag, "an alert step does not move the case's version"
    assert between["police_notification"]["alert_id"] == "r1" and between["police_notification"]["overdue"]

    moved = client.post(f"/api/v1/cases/{case['id']}/transitions", headers={**users["caseworker"], "If-Match": etag},
                        json={"transition": "register_community_rehab", "effective_on": "2026-08-04", "decision": {
                            "decision_number": "5/QĐ", "decision_date": "2026-08-04",
                            "issuing_authority": "UBND phường", "term_months": 6}})
    assert moved.status_code == 200, moved.get_json()
    assert moved.headers["ETag"] == f'"{int(etag.strip(chr(34))) + 1}"'
    assert moved.get_json()["stage"] == "community_rehab"
    assert moved.get_json()["police_notification"]["alert_id"] == "r1", "the written case is shown with its alerts"
    assert bus.handle(NoteAlertStep(_envelope(escalated))) == 0
    assert read_with_etag(client, users["caseworker"], case["id"])[1] == moved.headers["ETag"]

    history = client.get(f"/api/v1/cases/{case['id']}/history", headers=users["caseworker"]).get_json()
    assert [e["type"] for e in history] == [
        "cases.case.opened", "cases.case.transfer_requested", "cases.case.alert_noted", "cases.case.alert_noted",
        "cases.case.voluntary_rehab_started"], "the alert steps merged into the case's timeline by time"
    assert [e["version"] for e in history] == [1, 2, None, None, 3]
    assert [e["occurred_at"] for e in history] == sorted(e["occurred_at"] for e in history)


def test_steps_taken_together_are_noted_as_one_at_a_time_would_and_once(app, users):
    """The consumer's lot in one `NoteAlertSteps`: each case's steps in order, a step repeated in the lot or
    handled before adds nothing, steps about no case or a case not kept are left alone."""
    client, bus = app.test_client(), app.extensions["service_layer"]
    first, _, due = transferred_case(client, users["here"])
    second, _, _ = transferred_case(client, users["here"], full_name="Lê Thị Hoa")
    about = lambda case, alert_id: {"alert_id": alert_id, "recipient_unit": POLICE_THERE,  # noqa: E731
                                    "category": "transfer_requested", "subject_type": "case", "subject_id": case}
    raised = lambda case, alert_id: alert_message("raised", 1, {  # noqa: E731
        **about(case, alert_id), "urgent": True, "title_vi": "t", "title_en": "t", "raised_at": now(),
        "ack_required": True, "ack_due_at": due}, alert_id=alert_id)
    escalated = alert_message("escalated", 2, {**about(first["id"], "b1"), "level": 1, "round": 1,
                                               "to_units": ["CA-T56"], "to_unit_heads": False,
                                               "deadline_missed": True, "escalated_at": now()}, alert_id="b1")
    officer = Actor("ca-there", "police_liaison", POLICE_THERE)
    acknowledged = alert_message("acknowledged", 3, {**about(first["id"], "b1"), "acknowledged_by": "ca-there",
                                                     "via": "in_app", "acknowledged_at": now(), "late": True},
                                 actor=officer, alert_id="b1")
    raised_first = raised(first["id"], "b1")
    lot = [raised_first, raised_first, raised(second["id"], "b2"), escalated,
           raised("no-such-case", "b3"), acknowledged]
    assert bus.handle(NoteAlertSteps([_envelope(m) for m in lot])) == 4
    assert [(e["alert"]["alert_id"], e["alert"]["step"], e["actor"]["id"])
            for e in alert_entries(client, users["caseworker"], first["id"])] == [
        ("b1", "raised", NOTIFIER.id), ("b1", "escalated", NOTIFIER.id), ("b1", "acknowledged", "ca-there")]
    causes = [e.causation_id for e in StoredEvent.objects(stream_id=f"case_alerts-{first['id']}").order_by("version")]
    assert causes == [lot[0]["id"], escalated["id"], acknowledged["id"]], "each noted step names its own cause"
    noted = StoredEvent.objects(stream_id__in=[f"case_alerts-{first['id']}", f"case_alerts-{second['id']}"])
    assert PendingEvent.objects(event_id__in=[e.event_id for e in noted]).count() == 0, "never published"
    assert [e["alert"]["alert_id"] for e in alert_entries(client, users["caseworker"], second["id"])] == ["b2"]
    assert read(client, users["here"], first["id"])["police_notification"]["acknowledged_late"]
    assert StoredEvent.objects(stream_id="case_alerts-no-such-case").count() == 0

    assert bus.handle(NoteAlertSteps([_envelope(m) for m in lot])) == 0, "the lot delivered again adds nothing"
    assert bus.handle(NoteAlertStep(_envelope(escalated))) == 0
    assert (noted_in_log(first["id"]), noted_in_log(second["id"])) == (3, 1)


def test_a_log_another_worker_wrote_meanwhile_has_its_steps_noted_one_at_a_time(app, users, monkeypatch):
    """Two workers note steps of one case at once: the lot's save of that log meets the other's append, and its
    steps are then noted on the log as it is, none lost, none twice."""
    client, bus = app.test_client(), app.extensions["service_layer"]
    case, _, due = transferred_case(client, users["here"])
    about = {"alert_id": "c1", "recipient_unit": POLICE_THERE, "category": "transfer_requested",
             "subject_type": "case", "subject_id": case["id"]}
    raised = alert_message("raised", 1, {**about, "urgent": True, "title_vi": "t", "title_en": "t",
                                         "raised_at": now(), "ack_required": True, "ack_due_at": due}, alert_id="c1")
    escalated = alert_message("escalated", 2, {**about, "level": 1, "round": 1, "to_units": ["CA-T56"],
                                               "to_unit_heads": False, "deadline_missed": True,
                                               "escalated_at": now()}, alert_id="c1")
    resolved = alert_message("resolved", 3, {**about, "reason": "cases.case.transfer_accepted",
                                             "resolved_at": now()}, alert_id="c1")
    alert_logs = bus.dependencies["alert_logs"]
    save_many, other_worker = alert_logs.save_many, []

    def after_the_other_worker(aggregates, *args, **kwargs):
        if not other_worker:
            other_worker.append(bus.handle(NoteAlertStep(_envelope(escalated))))
        return save_many(aggregates, *args, **kwargs)

    monkeypatch.setattr(alert_logs, "save_many", after_the_other_worker)
    assert bus.handle(NoteAlertSteps([_envelope(m) for m in (raised, escalated, resolved)])) == 2
    assert other_worker == [1]
    steps = [e["alert"]["step"] for e in alert_entries(client, users["caseworker"], case["id"])]
    assert sorted(steps) == ["escalated", "raised", "resolved"], steps
    assert read(client, users["here"], case["id"])["police_notification"]["resolved"]
