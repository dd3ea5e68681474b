"""Steps of alerts about a case, heard from the notifications service, noted in the case's alert log (a stream of
its own beside the case's, so that a step never moves the case's version under a caller's write).

Once however often a step is delivered: the log remembers the ids of the steps it noted (a step heard again
records nothing), and the event's id derives from the step's, so two deliveries handled at once append one event
(the second append of the same id at the same place is a no-op). The consumer is the log's only writer, but two
workers may note two steps of one case at once: the one that appended second meets a conflict, reads the log
again and notes the step on what is there now.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from shared.auth import Principal
from shared.envelope import Envelope
from shared.errors import ConcurrencyConflict
from shared.ports import Repository

from services.cases.domain.alerts import STEPS, AlertStep, CaseAlertLog
from services.cases.domain.commands import NoteAlertStep, NoteAlertSteps
from services.cases.service_layer.unit_of_work import CaseUnitOfWork

NOTED_IDS = uuid.UUID("5b0e8f4e-2f6d-4c1a-9a57-61d1c0a4e7b3")
ATTEMPTS = 10
SUBJECT = "case"


def note_alert_step(command: NoteAlertStep, principal: Principal | None, uow: CaseUnitOfWork,
                    alert_logs: Repository) -> int:
    """How many events the step added to its case's alert log: 0 when it is not about a case this service keeps,
    or was noted before. The case is only read (a transfer alert names the case's transfer). A conflict on every
    attempt is raised, so the consumer gives the message back for later."""
    event = command.event
    step = alert_step(event)
    if step is None:
        return 0
    case_id = event.data["subject_id"]
    case = uow.cases.read(case_id)
    if case is None:
        return 0
    for attempt in range(ATTEMPTS):
        log = alert_logs.get(case_id) or CaseAlertLog(case_id)
        log.note(step, case.shares)
        if not log.pending:
            return 0
        try:
            alert_logs.save(log, event.actor, causation_id=event.id,
                            event_ids=[_noted_id(case_id, event)])
            return 1
        except ConcurrencyConflict:
            if attempt == ATTEMPTS - 1:
                raise
    return 0


def note_alert_steps(command: NoteAlertSteps, principal: Principal | None, uow: CaseUnitOfWork,
                     alert_logs: Repository) -> int:
    """`note_alert_step` for steps that arrived together: their cases and alert logs read in a few queries, and
    the logs saved together, a round for each step of a case after its first (each event names one cause). A
    log another worker changed meanwhile has its remaining steps noted one at a time, as `note_alert_step` does."""
    steps: dict[str, list[tuple[Envelope, AlertStep]]] = {}
    for event in command.events:
        step = alert_step(event)
        if step is not None:
            steps.setdefault(event.data["subject_id"], []).append((event, step))
    cases = uow.cases.get_many(list(steps))
    waiting = {case_id: steps[case_id] for case_id in steps if case_id in cases}
    logs = alert_logs.get_many(list(waiting))
    noted = 0
    while waiting:
        by_actor: dict = {}
        for case_id, ((event, step), *_) in waiting.items():
            log = logs.setdefault(case_id, CaseAlertLog(case_id))
            log.note(step, cases[case_id].shares)
            if log.pending:
                by_actor.setdefault(event.actor, []).append((log, event))
        conflicts = set()
        for actor, entries in by_actor.items():
            refused = alert_logs.save_many(
                [log for log, _ in entries], actor, causation_ids={log.id: event.id for log, event in entries},
                event_ids={log.id: [_noted_id(log.id, event)] for log, event in entries})
            noted += len(entries) - len(refused)
            conflicts |= refused
        for case_id in conflicts:
            noted += sum(note_alert_step(NoteAlertStep(event), principal, uow, alert_logs)
                         for event, _ in waiting[case_id])
        waiting = {case_id: rest for case_id, (_, *rest) in waiting.items() if rest and case_id not in conflicts}
    return noted


def _noted_id(case_id: str, event: Envelope) -> str:
    return str(uuid.uuid5(NOTED_IDS, f"{case_id}:{event.id}"))


def alert_step(event: Envelope) -> AlertStep | None:
    """The step an alert event tells of, if the alert is about a case."""
    data = event.data
    step = event.type.rsplit(".", 1)[1]
    if data.get("subject_type") != SUBJECT or not data.get("subject_id") or step not in STEPS:
        return None
    at = _moment(data.get(f"{step}_at")) or event.occurred_at
    return AlertStep(
        step_id=event.id, step=step, alert_id=data["alert_id"], recipient_unit=data["recipient_unit"], at=at,
        category=data.get("category"), by=data.get("acknowledged_by"), via=data.get("via"),
        urgent=data.get("urgent"), ack_required=data.get("ack_required"), ack_due_at=_moment(data.get("ack_due_at")),
        escalated_from=data.get("escalated_from"), late=bool(data.get("late")), level=data.get("level"),
        round=data.get("round"), to_units=tuple(data.get("to_units") or ()),
        to_unit_heads=bool(data.get("to_unit_heads")), deadline_missed=bool(data.get("deadline_missed")),
        reason=data.get("reason"))


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


HANDLERS = {NoteAlertStep: note_alert_step, NoteAlertSteps: note_alert_steps}
