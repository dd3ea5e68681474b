"""Who else may read a case's protected sections: the person's consents (and the exceptions the law names),
break-the-glass by a health worker, capped per day and revocable by the treating clinic, and the unit directory
both are checked against."""
from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, time, timedelta

from shared import areas
from shared.auth import Principal
from shared.clock import PROVINCE_TIME, Clock, aware
from shared.envelope import Actor
from shared.errors import ConcurrencyConflict, InvalidInput, NotAuthorised, NotFound, TooManyRequests
from shared.ports import AuditTrail

from services.cases.domain.access import CASE_OFFICERS, CLINICIANS, LEGAL, WORKFLOW_ACTORS, may_act
from services.cases.domain.commands import BreakGlass, RecordConsent, RecordUnit, RevokeAccess, RevokeConsent
from services.cases.domain.consent import ConsentTerms
from services.cases.domain.rules import DecisionInvalid
from services.cases.domain.grants import AccessGrant
from services.cases.domain.model import Case
from services.cases.domain.queries import AccountDisclosures
from services.cases.domain.workflow import Workflow
from services.cases.service_layer.ports import CaseViews, UnitDirectory
from services.cases.service_layer.presenting import CaseView, Presenter
from services.cases.service_layer.sealing import CaseSeal
from services.cases.service_layer.unit_of_work import CaseUnitOfWork, domain_refusals

def check_unit(field_name: str, unit_code: str, directory: UnitDirectory) -> str:
    """The unit's kind; a code the province's directory does not hold is refused, naming the field."""
    kind = directory.kind_of(unit_code)
    if kind is None:
        raise InvalidInput.field(field_name, f"{unit_code!r} is not a unit of the province's directory")
    return kind


def consent_for_referral(terms: ConsentTerms | None, to_unit: str, directory: UnitDirectory, workflow: Workflow,
                         principal: Principal, case: Case) -> None:
    """A referral to a kind of unit the workflow names (a clinic, a rehab facility) carries the person's consent,
    given to that unit by whoever may record consents; nobody refers a case to their own unit."""
    if to_unit == principal.unit:
        raise InvalidInput.field("to_unit", "is your own unit")
    if terms is not None:
        may_consent(to_unit, principal)(case)
        try:
            terms.check(workflow.disclosure)
        except DecisionInvalid as invalid:
            raise InvalidInput.field(f"consent.{invalid.field}", invalid.message) from None
    kind = check_unit("to_unit", to_unit, directory)
    if terms is None and kind in workflow.disclosure.referral_consent_unit_kinds:
        raise InvalidInput.field("consent", f"a referral to a {kind} needs the person's consent (the signed "
                                            "form's reference, the sections and the purpose)")


def record_consent(command: RecordConsent, principal: Principal, uow: CaseUnitOfWork, present: Presenter,
                   workflows: dict[str, Workflow], directory: UnitDirectory, seal: CaseSeal,
                   clock: Clock) -> CaseView:
    """Recorded on the signed form (or the order) it names by the treating clinic, or by the case's team when no
    clinic treats the person; never to the recorder's own unit (nobody opens a section to themself)."""
    with uow.changing(command, principal, WORKFLOW_ACTORS, "record_consent", {LEGAL, *command.terms.sections},
                      also=may_consent(command.terms.to_unit, principal)) as case:
        check_unit("to_unit", command.terms.to_unit, directory)
        consent_id = uuid.uuid4().hex
        case.record_consent(consent_id, command.terms, workflows[case.regime].disclosure, principal.subject,
                            clock.now(), seal.consent_reference(case, consent_id, command.terms))
    return present(case, principal)


def may_consent(to_unit: str, principal: Principal):
    def check(case: Case) -> None:
        if to_unit == principal.unit:
            raise NotAuthorised("a consent opens sections to another unit, never to the recorder's own")
        if not _keeps_the_record(principal, case):
            raise NotAuthorised("consents are recorded by the treating clinic, or by the case's team when no clinic "
                                "treats the person")
    return check


def revoke_consent(command: RevokeConsent, principal: Principal, uow: CaseUnitOfWork, present: Presenter,
                   clock: Clock) -> CaseView:
    """The person withdraws: the unit's access ends with this change (sections are decided at every read)."""
    with uow.changing(command, principal, WORKFLOW_ACTORS, "revoke_consent", {LEGAL}) as case:
        case.revoke_consent(command.consent_id, principal.subject, clock.now(), command.reason)
    return present(case, principal)


