"""The retention timer: people all of whose cases are closed past their regime's retention are erased by
crypto-shredding, each with a tombstone and an audit entry; and the one pass that makes crypto-shredding reach what
an older release sealed with the service-wide key."""
from __future__ import annotations

from collections import defaultdict

from shared.audit_changes import audited_change
from shared.auth import Principal
from shared.clock import Clock
from shared.ports import AuditTrail

from services.cases.domain.commands import PurgeExpired, ResealLegacy
from services.cases.domain.retention import past_retention
from services.cases.domain.workflow import Workflow
from services.cases.service_layer.ports import CaseViews, PeopleRegister
from services.cases.service_layer.sealing import CaseSeal
from services.cases.service_layer.unit_of_work import CaseUnitOfWork

RETENTION = Principal(subject="cases-retention", roles=("system",), unit=None, areas=())
REASON = "retention"


def purge_expired(command: PurgeExpired, principal, views: CaseViews, people: PeopleRegister,
                  workflows: dict[str, Workflow], clock: Clock, audit: AuditTrail) -> int:
    """How many people were erased now; safe to run from several workers at once (the tombstone is a unique
    insert)."""
    closed_by_person = defaultdict(list)
    for case in views.closed_cases():
        closed_by_person[case.person_code].append(case)
    erased = 0
    for person_code, cases in closed_by_person.items():
        if people.erased(person_code) or not past_retention(
                cases, views.case_count_of(person_code), lambda regime: workflows[regime].retention, clock.today()):
            continue
        with audited_change(audit, RETENTION, "erase_person", "person", person_code, purpose=REASON):
            erased += people.erase(person_code, REASON, len(cases))
    return erased


def reseal_legacy(command: ResealLegacy, principal, uow: CaseUnitOfWork, people: PeopleRegister, seal: CaseSeal,
                  audit: AuditTrail) -> dict:
    """How many people and stored events changed; running it again changes nothing."""
    def case_event(envelope, case):
        return seal.resealed(case, envelope.type, envelope.data)

    def grant_event(envelope, grant):
        return seal.resealed(uow.cases.read(grant.escalated.case_id), envelope.type, envelope.data)

    with audited_change(audit, principal, "reseal_legacy", "log", "cases"):
        changed_people = people.reseal_legacy()
        events = sum(uow.cases.rewrite_log(case_id, case_event) for case_id in list(uow.cases.ids()))
        events += sum(uow.grants.rewrite_log(grant_id, grant_event) for grant_id in list(uow.grants.ids()))
    return {"people": changed_people, "events": events}


HANDLERS = {PurgeExpired: purge_expired, ResealLegacy: reseal_legacy}
