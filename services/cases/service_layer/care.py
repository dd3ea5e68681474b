"""Follow-up and support of a case: the check-in plan, visits and their outcome, and the support given."""
from __future__ import annotations

import uuid

from shared.auth import Principal
from shared.clock import Clock

from services.cases.domain.access import CASE_OFFICERS, LEGAL, SUPPORT, SUPPORT_RECORDERS
from services.cases.domain.commands import PlanFollowUp, RecordSupport, RecordVisit
from services.cases.service_layer.presenting import CaseView, Presenter
from services.cases.service_layer.sealing import CaseSeal
from services.cases.service_layer.unit_of_work import CaseUnitOfWork


def plan_follow_up(command: PlanFollowUp, principal: Principal, uow: CaseUnitOfWork, present: Presenter,
                   clock: Clock) -> CaseView:
    with uow.changing(command, principal, CASE_OFFICERS, "plan_follow_up", {LEGAL}) as case:
        case.plan_follow_up(command.every_days, command.first_on, principal.subject, clock.today())
    return present(case, principal)


def record_visit(command: RecordVisit, principal: Principal, uow: CaseUnitOfWork, present: Presenter,
                 seal: CaseSeal, clock: Clock) -> CaseView:
    """The visit's notes are sealed and belong to the support section."""
    sections = {LEGAL, SUPPORT} if command.notes else {LEGAL}
    with uow.changing(command, principal, CASE_OFFICERS, "record_visit", sections) as case:
        visit_id = uuid.uuid4().hex
        case.record_visit(visit_id, command.visited_on, command.kind, command.outcome, principal.subject,
                          seal.seal(case, "visit", visit_id, command.notes), clock.today())
    return present(case, principal)


def record_support(command: RecordSupport, principal: Principal, uow: CaseUnitOfWork, present: Presenter,
                   seal: CaseSeal, clock: Clock) -> CaseView:
    with uow.changing(command, principal, SUPPORT_RECORDERS, f"record_support:{command.kind}", {SUPPORT}) as case:
        support_id = uuid.uuid4().hex
        case.record_support(support_id, command.kind, command.provided_on, principal.subject, command.amount_vnd,
                            command.funding_source, seal.seal(case, "support", support_id, command.details),
                            clock.today())
    return present(case, principal)


HANDLERS = {PlanFollowUp: plan_follow_up, RecordVisit: record_visit, RecordSupport: record_support}