def break_glass(command: BreakGlass, principal: Principal, uow: CaseUnitOfWork, workflows: dict[str, Workflow],
                audit: AuditTrail, seal: CaseSeal, clock: Clock, break_glass_per_day: int) -> AccessGrant:
    """Open a protected section of a visible case to the caller alone, for a few hours, with a reason code and
    text. The day's grants of a caller (the province's day) are numbered 1..cap: the next one is a unique
    insert, so two at once cannot both pass the cap."""
    case = uow.visible(command.case_id, principal)
    if not principal.has_role(*CLINICIANS):
        audit.record(principal, "break_glass", "case", case.id, {command.section}, outcome="denied")
        raise NotAuthorised("only health workers, who can hold a treatment relationship, may break the glass")
    now = clock.now()
    today, owner = now.astimezone(PROVINCE_TIME).date(), hashlib.sha256(principal.subject.encode()).hexdigest()[:16]
    for number in range(1, break_glass_per_day + 1):
        grant_id = f"{today:%Y%m%d}-{owner}-{number}"
        if uow.grants.get(grant_id) is not None:
            continue
        with domain_refusals():
            grant = AccessGrant.open(grant_id, case.id, case.commune_code,
                                     principal.subject, Actor.of(principal).role, command.section,
                                     command.reason_code, command.reason,
                                     workflows[case.regime].disclosure.break_glass_reasons, now,
                                     lambda text: seal.seal(case, "grant", grant_id, text))
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


def revoke_access(command: RevokeAccess, principal: Principal, uow: CaseUnitOfWork, seal: CaseSeal,
                  clock: Clock) -> AccessGrant:
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
        grant.revoke(principal.subject, clock.now(), command.reason,
                     lambda text: seal.seal(case, "grant-revocation", grant.id, text))
    uow.add(grant, principal, "revoke_break_glass", {grant.escalated.section}, case.id)
    return grant


def _keeps_the_record(principal: Principal, case: Case) -> bool:
    clinic = case.therapy.clinic_unit if case.therapy else None
    if clinic:
        return principal.unit == clinic and principal.has_role(*CLINICIANS)
    return may_act(principal, CASE_OFFICERS, case)


DISCLOSURE_READERS = ("auditor",)
ACCOUNTED_OUTCOMES = ("allowed",)


def account_disclosures(query: AccountDisclosures, principal: Principal, uow: CaseUnitOfWork, views: CaseViews,
                        audit: AuditTrail) -> list[dict]:
    """For the inspectorate whose areas cover the case's commune, and to hand to the person on request: from the
    case's audit entries (reads, lists, exports, changes, break-the-glass; refused attempts are not disclosures) and
    its alert log (the units an alert about the case reached), oldest first; the deliveries of those alerts (to whom,
    by which channel) are the notifications service's accounting (GET /api/v1/disclosures there). Reading it is
    audited too."""
    if not principal.has_role(*DISCLOSURE_READERS):
        raise NotAuthorised("the accounting of disclosures is read by the inspectorate (auditor)")
    case = uow.cases.get(query.case_id)
    if case is None or not areas.within_any(principal.areas, case.commune_code):
        raise NotFound(f"no case {query.case_id} in your jurisdiction")
    audit.record(principal, "account_disclosures", "case", query.case_id)
    accounted = [_disclosed(entry) for entry in _all_entries(audit, query.case_id)
                 if entry["outcome"] in ACCOUNTED_OUTCOMES and entry["action"] != "account_disclosures"]
    accounted += [{"at": event.at, "kind": "alert", "action": event.step, "subject": None, "roles": [],
                   "unit": event.recipient_unit, "sections": [], "purpose": event.category}
                  for _, event in views.alert_steps(query.case_id) if event.step == "raised"]
    return sorted(accounted, key=lambda d: aware(d["at"]))


def _all_entries(audit: AuditTrail, case_id: str) -> list[dict]:
    entries, after = [], None
    while True:
        page, after = audit.entries(resource_id=case_id, after=after, limit=500)
        entries += page
        if after is None:
            return entries


DISCLOSURE_KINDS = {"export": "export", "list": "list", "my_work": "list", "break_glass": "break_glass"}


def _disclosed(entry: dict) -> dict:
    kind = DISCLOSURE_KINDS.get(entry["action"]) or ("read" if entry["action"].startswith("read") else "change")
    return {"at": entry["at"], "kind": kind, "action": entry["action"], "subject": entry["subject"],
            "roles": entry.get("roles") or [], "unit": entry.get("unit"), "sections": entry.get("sections") or [],
            "purpose": entry.get("purpose")}


def record_unit(command: RecordUnit, principal, directory: UnitDirectory) -> None:
    """Keep the newest registration of each unit; replaying an older one changes nothing."""
    directory.keep(command.unit_code, command.kind, command.version)


HANDLERS = {RecordConsent: record_consent, RevokeConsent: revoke_consent, BreakGlass: break_glass,
            RevokeAccess: revoke_access, RecordUnit: record_unit, AccountDisclosures: account_disclosures}
