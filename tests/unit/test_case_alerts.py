"""Steps of alerts about a case, noted in the case's alert log (a stream of its own, never the case's): once each,
in any order, and the police notification of a transfer (Law 120/2025) derived from them and the case's
transfers."""
import copy
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from shared.envelope import Actor, Envelope, StreamRef
from shared.errors import ConcurrencyConflict

from services.cases.domain.access import CLINICAL, LEGAL, section_of
from services.cases.domain.alerts import NOTED_TYPES, AlertNoted, AlertStep, CaseAlertLog
from services.cases.domain.commands import NoteAlertStep
from services.cases.domain.model import Case
from services.cases.service_layer.alerts import alert_step, note_alert_step
from services.cases.service_layer.unit_of_work import CaseUnitOfWork

MOVED = datetime(2026, 8, 3, 8, 0, tzinfo=timezone.utc)
DUE = MOVED + timedelta(hours=24)


def transferring_case() -> Case:
    case = Case.open("c1", "22366-2026-C1", "P1", "22366", date(2026, 8, 1), "user_management", "law-120-2025")
    case.share("s1", "transfer", "officer", MOVED, "chuyển nơi cư trú", ("moving_notice_24h",), to_commune="22333")
    case.pending.clear()
    return case


def raised(alert_id="a1", category="transfer_requested", unit="CAX-22333", ack_required=True, **more) -> AlertStep:
    return AlertStep(step_id=f"{alert_id}-raised", step="raised", alert_id=alert_id, recipient_unit=unit, at=MOVED,
                     category=category, urgent=True, ack_required=ack_required,
                     ack_due_at=DUE if ack_required else None, **more)


def escalated(alert_id="a1", missed=True) -> AlertStep:
    return AlertStep(step_id=f"{alert_id}-escalated", step="escalated", alert_id=alert_id, recipient_unit="CAX-22333",
                     at=DUE + timedelta(minutes=1), category="transfer_requested", level=1, round=1,
                     to_units=("CA-T56",), deadline_missed=missed)


def acknowledged(alert_id="a1", at=DUE + timedelta(hours=2), late=True) -> AlertStep:
    return AlertStep(step_id=f"{alert_id}-acknowledged", step="acknowledged", alert_id=alert_id,
                     recipient_unit="CAX-22333", at=at, category="transfer_requested", by="officer-2", via="in_app",
                     late=late)


def noted(*steps: AlertStep, case: Case | None = None) -> CaseAlertLog:
    case = case or transferring_case()
    log = CaseAlertLog(case.id)
    for step in steps:
        log.note(step, case.shares)
    return log


def test_a_step_is_noted_once_however_often_it_is_heard():
    log = noted(raised(), raised())
    assert [e.type for e in log.pending] == ["cases.case.alert_noted"] and log.version == 1
    assert log.alerts["a1"]["noted"] == ["a1-raised"] and log.alerts["a1"]["share_id"] == "s1"


def test_the_alert_log_is_a_stream_of_its_own_and_the_case_holds_no_alerts():
    assert CaseAlertLog.stream_type == "case_alerts" and CaseAlertLog.stream_type != Case.stream_type
    assert set(CaseAlertLog.event_types) == set(NOTED_TYPES)
    assert not set(NOTED_TYPES) & set(Case.event_types)
    case = transferring_case()
    version, state = case.version, case.snapshot()
    noted(raised(), escalated(), acknowledged(), case=case)
    assert "alerts" not in state and case.snapshot() == state and case.version == version and not case.pending


def test_the_police_notification_goes_from_pending_to_overdue_to_acknowledged_late():
    case = transferring_case()
    log = CaseAlertLog(case.id)
    assert log.police_notification(MOVED, case.shares) is None
    log.note(raised(), case.shares)
    pending = log.police_notification(MOVED + timedelta(hours=1), case.shares)
    assert pending["due_at"] == DUE == datetime.fromisoformat(case.shares["s1"]["notify_police_by"])
    assert not pending["overdue"] and pending["acknowledged_at"] is None and not pending["resolved"]
    assert log.police_notification(DUE + timedelta(seconds=1), case.shares)["overdue"], "the deadline passed"
    log.note(escalated(), case.shares)
    overdue = log.police_notification(MOVED + timedelta(hours=1), case.shares)
    assert overdue["overdue"] and overdue["escalation_level"] == 1
    log.note(acknowledged(), case.shares)
    done = log.police_notification(DUE + timedelta(hours=3), case.shares)
    assert not done["overdue"] and done["acknowledged_late"] and done["acknowledged_by"] == "officer-2"
    assert done["acknowledged_at"] == DUE + timedelta(hours=2)


