"""Referrals, transfers and break-the-glass: who else may see or take over a case."""
from __future__ import annotations

import uuid

from shared.auth import Principal
from shared.clock import Clock
from shared.envelope import Actor
from shared.errors import NotAuthorised, NotFound

from services.cases.domain.access import CASE_OFFICERS, LEGAL, WORKFLOW_ACTORS, may_settle
from services.cases.domain.commands import BreakGlass, SettleShare, ShareCase
from services.cases.domain.grants import AccessGrant
from services.cases.domain.sharing import TRANSFER
from services.cases.domain.workflow import Workflow
from services.cases.service_layer.cases import check_commune
from services.cases.service_layer.presenting import CaseView, Presenter
from services.cases.service_layer.unit_of_work import CaseUnitOfWork, domain_refusals

MOVED_AWAY = "; a move out of the province closes the case as moved_away"


def share_case(command: ShareCase, principal: Principal, uow: CaseUnitOfWork, present: Presenter,
               workflows: dict[str, Workflow], clock: Clock, province_code: str) -> CaseView:
    """Refer the case to a unit, or ask another commune to take it over."""
    roles = CASE_OFFICERS if command.kind == TRANSFER else WORKFLOW_ACTORS
    with uow.changing(command, principal, roles, f"share:{command.kind}", {LEGAL}) as case:
        if command.kind == TRANSFER:
            check_commune("to_commune", command.to_commune, province_code, MOVED_AWAY)
        case.share(uuid.uuid4().hex, command.kind, principal.subject, clock.now(), command.reason,
                   workflows[case.regime].flags, to_unit=command.to_unit, to_commune=command.to_commune)
    return present(case, principal)


def _settling(command: SettleShare, principal: Principal):
    """The check that the share exists and the caller may settle it so: whoever sees the case gets this far."""
    def check(case) -> None:
        share = case.shares.get(command.share_id)
        if share is None:
            raise NotFound(f"no referral or transfer {command.share_id} on this case")
        if not may_settle(principal, case, share, command.status):
            raise NotAuthorised("only the receiver accepts or rejects, and only the sender revokes")
    return check


def settle_share(command: SettleShare, principal: Principal, uow: CaseUnitOfWork, present: Presenter,
                 clock: Clock) -> CaseView:
    """The receiver accepts or rejects, the sender revokes."""
    with uow.changing(command, principal, None, f"share:{command.status}", {LEGAL},
                      also=_settling(command, principal)) as case:
        case.settle_share(command.share_id, command.status, principal.subject, clock.now(), command.reason)
    return present(case, principal)


def break_glass(command: BreakGlass, principal: Principal, uow: CaseUnitOfWork, clock: Clock) -> AccessGrant:
    """Open a protected section of a visible case to the caller alone, for a few hours, with a written reason."""
    case = uow.visible(command.case_id, principal)
    with domain_refusals():
        grant = AccessGrant.open(uuid.uuid4().hex, case.id, case.commune_code, principal.subject,
                                 Actor.of(principal).role, command.section, command.reason, clock.now())
    uow.add(grant, principal, "break_glass", {command.section}, case.id, purpose=command.reason)
    return grant


HANDLERS = {ShareCase: share_case, SettleShare: settle_share, BreakGlass: break_glass}
