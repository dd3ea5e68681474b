"""Opening cases, importing them from registers, and the steps of a case's own legal path."""
from __future__ import annotations

import uuid

from shared import areas
from shared.auth import Principal
from shared.clock import Clock
from shared.errors import ConcurrencyConflict, InvalidInput, NotAuthorised

from services.cases.domain.access import CASE_OFFICERS, DRUG_TESTERS, LEGAL, WORKFLOW_ACTORS, may_open, \
    sections_for
from services.cases.domain.commands import (AssignWorker, ChangePhase, CheckCaseImport, ImportCase, OpenCase,
                                            RecordDrugTest, TransitionCase)
from services.cases.domain.model import Case
from services.cases.domain.ost import findings_of
from services.cases.domain.person import PersonRecord
from services.cases.domain.workflow import Workflow, WorkingCalendar, workflow_on
from services.cases.service_layer.people import Registration
from services.cases.service_layer.presenting import CaseView, Presenter
from services.cases.service_layer.sealing import CaseSeal
from services.cases.service_layer.unit_of_work import CaseUnitOfWork


def check_commune(field: str, code: str | None, province_code: str, beyond: str = "") -> None:
    if areas.province_of(code or "") != province_code or not areas.is_commune(code):
        raise InvalidInput.field(field, f"{code} is not a commune of this province{beyond}")


class CaseOpening:
    """Every rule opening a case must pass, checked before anything is written, and the opening itself."""

    def __init__(self, registration: Registration, workflows: dict[str, Workflow], clock: Clock,
                 province_code: str, uow: CaseUnitOfWork):
        self.registration, self.workflows, self.clock = registration, workflows, clock
        self.province_code, self.uow = province_code, uow

    def check(self, command: OpenCase, principal: Principal, person_code: str | None = None) -> Workflow:
        if not principal.has_role(*CASE_OFFICERS):
            raise NotAuthorised("only caseworkers and police liaison officers open cases")
        check_commune("commune_code", command.commune_code, self.province_code)
        if not may_open(principal, command.commune_code):
            raise NotAuthorised("this case is outside your role or jurisdiction")
        if command.opened_on > self.clock.today():
            raise InvalidInput.field("opened_on", "is in the future")
        if (command.person is None) == (command.person_code is None):
            raise InvalidInput.field("person", "give either person (to register) or person_code (registered)")
        workflow = workflow_on(self.workflows, command.opened_on)
        if command.stage not in workflow.opening_stages:
            raise InvalidInput.field("stage", f"a {workflow.regime} case opens in "
                                              f"{', '.join(workflow.opening_stages)}")
        if command.opened_on < self._birth_date(command, principal, person_code):
            raise InvalidInput.field("opened_on", "is before the person's birth")
        return workflow

    def _birth_date(self, command: OpenCase, principal: Principal, person_code: str | None):
        if command.person is None:
            return self.registration.named(command.person_code, principal, "person_code").birth_date
        self.registration.check(command.person, principal, "person.", person_code)
        return command.person.birth_date

    def open(self, command: OpenCase, principal: Principal, case_id: str,
             person_code: str | None = None) -> tuple[Case, PersonRecord]:
        workflow = self.check(command, principal, person_code)
        person = self.registration.store(command.person, principal, "person.", person_code) if command.person \
            else self.registration.named(command.person_code, principal, "person_code")
        case = Case.open(case_id=case_id,
                         case_number=f"{command.commune_code}-{command.opened_on.year}-{case_id[:6].upper()}",
                         person_code=person.person_code, commune_code=command.commune_code,
                         opened_on=command.opened_on, stage=command.stage, regime=workflow.regime,
                         person_birth_date=person.birth_date)
        self.uow.add(case, principal, "open", sections_for(principal.roles), case.id)
        return case, person


def open_case(command: OpenCase, principal: Principal, opening: CaseOpening, present: Presenter) -> CaseView:
    case, person = opening.open(command, principal, uuid.uuid4().hex)
    return present(case, principal, person, new=True)


def check_case_import(command: CheckCaseImport, principal: Principal, opening: CaseOpening,
                      uow: CaseUnitOfWork) -> bool:
    """False when the row was imported before (it is not checked again), True when it may be."""
    if uow.cases.exists(command.case_id):
        return False
    opening.check(command.opening, principal, command.person_code)
    return True


def import_case(command: ImportCase, principal: Principal, opening: CaseOpening, uow: CaseUnitOfWork) -> bool:
    """Open an imported row's case under ids derived from the row; False if it was imported before."""
    if uow.cases.exists(command.case_id):
        return False
    try:
        opening.open(command.opening, principal, command.case_id, command.person_code)
    except ConcurrencyConflict:
        return False
    return True


def assign_worker(command: AssignWorker, principal: Principal, uow: CaseUnitOfWork, present: Presenter) -> CaseView:
    with uow.changing(command, principal, CASE_OFFICERS, "assign_worker") as case:
        case.assign_worker(command.worker_id)
    return present(case, principal)


def transition_case(command: TransitionCase, principal: Principal, uow: CaseUnitOfWork, present: Presenter,
                    workflows: dict[str, Workflow], working_days: WorkingCalendar, clock: Clock) -> CaseView:
    with uow.changing(command, principal, WORKFLOW_ACTORS, f"transition:{command.transition}") as case:
        case.transition(workflows[case.regime], command.transition, principal.roles, command.effective_on,
                        command.decision, working_days, clock.today(), by_unit=principal.unit)
    return present(case, principal)


def change_phase(command: ChangePhase, principal: Principal, uow: CaseUnitOfWork, present: Presenter,
                 workflows: dict[str, Workflow], clock: Clock) -> CaseView:
    with uow.changing(command, principal, CASE_OFFICERS, "change_phase", {LEGAL}) as case:
        case.change_phase(workflows[case.regime], command.phase, command.effective_on, principal.subject,
                          clock.today())
    return present(case, principal)


def record_drug_test(command: RecordDrugTest, principal: Principal, uow: CaseUnitOfWork, present: Presenter,
                     seal: CaseSeal, workflows: dict[str, Workflow], clock: Clock) -> CaseView:
    """The substances are sealed; what they mean for methadone therapy (`findings`) is worked out from them when
    needed, never stored. The audit names every section the answer shows, those opened by break-the-glass too."""
    with uow.changing(command, principal, DRUG_TESTERS, "record_drug_test",
                      lambda case: present.sections(principal, case)) as case:
        test_id = uuid.uuid4().hex
        sealed = seal.seal(case, "test", test_id, ",".join(command.substances) or None)
        case.record_drug_test(test_id, command.tested_on, command.result, principal.subject, sealed, clock.today(),
                              findings=findings_of(command.substances),
                              rules=workflows[case.regime].ost_termination,
                              findings_of_test=lambda test: seal.test_findings(case, test))
    return present(case, principal)


HANDLERS = {OpenCase: open_case, CheckCaseImport: check_case_import, ImportCase: import_case,
            AssignWorker: assign_worker, TransitionCase: transition_case, ChangePhase: change_phase,
            RecordDrugTest: record_drug_test}