def test_the_deadline_is_the_transfer_s_notify_police_by_as_the_case_has_it_now():
    case = transferring_case()
    log = noted(raised(), case=case)
    later = DUE + timedelta(hours=5)
    moved = {**case.shares, "s1": {**case.shares["s1"], "notify_police_by": later.isoformat()}}
    assert log.police_notification(MOVED, moved)["due_at"] == later
    assert log.police_notification(MOVED, {})["due_at"] == DUE, "without the transfer, the alert's own deadline"


def test_an_acknowledgement_in_time_is_not_late_and_a_resolved_alert_is_not_overdue():
    case = transferring_case()
    log = noted(raised(), acknowledged(at=MOVED + timedelta(hours=3), late=False), case=case)
    shown = log.police_notification(DUE + timedelta(days=2), case.shares)
    assert not shown["acknowledged_late"] and not shown["overdue"]
    other = noted(raised(), AlertStep(step_id="r", step="resolved", alert_id="a1", recipient_unit="CAX-22333",
                                      at=DUE + timedelta(days=1), reason="transfer_accepted"), case=case)
    assert other.police_notification(DUE + timedelta(days=2), case.shares)["resolved"]
    assert not other.police_notification(DUE + timedelta(days=2), case.shares)["overdue"]


def test_steps_heard_in_any_order_leave_the_same_facts():
    case = transferring_case()
    steps = [raised(), escalated(), acknowledged()]
    in_order, reversed_ = noted(*steps, case=case), noted(*reversed(steps), case=case)
    facts = lambda log: {k: v for k, v in log.alerts["a1"].items() if k != "noted"}  # noqa: E731
    assert facts(in_order) == facts(reversed_)
    assert in_order.police_notification(DUE, case.shares) == reversed_.police_notification(DUE, case.shares)


def test_only_the_first_level_transfer_alert_that_needs_acknowledgement_is_the_police_notification():
    case = transferring_case()
    log = noted(raised("committee", unit="UBX-22333", ack_required=False), raised("police"),
                raised("province", unit="CA-T56", escalated_from="police"),
                raised("relapse", category="relapse_suspected"), case=case)
    assert log.police_notification(MOVED, case.shares)["alert_id"] == "police"
    assert [a["alert_id"] for a in log.open_alerts(MOVED, lambda category: True)] == ["police", "province",
                                                                                       "relapse"]


def test_methadone_alerts_are_clinical_steps_and_left_out_of_a_legal_reader_s_open_alerts():
    log = noted(raised("m1", category="methadone_termination_proposed", unit="PKMT"))
    [event] = log.pending
    assert event.type == "cases.ost.alert_noted" and section_of(event.type) == CLINICAL
    assert section_of("cases.case.alert_noted") == LEGAL
    assert log.open_alerts(MOVED, lambda category: not category.startswith("methadone")) == []


def test_the_timeline_shows_what_happened_by_whom_and_when():
    log = noted(raised(), escalated(), acknowledged())
    shown = [e.timeline() for e in log.pending]
    assert [s["step"] for s in shown] == ["raised", "escalated", "acknowledged"]
    assert shown[0]["category"] == "transfer_requested" and shown[0]["recipient_unit"] == "CAX-22333"
    assert shown[1]["level"] == 1 and shown[1]["deadline_missed"] and shown[1]["to_units"] == ["CA-T56"]
    assert shown[2]["by"] == "officer-2" and shown[2]["late"]
    assert shown[2]["at"] == (DUE + timedelta(hours=2)).isoformat()


def test_alerts_survive_the_snapshot_and_the_stored_event():
    case = transferring_case()
    log = noted(raised(), case=case)
    [event] = log.pending
    assert AlertNoted.stored(event.type, event.data()) == event and not event.published
    again = CaseAlertLog.from_snapshot("c1", log.snapshot(), log.version)
    assert again.alerts == log.alerts and again.version == 1
    assert again.police_notification(MOVED, case.shares) == log.police_notification(MOVED, case.shares)


