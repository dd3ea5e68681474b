"""Referrals and transfers: who else may see or take over a case."""
from __future__ import annotations

import uuid
from dataclasses import replace

from shared.auth import Principal
from shared.clock import Clock
from shared.errors import NotAuthorised, NotFound

from services.cases.domain.access import CASE_OFFICERS, LEGAL, WORKFLOW_ACTORS, may_settle, may_transfer
from services.cases.domain.commands import SettleShare, ShareCase
from services.cases.domain.sharing import TRANSFER
from services.cases.domain.workflow import Workflow
from services.cases.service_layer.cases import check_commune
from services.cases.service_layer.disclosure import consent_for_referral
from services.cases.service_layer.ports import UnitDirectory
from services.cases.service_layer.presenting import CaseView, Presenter
from services.cases.service_layer.sealing import CaseSeal
from services.cases.service_layer.unit_of_work import CaseUnitOfWork

MOVED_AWAY = "; a move out of the province closes the case as moved_away"


def share_case(command: ShareCase, principal: Principal, uow: CaseUnitOfWork, present: Presenter,
               workflows: dict[str, Workflow], directory: UnitDirectory, seal: CaseSeal, clock: Clock,
               province_code: str) -> CaseView:
    """Refer the case to a unit of the directory (with the person's consent where the workflow asks for it), or
    ask another commune to take it over."""
    roles = CASE_OFFICERS if command.kind == TRANSFER else WORKFLOW_ACTORS
    also = _transferring(principal) if command.kind == TRANSFER else None
    with uow.changing(command, principal, roles, f"share:{command.kind}", {LEGAL}, also=also) as case:
        workflow = workflows[case.regime]
        if command.kind == TRANSFER:
            check_commune("to_commune", command.to_commune, province_code, MOVED_AWAY)
        else:
            consent_for_referral(command.consent, command.to_unit, directory, workflow, principal, case)
        share_id = uuid.uuid4().hex
        case.share(share_id, command.kind, principal.subject, clock.now(), command.reason,
                   workflow.flags, to_unit=command.to_unit, to_commune=command.to_commune)
        if command.consent is not None:
            terms, consent_id = replace(command.consent, to_unit=command.to_unit), uuid.uuid4().hex
            case.record_consent(consent_id, terms, workflow.disclosure, principal.subject, clock.now(),
                                seal.consent_reference(case, consent_id, terms), share_id=share_id)
    return present(case, principal)


def _transferring(principal: Principal):
    def check(case) -> None:
        if not may_transfer(principal, case):
            raise NotAuthorised("only the case's commune asks another commune to take it over")
    return check


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


HANDLERS = {ShareCase: share_case, SettleShare: settle_share}
