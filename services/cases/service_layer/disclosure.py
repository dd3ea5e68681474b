"""Who else may read a case's protected sections: the person's consents (and the exceptions the law names),
break-the-glass by a health worker, capped per day and revocable by the treating clinic, and the unit directory
both are checked against."""
from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.auth import Principal
from shared.clock import Clock
from shared.envelope import Actor
from shared.errors import ConcurrencyConflict, InvalidInput, NotAuthorised, NotFound, TooManyRequests
from shared.ports import AuditTrail

from services.cases.domain.access import CASE_OFFICERS, CLINICIANS, LEGAL, WORKFLOW_ACTORS, may_act
from services.cases.domain.commands import BreakGlass, RecordConsent, RecordUnit, RevokeAccess, RevokeConsent
from services.cases.domain.consent import ConsentTerms
from services.cases.domain.grants import AccessGrant
from services.cases.domain.model import Case
from services.cases.domain.workflow import Workflow
from services.cases.service_layer.ports import UnitDirectory
from services.cases.service_layer.presenting import CaseView, Presenter
from services.cases.service_layer.unit_of_work import CaseUnitOfWork, domain_refusals

PROVINCE_TIME = ZoneInfo("Asia/Ho_Chi_Minh")


def check_unit(field_name: str, unit_code: str, directory: UnitDirectory) -> str:
    """The unit's kind; a code the province's directory does not hold is refused, naming the field."""
    kind = directory.kind_of(unit_code)
    if kind is None:
        raise InvalidInput.field(field_name, f"{unit_code!r} is not a unit of the province's directory")
    return kind


def consent_for_referral(terms: ConsentTerms | None, to_unit: str, directory: UnitDirectory,
                         workflow: Workflow) -> None:
    """A referral to a kind of unit the workflow names (a clinic, a rehab facility) carries the person's consent,
    given to that unit."""
    kind = check_unit("to_unit", to_unit, directory)
    if terms is None and kind in workflow.disclosure.referral_consent_unit_kinds:
        raise InvalidInput.field("consent", f"a referral to a {kind} needs the person's consent (the signed "
                                            "form's reference, the sections and the purpose)")


def record_consent(command: RecordConsent, principal: Principal, uow: CaseUnitOfWork, present: Presenter,
                   workflows: dict[str, Workflow], directory: UnitDirectory, clock: Clock) -> CaseView:
    """Recorded by the case's team or its treating clinic, on the signed form (or the order) it names."""
    check_unit("to_unit", command.terms.to_unit, directory)
    with uow.changing(command, principal, WORKFLOW_ACTORS, "record_consent", {LEGAL}) as case:
        case.record_consent(uuid.uuid4().hex, command.terms, workflows[case.regime].disclosure, principal.subject,
                            clock.now())
    return present(case, principal)


def revoke_consent(command: RevokeConsent, principal: Principal, uow: CaseUnitOfWork, present: Presenter,
                   clock: Clock) -> CaseView:
    """The person withdraws: the unit's access ends with this change (sections are decided at every read)."""
    with uow.changing(command, principal, WORKFLOW_ACTORS, "revoke_consent", {LEGAL}) as case:
        case.revoke_consent(command.consent_id, principal.subject, clock.now(), command.reason)
    return present(case, principal)


def break_glass(command: BreakGlass, principal: Principal, uow: CaseUnitOfWork, workflows: dict[str, Workflow],
                audit: AuditTrail, clock: Clock, break_glass_per_day: int) -> AccessGrant:
    """Open a protected section of a visible case to the caller alone, for a few hours, with a reason code and
    text. The day's grants of a caller are numbered 1..cap: the next one is a unique insert, so two at once
    cannot both pass the cap."""
    case = uow.visible(command.case_id, principal)
    if not principal.has_role(*CLINICIANS):
        audit.record(principal, "break_glass", "case", case.id, {command.section}, outcome="denied")
        raise NotAuthorised("only health workers, who can hold a treatment relationship, may break the glass")
    now, today = clock.now(), clock.today()
    owner = hashlib.sha256(principal.subject.encode()).hexdigest()[:16]
    for number in range(1, break_glass_per_day + 1):
        with domain_refusals():
            grant = AccessGrant.open(f"{today:%Y%m%d}-{owner}-{number}", case.id, case.commune_code,
                                     principal.subject, Actor.of(principal).role, command.section,
                                     command.reason_code, command.reason,
                                     workflows[case.regime].disclosure.break_glass_reasons, now)
        try:
            uow.add(grant, principal, "break_glass", {command.section}, case.id, purpose=command.reason_code)
            return grant
        except ConcurrencyConflict:
            continue
    audit.record(principal, "break_glass", "case", case.id, {command.section}, outcome="denied")
    raise TooManyRequests(f"you have broken the glass {break_glass_per_day} times today, the most a day allows",
                          retry_after=_seconds_to_next_day(now))


def _seconds_to_next_day(now: datetime) -> int:
    local = now.astimezone(PROVINCE_TIME)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(), PROVINCE_TIME)
    return max(1, int((midnight - local).total_seconds()))


def revoke_access(command: RevokeAccess, principal: Principal, uow: CaseUnitOfWork, clock: Clock) -> AccessGrant:
    """The treating clinic (the case's team when no clinic treats the person) closes a section opened by
    breaking the glass before it expires."""
    case = uow.visible(command.case_id, principal)
    grant = uow.grants.get(command.grant_id)
    if grant is None or grant.escalated.case_id != case.id:
        raise NotFound(f"no break-the-glass access {command.grant_id} on this case")
    if not _keeps_the_record(principal, case):
        raise NotAuthorised("only the treating clinic, or the case's team when no clinic treats the person, "
                            "revokes an access")
    with domain_refusals():
        grant.revoke(principal.subject, clock.now(), command.reason)
    uow.add(grant, principal, "revoke_break_glass", {grant.escalated.section}, case.id)
    return grant


def _keeps_the_record(principal: Principal, case: Case) -> bool:
    clinic = case.therapy.clinic_unit if case.therapy else None
    if clinic:
        return principal.unit == clinic and principal.has_role(*CLINICIANS)
    return may_act(principal, CASE_OFFICERS, case)


def record_unit(command: RecordUnit, principal, directory: UnitDirectory) -> None:
    """Keep the newest registration of each unit; replaying an older one changes nothing."""
    directory.keep(command.unit_code, command.kind, command.version)


HANDLERS = {RecordConsent: record_consent, RevokeConsent: revoke_consent, BreakGlass: break_glass,
            RevokeAccess: revoke_access, RecordUnit: record_unit}