def envelope(step: str, data: dict, event_id: str | None = None) -> Envelope:
    return Envelope(id=event_id or str(uuid.uuid4()), type=f"notifications.alert.{step}", schema_version=1,
                    occurred_at=MOVED, producer="notifications", stream=StreamRef("alert", "alert-a1", 1),
                    area_code="22333", actor=Actor("notifications-worker", "system"), correlation_id=None,
                    causation_id=None, data=data)


COMMON = {"alert_id": "a1", "recipient_unit": "CAX-22333", "category": "transfer_requested",
          "subject_type": "case", "subject_id": "c1"}


def test_alerts_about_anything_but_a_case_are_not_steps_of_a_case():
    assert alert_step(envelope("resolved", {**COMMON, "subject_type": "plan_task", "reason": "x",
                                            "resolved_at": MOVED.isoformat()})) is None
    step = alert_step(envelope("acknowledged", {**COMMON, "acknowledged_by": "u", "acknowledged_at": None}))
    assert step.at == MOVED and step.by == "u", "an acknowledgement without its time is dated by its event"


class ReadOnlyCases:
    """The case's store, which the handler may read and must never write."""

    def __init__(self, case: Case):
        self.case = case

    def read(self, case_id):
        return self.case if case_id == self.case.id else None

    def save(self, *args, **kwargs):
        raise AssertionError("a step of an alert never writes the case")


class RacingAlertLogs:
    """The alert logs' store, where another worker notes a step of another alert first on the first `conflicts`
    saves."""

    def __init__(self, conflicts: int):
        self.log, self.conflicts, self.saved = None, conflicts, []

    def get(self, case_id):
        return copy.deepcopy(self.log) if self.log is not None and self.log.id == case_id else None

    def save(self, log, actor, causation_id=None, event_ids=None):
        if self.conflicts:
            self.conflicts -= 1
            other = self.get(log.id) or CaseAlertLog(log.id)
            other.note(raised(f"other{self.conflicts}", category="relapse_suspected"), {})
            other.pending.clear()
            self.log = other
            raise ConcurrencyConflict(log.id, log.version - 1)
        self.saved.append((list(log.pending), event_ids, actor.id, causation_id))
        log.pending.clear()
        self.log = log


def test_the_handler_notes_the_step_in_the_log_after_a_concurrent_writer_and_once_on_redelivery():
    case = transferring_case()
    logs, version = RacingAlertLogs(conflicts=2), case.version
    uow = CaseUnitOfWork(ReadOnlyCases(case), None, None)
    message = envelope("raised", {**COMMON, "urgent": True, "title_vi": "t", "title_en": "t",
                                  "raised_at": MOVED.isoformat(), "ack_required": True, "ack_due_at": DUE.isoformat()})
    assert note_alert_step(NoteAlertStep(message), None, uow, logs) == 1
    assert note_alert_step(NoteAlertStep(message), None, uow, logs) == 0
    [(events, ids, actor, causation)] = logs.saved
    assert [e.type for e in events] == ["cases.case.alert_noted"] and causation == message.id
    assert ids == [str(uuid.uuid5(uuid.UUID("5b0e8f4e-2f6d-4c1a-9a57-61d1c0a4e7b3"), f"c1:{message.id}"))]
    assert set(logs.log.alerts) == {"other1", "other0", "a1"} and logs.log.version == 3
    assert logs.log.police_notification(MOVED, case.shares)["due_at"] == DUE
    assert logs.log.alerts["a1"]["share_id"] == "s1", "the transfer named from the case's shares"
    assert case.version == version and not case.pending
    assert note_alert_step(NoteAlertStep(envelope("raised", {**COMMON, "subject_id": "nope"})), None, uow, logs) == 0
    assert logs.log.version == 3, "nothing noted about a case this service does not keep"


def test_a_conflict_on_every_attempt_gives_the_step_back():
    uow = CaseUnitOfWork(ReadOnlyCases(transferring_case()), None, None)
    logs = RacingAlertLogs(conflicts=100)
    message = envelope("raised", {**COMMON, "urgent": True, "raised_at": MOVED.isoformat()})
    with pytest.raises(ConcurrencyConflict):
        note_alert_step(NoteAlertStep(message), None, uow, logs)
    assert logs.saved == [], "a step that never found its place is given back to the consumer"
