"""Steps of alerts about a case, noted on the case: once each, in any order, and the police notification of a
transfer (Law 120/2025) derived from them."""
import copy
import uuid
from datetime import date, datetime, timedelta, timezone

from shared.envelope import Actor, Envelope, StreamRef
from shared.errors import ConcurrencyConflict

from services.cases.domain.access import CLINICAL, LEGAL, section_of
from services.cases.domain.alerts import AlertNoted, AlertStep
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


def test_a_step_is_noted_once_however_often_it_is_heard():
    case = transferring_case()
    case.note_alert(raised())
    case.note_alert(raised())
    assert [e.type for e in case.pending] == ["cases.case.alert_noted"]
    assert case.alerts["a1"]["noted"] == ["a1-raised"] and case.alerts["a1"]["share_id"] == "s1"


def test_the_police_notification_goes_from_pending_to_overdue_to_acknowledged_late():
    case = transferring_case()
    assert case.police_notification(MOVED) is None
    case.note_alert(raised())
    pending = case.police_notification(MOVED + timedelta(hours=1))
    assert pending["due_at"] == DUE == datetime.fromisoformat(case.shares["s1"]["notify_police_by"])
    assert not pending["overdue"] and pending["acknowledged_at"] is None and not pending["resolved"]
    assert case.police_notification(DUE + timedelta(seconds=1))["overdue"], "the deadline passed unacknowledged"
    case.note_alert(escalated())
    overdue = case.police_notification(MOVED + timedelta(hours=1))
    assert overdue["overdue"] and overdue["escalation_level"] == 1
    case.note_alert(acknowledged())
    done = case.police_notification(DUE + timedelta(hours=3))
    assert not done["overdue"] and done["acknowledged_late"] and done["acknowledged_by"] == "officer-2"
    assert done["acknowledged_at"] == DUE + timedelta(hours=2)


def test_an_acknowledgement_in_time_is_not_late_and_a_resolved_alert_is_not_overdue():
    case = transferring_case()
    case.note_alert(raised())
    case.note_alert(acknowledged(at=MOVED + timedelta(hours=3), late=False))
    shown = case.police_notification(DUE + timedelta(days=2))
    assert not shown["acknowledged_late"] and not shown["overdue"]
    other = transferring_case()
    other.note_alert(raised())
    other.note_alert(AlertStep(step_id="r", step="resolved", alert_id="a1", recipient_unit="CAX-22333",
                               at=DUE + timedelta(days=1), reason="transfer_accepted"))
    assert other.police_notification(DUE + timedelta(days=2))["resolved"]
    assert not other.police_notification(DUE + timedelta(days=2))["overdue"]


def test_steps_heard_in_any_order_leave_the_same_facts():
    steps = [raised(), escalated(), acknowledged()]
    in_order, reversed_ = transferring_case(), transferring_case()
    for step in steps:
        in_order.note_alert(step)
    for step in reversed(steps):
        reversed_.note_alert(step)
    facts = lambda case: {k: v for k, v in case.alerts["a1"].items() if k != "noted"}  # noqa: E731
    assert facts(in_order) == facts(reversed_)
    assert in_order.police_notification(DUE) == reversed_.police_notification(DUE)


def test_only_the_first_level_transfer_alert_that_needs_acknowledgement_is_the_police_notification():
    case = transferring_case()
    case.note_alert(raised("committee", unit="UBX-22333", ack_required=False))
    case.note_alert(raised("police"))
    case.note_alert(raised("province", unit="CA-T56", escalated_from="police"))
    case.note_alert(raised("relapse", category="relapse_suspected"))
    assert case.police_notification(MOVED)["alert_id"] == "police"
    assert [a["alert_id"] for a in case.open_alerts(MOVED, lambda category: True)] == ["police", "province",
                                                                                        "relapse"]


def test_methadone_alerts_are_clinical_steps_and_left_out_of_a_legal_reader_s_open_alerts():
    case = transferring_case()
    case.note_alert(raised("m1", category="methadone_termination_proposed", unit="PKMT"))
    [event] = case.pending
    assert event.type == "cases.ost.alert_noted" and section_of(event.type) == CLINICAL
    assert section_of("cases.case.alert_noted") == LEGAL
    assert case.open_alerts(MOVED, lambda category: not category.startswith("methadone")) == []


def test_the_timeline_shows_what_happened_by_whom_and_when():
    case = transferring_case()
    for step in (raised(), escalated(), acknowledged()):
        case.note_alert(step)
    shown = [e.timeline() for e in case.pending]
    assert [s["step"] for s in shown] == ["raised", "escalated", "acknowledged"]
    assert shown[0]["category"] == "transfer_requested" and shown[0]["recipient_unit"] == "CAX-22333"
    assert shown[1]["level"] == 1 and shown[1]["deadline_missed"] and shown[1]["to_units"] == ["CA-T56"]
    assert shown[2]["by"] == "officer-2" and shown[2]["late"]
    assert shown[2]["at"] == (DUE + timedelta(hours=2)).isoformat()


def test_alerts_survive_the_snapshot_and_the_stored_event():
    case = transferring_case()
    case.note_alert(raised())
    [event] = case.pending
    assert AlertNoted.stored(event.type, event.data()) == event and not event.published
    again = Case.from_snapshot("c1", case.snapshot(), case.version)
    assert again.alerts == case.alerts and again.police_notification(MOVED) == case.police_notification(MOVED)


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


class RacingRepository:
    """The case's store, where another writer appends first on the first `conflicts` saves."""

    def __init__(self, case: Case, conflicts: int):
        self.case, self.conflicts, self.saved = case, conflicts, []

    def get(self, case_id):
        return copy.deepcopy(self.case) if case_id == self.case.id else None

    def save(self, case, actor, causation_id=None, event_ids=None):
        if self.conflicts:
            self.conflicts -= 1
            self.case.assign_worker(f"w{self.conflicts}")
            self.case.pending.clear()
            raise ConcurrencyConflict(case.id, case.version - 1)
        self.saved.append((list(case.pending), event_ids, actor.id, causation_id))
        case.pending.clear()
        self.case = case


def test_the_handler_notes_the_step_after_a_concurrent_writer_and_once_on_redelivery():
    repository = RacingRepository(transferring_case(), conflicts=2)
    uow = CaseUnitOfWork(repository, None, None)
    message = envelope("raised", {**COMMON, "urgent": True, "title_vi": "t", "title_en": "t",
                                  "raised_at": MOVED.isoformat(), "ack_required": True, "ack_due_at": DUE.isoformat()})
    assert note_alert_step(NoteAlertStep(message), None, uow) == 1
    assert note_alert_step(NoteAlertStep(message), None, uow) == 0
    [(events, ids, actor, causation)] = repository.saved
    assert [e.type for e in events] == ["cases.case.alert_noted"] and causation == message.id
    assert ids == [str(uuid.uuid5(uuid.UUID("5b0e8f4e-2f6d-4c1a-9a57-61d1c0a4e7b3"), f"c1:{message.id}"))]
    assert repository.case.assigned_worker == "w0" and repository.case.police_notification(MOVED)["due_at"] == DUE
    assert note_alert_step(NoteAlertStep(envelope("raised", {**COMMON, "subject_id": "nope"})), None, uow) == 0
