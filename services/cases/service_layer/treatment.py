"""Methadone treatment: phases, the dose log, breaches and the doctor's decisions on termination proposals.
Only the treating clinic keeps these records; the police may add an offence."""
from __future__ import annotations

import uuid

from shared.auth import Principal
from shared.clock import Clock
from shared.errors import NotAuthorised

from services.cases.domain.access import CLINICAL, CLINICIANS, OFFENCE_REPORTERS, keeps_therapy_records
from services.cases.domain.commands import ChangeOstPhase, DismissTermination, RecordDose, RecordOstBreach
from services.cases.domain.model import Case
from services.cases.domain.workflow import Workflow
from services.cases.service_layer.presenting import CaseView, Presenter
from services.cases.service_layer.sealing import CaseSeal
from services.cases.service_layer.unit_of_work import CaseUnitOfWork


def _clinic_of(principal: Principal):
    """The check that the caller keeps the case's methadone records."""
    def check(case: Case) -> None:
        if not keeps_therapy_records(principal, case):
            raise NotAuthorised(f"methadone records of this case are kept by {case.therapy.clinic_unit}")
    return check


def change_ost_phase(command: ChangeOstPhase, principal: Principal, uow: CaseUnitOfWork, present: Presenter,
                     clock: Clock) -> CaseView:
    with uow.changing(command, principal, CLINICIANS, "ost_phase", {CLINICAL},
                      also=_clinic_of(principal)) as case:
        case.change_ost_phase(command.phase, command.effective_on, principal.subject, clock.today())
    return present(case, principal)


def record_dose(command: RecordDose, principal: Principal, uow: CaseUnitOfWork, present: Presenter,
                seal: CaseSeal, clock: Clock) -> CaseView:
    """The amount is checked by the domain and recorded only sealed."""
    with uow.changing(command, principal, CLINICIANS, "ost_dose", {CLINICAL},
                      also=_clinic_of(principal)) as case:
        dose_id = uuid.uuid4().hex
        amount = f"{command.dose_mg:g}" if command.dose_mg is not None else None
        case.record_dose(dose_id, command.given_on, command.missed, command.dose_mg,
                         seal.seal(case, "dose", dose_id, amount), principal.subject, clock.today())
    return present(case, principal)


def record_ost_breach(command: RecordOstBreach, principal: Principal, uow: CaseUnitOfWork, present: Presenter,
                      seal: CaseSeal, workflows: dict[str, Workflow], clock: Clock) -> CaseView:
    roles = CLINICIANS if command.kind == "protocol" else OFFENCE_REPORTERS
    with uow.changing(command, principal, roles, f"ost_breach:{command.kind}", {CLINICAL},
                      also=_clinic_of(principal)) as case:
        breach_id = uuid.uuid4().hex
        case.record_breach(breach_id, command.kind, command.occurred_on,
                           seal.seal(case, "breach", breach_id, command.description), principal.subject,
                           workflows[case.regime].ost_termination, clock.today())
    return present(case, principal)


def dismiss_termination(command: DismissTermination, principal: Principal, uow: CaseUnitOfWork,
                        present: Presenter) -> CaseView:
    with uow.changing(command, principal, CLINICIANS, "ost_termination_dismissed", {CLINICAL},
                      also=_clinic_of(principal)) as case:
        case.dismiss_termination(command.proposal_id, principal.subject, command.reason)
    return present(case, principal)


HANDLERS = {ChangeOstPhase: change_ost_phase, RecordDose: record_dose, RecordOstBreach: record_ost_breach,
            DismissTermination: dismiss_termination}
