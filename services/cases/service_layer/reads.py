"""Reading one case: the case, the steps the caller may take, its history and its dose log. Every read is
audited before anything is answered."""
from __future__ import annotations

import heapq

from shared.auth import Principal
from shared.errors import NotAuthorised
from shared.ports import AuditTrail

from services.cases.domain.access import CLINICAL, LEGAL, section_of
from services.cases.domain.alerts import AlertNoted
from services.cases.domain.model import Case
from services.cases.domain.ost import OstDoseRecorded
from services.cases.domain.queries import AllowedTransitions, CaseHistory, DoseLog, ListWorkflows, ReadCase
from services.cases.domain.workflow import RECORD_FIELDS, Transition, Workflow
from services.cases.service_layer.ports import CaseViews
from services.cases.service_layer.presenting import CaseView, Presenter
from services.cases.service_layer.sealing import CaseSeal
from services.cases.service_layer.unit_of_work import CaseUnitOfWork

HISTORY_FIELDS = ("stage", "phase", "regime", "commune_code", "assigned_worker", "due", "last_effective_on",
                  "absconded_on", "opened_on", "case_number")
DECISION_HISTORY_FIELDS = ("transition", *RECORD_FIELDS)


def read_case(query: ReadCase, principal: Principal, uow: CaseUnitOfWork, present: Presenter, views: CaseViews,
              workflows: dict[str, Workflow], audit: AuditTrail) -> CaseView:
    """Audited with the sections the answer shows, before it is answered; with its history and the caller's steps
    when asked (the case page), under the same access check and audit entry."""
    case = uow.visible(query.case_id, principal)
    view = present(case, principal)
    if query.with_history:
        view.included["history"] = _timeline(case, view.sections, views)
    if query.with_transitions:
        view.included["transitions"] = _allowed(case, principal, workflows)
    audit.record(principal, "read", "case", case.id, set(view.sections))
    return view


def allowed_transitions(query: AllowedTransitions, principal: Principal, uow: CaseUnitOfWork,
                        workflows: dict[str, Workflow], audit: AuditTrail) -> tuple[Case, list[Transition]]:
    case = uow.visible(query.case_id, principal)
    audit.record(principal, "read_transitions", "case", case.id, {LEGAL})
    return case, _allowed(case, principal, workflows)


def _allowed(case: Case, principal: Principal, workflows: dict[str, Workflow]) -> list[Transition]:
    workflow = workflows[case.regime]
    return [workflow.transition(name) for name in case.allowed_transitions(workflow, principal.roles)]


def list_workflows(query: ListWorkflows, principal: Principal, workflows: dict[str, Workflow]) -> list[Workflow]:
    return list(workflows.values())


def case_history(query: CaseHistory, principal: Principal, uow: CaseUnitOfWork, views: CaseViews,
                 present: Presenter, audit: AuditTrail) -> list[dict]:
    case = uow.visible(query.case_id, principal)
    sections = present.sections(principal, case)
    audit.record(principal, "read_history", "case", query.case_id, sections)
    return [e for e in _timeline(case, sections, views) if (query.user is None or e["actor"]["id"] == query.user)
            and (query.field is None or query.field in e["changes"])]


def _timeline(case: Case, sections, views: CaseViews) -> list[dict]:
    """The case's stream as a timeline: who did what, when, and which fields changed from what to what, with the
    steps of alerts about the case (their own stream) merged in by time. Steps of a section the caller may not
    see (a dose, a loan, a methadone alert) are left out, not only their details."""
    replayed, timeline = Case(case.id), []
    for envelope, event in views.steps(case.id, case.version):
        before = replayed.snapshot() if replayed.version else {}
        replayed.apply(event)
        replayed.version = envelope.stream.version
        if section_of(envelope.type) in sections:
            timeline.append(_history_entry(envelope, before, replayed.snapshot()))
    alerts = [_alert_entry(envelope, event) for envelope, event in views.alert_steps(case.id)
              if section_of(envelope.type) in sections]
    return list(heapq.merge(timeline, alerts, key=lambda entry: entry["occurred_at"]))


def _history_entry(envelope, before: dict, after: dict) -> dict:
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v and k in HISTORY_FIELDS}
    return {"version": envelope.stream.version, "type": envelope.type, "occurred_at": envelope.occurred_at,
            "actor": vars(envelope.actor), "changes": changes,
            "decision": {k: envelope.data.get(k) for k in DECISION_HISTORY_FIELDS if envelope.data.get(k)}}


def _alert_entry(envelope, event: AlertNoted) -> dict:
    """A step of an alert: it changes none of the case's fields and has no version of the case (null)."""
    return {"version": None, "type": envelope.type, "occurred_at": envelope.occurred_at,
            "actor": vars(envelope.actor), "changes": {}, "decision": {}, "alert": event.timeline()}


def dose_log(query: DoseLog, principal: Principal, uow: CaseUnitOfWork, views: CaseViews, present: Presenter,
             seal: CaseSeal, audit: AuditTrail) -> list[dict]:
    """Every dose given or missed, oldest first, read from the case's log (the snapshot keeps no doses)."""
    case = uow.visible(query.case_id, principal)
    if CLINICAL not in present.sections(principal, case):
        audit.record(principal, "read_dose_log", "case", query.case_id, {CLINICAL}, outcome="denied")
        raise NotAuthorised("the dose log is clinical: health workers of the treating clinic only")
    audit.record(principal, "read_dose_log", "case", query.case_id, {CLINICAL})
    return [{"dose_id": dose.dose_id, "given_on": dose.given_on, "missed": dose.missed, "recorded_by": dose.recorded_by,
             "dose_mg": _amount(seal.open(case, "dose", dose.dose_id, dose.dose_sealed))}
            for _, dose in views.steps(query.case_id) if isinstance(dose, OstDoseRecorded)]


def _amount(opened: str | None) -> float | None:
    """None for a missed dose, or one whose person was erased."""
    return float(opened) if opened is not None else None


HANDLERS = {ReadCase: read_case, AllowedTransitions: allowed_transitions, ListWorkflows: list_workflows,
            CaseHistory: case_history, DoseLog: dose_log}
