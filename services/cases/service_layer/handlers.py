"""Use cases of the cases service: authorise, load, call the domain, save."""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from shared import areas, audit
from shared.auth import Principal
from shared.crypto import FieldCipher
from shared.envelope import Actor
from shared.errors import Conflict, InvalidInput, NotAuthorised, NotFound
from shared.eventstore import ConcurrencyConflict
from shared.repository import EventSourcedRepository

from services.cases.adapters.documents import CaseSnapshot, GrantSnapshot
from services.cases.adapters.people import PersonRecord
from services.cases.domain.access import CLINICAL, IDENTITY, IDENTITY_CONTACT, LEGAL, section_of, sections_for
from services.cases.domain.commands import (AssignWorker, BreakGlass, ChangePhase, OpenCase, RecordDrugTest,
                                            SettleShare, ShareCase, TransitionCase)
from services.cases.domain.sharing import SharingRefused
from services.cases.domain.grants import AccessGrant
from services.cases.domain.model import DUE_SOON_DAYS, Case, TransitionForbidden
from services.cases.domain.ost import findings_of
from services.cases.domain.workflow import DecisionInvalid, TransitionRefused, Workflow, WorkingCalendar
from services.cases.service_layer.people import PeopleService, communes_in, visible_person
from services.cases.service_layer.treatment import TreatmentUseCases, visible_care

CASE_ROLES = ("caseworker", "police_liaison")
READ_ROLES = (*CASE_ROLES, "health_worker", "admin")
WORKFLOW_ROLES = (*CASE_ROLES, "health_worker")
TESTERS = ("police_liaison", "health_worker")


@contextmanager
def _domain_refusals():
    """The domain's refusals as the service errors callers get: 409, 403 or 422 naming the field."""
    try:
        yield
    except TransitionRefused as refused:
        raise Conflict(str(refused), allowed=refused.allowed) from None
    except SharingRefused as refused:
        raise Conflict(str(refused)) from None
    except TransitionForbidden as forbidden:
        raise NotAuthorised(str(forbidden)) from None
    except DecisionInvalid as invalid:
        raise InvalidInput.field(invalid.field, invalid.message) from None


@dataclass(frozen=True)
class CaseView:
    """A case, the fields of its person, the drug tests and the follow-up, support and therapy records the caller
    may see (domain/access.py)."""
    case: Case
    person: dict | None
    drug_tests: list[dict]
    care: dict


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _visible_test(test: dict, sections: set[str], cipher: FieldCipher, case_id: str) -> dict:
    shown = {k: test[k] for k in ("test_id", "tested_on", "result", "tested_by")}
    if CLINICAL in sections:
        shown["findings"] = test.get("findings") or []
        if test.get("substances_sealed"):
            shown["substances"] = cipher.decrypt(test["substances_sealed"],
                                                 f"case:{case_id}:test:{test['test_id']}").split(",")
    return shown




EXPORT_LIMIT = 50_000
VISIBLE_HISTORY_FIELDS = ("stage", "phase", "regime", "commune_code", "assigned_worker", "due", "last_effective_on",
                          "absconded_on", "opened_on", "case_number")
DECISION_HISTORY_FIELDS = ("transition", "decision_number", "decision_date", "issuing_authority", "document_ref",
                           "term_months", "term_reduction_months", "reason_code")
NOTICE_WINDOW_DAYS = 400
NOTICE_IDS = uuid.UUID("0d6b3f0e-8f7c-4a53-9a0c-3d1f0f1c5e21")


class CaseService(TreatmentUseCases):
    _refused = staticmethod(_domain_refusals)

    def __init__(self, cases: EventSourcedRepository, grants: EventSourcedRepository, people: PeopleService,
                 cipher: FieldCipher, province_code: str, workflows: dict[str, Workflow],
                 working_days: WorkingCalendar, today=date.today):
        self.cases = cases
        self.grants = grants
        self.people = people
        self.cipher = cipher
        self.province_code = province_code
        self.workflows = workflows
        self.working_days = working_days
        self.today = today
        self._swept = False

    def workflow_for(self, opened_on: date) -> Workflow:
        return next(w for w in self.workflows.values() if w.applies_on(opened_on))

    def _require(self, principal: Principal, roles, commune_code: str) -> None:
        if not principal.has_role(*roles) or not areas.within_any(principal.areas, commune_code):
            raise NotAuthorised("this case is outside your role or jurisdiction")

    def _may_act(self, principal: Principal, roles, case: Case) -> None:
        """Write access: the roles, in the case's commune or in a unit the case is referred to."""
        if not principal.has_role(*roles) or not (areas.within_any(principal.areas, case.commune_code)
                                                  or principal.unit in case.referred_units):
            raise NotAuthorised("this case is outside your role or jurisdiction")

    def _act(self, case_id: str, principal: Principal, roles) -> Case:
        """The case, if the caller sees it and may write to it with one of `roles`."""
        case = self._visible(case_id, principal)
        self._may_act(principal, roles, case)
        return case

    def open_case(self, command: OpenCase, principal: Principal) -> CaseView:
        workflow = self._check_opening(command, principal)
        person = self.people.register(command.person, principal, field_prefix="person.") if command.person \
            else self.people.get(command.person_code, principal)[0]
        case = self._open(command, principal, workflow, person, uuid.uuid4().hex)
        return self._view(case, principal, person)

    def check_import_row(self, command: OpenCase, principal: Principal) -> None:
        self._check_opening(command, principal)

    def is_imported(self, case_id: str, person_code: str) -> bool:
        return self.cases.store.has_version(self.cases.stream_id(case_id), 1)

    def import_case(self, command: OpenCase, principal: Principal, case_id: str, person_code: str) -> bool:
        """Open an imported row's case under ids derived from the row; False if it was imported before."""
        if self.is_imported(case_id, person_code):
            return False
        workflow = self._check_opening(command, principal, person_code)
        person = self.people.register(command.person, principal, field_prefix="person.", person_code=person_code)
        try:
            self._open(command, principal, workflow, person, case_id)
        except ConcurrencyConflict:
            return False
        return True

    def _check_opening(self, command: OpenCase, principal: Principal, person_code: str | None = None) -> Workflow:
        """Every rule opening a case must pass, before anything is written."""
        if not principal.has_role(*CASE_ROLES):
            raise NotAuthorised("only caseworkers and police liaison officers open cases")
        if areas.province_of(command.commune_code) != self.province_code or not areas.is_commune(command.commune_code):
            raise InvalidInput.field("commune_code", f"{command.commune_code} is not a commune of this province")
        self._require(principal, CASE_ROLES, command.commune_code)
        if command.opened_on > self.today():
            raise InvalidInput.field("opened_on", "is in the future")
        if (command.person is None) == (command.person_code is None):
            raise InvalidInput.field("person", "give either person (to register) or person_code (registered)")
        workflow = self.workflow_for(command.opened_on)
        self._check_opening_stage(workflow, command.stage)
        if command.person:
            self.people.check(command.person, principal, "person.", person_code)
            birth_date = command.person.birth_date
        else:
            birth_date = self.people.get(command.person_code, principal)[0].birth_date
        if command.opened_on < birth_date:
            raise InvalidInput.field("opened_on", "is before the person's birth")
        return workflow

    def _open(self, command: OpenCase, principal: Principal, workflow: Workflow, person: PersonRecord,
              case_id: str) -> Case:
        case = Case.open(case_id=case_id,
                         case_number=f"{command.commune_code}-{command.opened_on.year}-{case_id[:6].upper()}",
                         person_code=person.person_code, commune_code=command.commune_code,
                         opened_on=command.opened_on, stage=command.stage, regime=workflow.regime,
                         person_birth_date=person.birth_date)
        self.cases.save(case, Actor.of(principal))
        audit.record(principal, "open", "case", case.id, sections_for(principal.roles))
        return case

    @staticmethod
    def _check_opening_stage(workflow: Workflow, stage: str) -> None:
        if stage not in workflow.opening_stages:
            raise InvalidInput.field("stage", f"a {workflow.regime} case opens in {', '.join(workflow.opening_stages)}")

    def sections(self, principal: Principal, case_id: str) -> set[str]:
        """The caller's role sections plus any section opened by break-the-glass and not yet expired."""
        now = datetime.now(timezone.utc)
        granted = {g.section for g in GrantSnapshot.objects(subject=principal.subject, case_id=case_id)
                   if _aware(g.expires_at) > now}
        return sections_for(principal.roles) | granted

    def _view(self, case: Case, principal: Principal, person: PersonRecord | None = None) -> CaseView:
        sections = self.sections(principal, case.id)
        tests = [_visible_test(t, sections, self.cipher, case.id) for t in case.drug_tests] \
            if LEGAL in sections else []
        care = visible_care(case, sections, self.cipher, self.today())
        if IDENTITY not in sections:
            return CaseView(case, None, tests, care)
        return CaseView(case, visible_person(person or self.people.register_.get(case.person_code), sections), tests,
                        care)

    def record_drug_test(self, command: RecordDrugTest, principal: Principal) -> CaseView:
        case = self._act(command.case_id, principal, TESTERS)
        test_id = uuid.uuid4().hex
        sealed = self.cipher.encrypt(",".join(command.substances), f"case:{case.id}:test:{test_id}") \
            if command.substances else None
        with _domain_refusals():
            case.record_drug_test(test_id, command.tested_on, command.result, principal.subject, sealed, self.today(),
                                  findings=findings_of(command.substances),
                                  rules=self.workflows[case.regime].ost_termination)
        self.cases.save(case, Actor.of(principal))
        audit.record(principal, "record_drug_test", "case", case.id, self.sections(principal, case.id))
        return self._view(case, principal)

    def share_case(self, command: ShareCase, principal: Principal) -> CaseView:
        case = self._act(command.case_id, principal, CASE_ROLES if command.kind == "transfer" else WORKFLOW_ROLES)
        if command.kind == "transfer" and (areas.province_of(command.to_commune or "") != self.province_code
                                           or not areas.is_commune(command.to_commune)):
            raise InvalidInput.field("to_commune", "must be a commune of this province; a move out of the province "
                                                   "closes the case as moved_away")
        with _domain_refusals():
            case.share(uuid.uuid4().hex, command.kind, principal.subject, datetime.now(timezone.utc), command.reason,
                       self.workflows[case.regime].flags, to_unit=command.to_unit, to_commune=command.to_commune)
        self.cases.save(case, Actor.of(principal))
        audit.record(principal, f"share:{command.kind}", "case", case.id, {LEGAL})
        return self._view(case, principal)

    def settle_share(self, command: SettleShare, principal: Principal) -> CaseView:
        case = self._visible(command.case_id, principal)
        share = case.shares.get(command.share_id)
        if share is None:
            raise NotFound(f"no referral or transfer {command.share_id} on this case")
        receiver = principal.unit == share["to_unit"] if share["kind"] == "referral" else \
            principal.has_role(*CASE_ROLES) and areas.within_any(principal.areas, share["to_commune"])
        sender = principal.has_role(*WORKFLOW_ROLES) and areas.within_any(principal.areas, case.commune_code)
        if not (receiver if command.status in ("accepted", "rejected") else sender):
            raise NotAuthorised("only the receiver accepts or rejects, and only the sender revokes")
        with _domain_refusals():
            case.settle_share(command.share_id, command.status, principal.subject, datetime.now(timezone.utc),
                              command.reason)
        self.cases.save(case, Actor.of(principal))
        audit.record(principal, f"share:{command.status}", "case", case.id, {LEGAL})
        return self._view(case, principal)

    def break_glass(self, command: BreakGlass, principal: Principal) -> AccessGrant:
        case = self._visible(command.case_id, principal)
        with _domain_refusals():
            grant = AccessGrant.open(uuid.uuid4().hex, case.id, case.commune_code, principal.subject,
                                     Actor.of(principal).role, command.section, command.reason, datetime.now(timezone.utc))
        self.grants.save(grant, Actor.of(principal))
        audit.record(principal, "break_glass", "case", case.id, {command.section}, purpose=command.reason)
        return grant

    def assign_worker(self, command: AssignWorker, principal: Principal) -> CaseView:
        case = self._act(command.case_id, principal, CASE_ROLES)
        case = self.cases.get_for_update(command.case_id, command.expected_version)
        case.assign_worker(command.worker_id)
        self.cases.save(case, Actor.of(principal))
        audit.record(principal, "assign_worker", "case", case.id, sections_for(principal.roles))
        return self._view(case, principal)

    def transition_case(self, command: TransitionCase, principal: Principal) -> CaseView:
        case = self._act(command.case_id, principal, WORKFLOW_ROLES)
        case = self.cases.get_for_update(command.case_id, command.expected_version)
        with _domain_refusals():
            case.transition(self.workflows[case.regime], command.transition, principal.roles, command.effective_on,
                            command.decision, self.working_days, self.today(), by_unit=principal.unit)
        self.cases.save(case, Actor.of(principal))
        audit.record(principal, f"transition:{command.transition}", "case", case.id, sections_for(principal.roles))
        return self._view(case, principal)

    def change_phase(self, command: ChangePhase, principal: Principal) -> CaseView:
        case = self._act(command.case_id, principal, CASE_ROLES)
        with _domain_refusals():
            case.change_phase(self.workflows[case.regime], command.phase, command.effective_on, principal.subject,
                              self.today())
        self.cases.save(case, Actor.of(principal))
        audit.record(principal, "change_phase", "case", case.id, {LEGAL})
        return self._view(case, principal)

    def allowed_transitions(self, case_id: str, principal: Principal) -> tuple[Case, list]:
        case = self._visible(case_id, principal)
        audit.record(principal, "read_transitions", "case", case_id, {LEGAL})
        workflow = self.workflows[case.regime]
        return case, [workflow.transition(name) for name in case.allowed_transitions(workflow, principal.roles)]

    def list_workflows(self) -> list[Workflow]:
        return list(self.workflows.values())

    def notice_due_dates(self) -> int:
        """Append the due-soon and overdue notices now owed. Safe with several workers: a notice's event id
        derives from the case, due name and date, so a second worker's append of the same notice is a no-op.

        Cases are found by `next_notice_on` among the last `NOTICE_WINDOW_DAYS` days: an `$in` of dates the store
        answers from an index. The first run of a process sweeps every case with a due date instead (a range the
        store scans), which also catches snapshots written before `next_notice_on` existed."""
        today = self.today()
        if self._swept:
            days = [(today - timedelta(days=back)).isoformat() for back in range(NOTICE_WINDOW_DAYS)]
            owing = CaseSnapshot.objects(next_notice_on__in=days)
        else:
            owing = CaseSnapshot.objects(next_due_on__lte=(today + timedelta(days=DUE_SOON_DAYS)).isoformat())
        noticed = 0
        for snapshot in list(owing.only("id")):
            case = self.cases.get(snapshot.id)
            owed = case.due_notices(today, DUE_SOON_DAYS)
            if not owed:
                continue
            for notice in owed:
                case.notice(notice)
            ids = [str(uuid.uuid5(NOTICE_IDS, f"{case.id}:{n.notice_key}")) for n in owed]
            try:
                self.cases.save(case, Actor.system("cases"), event_ids=ids)
            except ConcurrencyConflict:
                continue
            noticed += len(owed)
        self._swept = True
        return noticed

    def get_case(self, case_id: str, principal: Principal) -> CaseView:
        case = self._visible(case_id, principal)
        audit.record(principal, "read", "case", case_id, self.sections(principal, case_id))
        return self._view(case, principal)

    def my_work(self, principal: Principal, within_days: int = 7) -> dict[str, list[dict]]:
        """The caller's assigned cases whose next due date has passed or comes within `within_days`, and for a
        clinic's health workers the methadone termination proposals awaiting its decision."""
        today = self.today()
        horizon = (today + timedelta(days=within_days)).isoformat()
        work = {"overdue": [], "due_soon": []}
        listed = []
        for snapshot in CaseSnapshot.objects(assigned_worker=principal.subject, next_due_on__lte=horizon):
            if not areas.within_any(principal.areas, snapshot.commune_code):
                continue
            due = {name: on for name, on in snapshot.state["due"].items() if on <= horizon}
            item = {"case_id": snapshot.id, "case_number": snapshot.case_number, "stage": snapshot.stage,
                    "next_due_on": snapshot.next_due_on, "due": due}
            work["overdue" if snapshot.next_due_on < today.isoformat() else "due_soon"].append(item)
            listed.append(snapshot.id)
        for items in work.values():
            items.sort(key=lambda item: item["next_due_on"])
        work["termination_proposals"] = self._proposals_for(principal) if principal.unit and \
            principal.has_role("health_worker") else []
        audit.record_many(principal, "my_work", "case", listed, {LEGAL})
        audit.record_many(principal, "my_work", "case", [p["case_id"] for p in work["termination_proposals"]],
                          {CLINICAL})
        return work

    @staticmethod
    def _proposals_for(principal: Principal) -> list[dict]:
        return sorted(({"case_id": snapshot.id, "case_number": snapshot.case_number, "proposal_id": proposal_id,
                        "ground": proposal["ground"], "proposed_on": proposal["proposed_on"]}
                       for snapshot in CaseSnapshot.objects(proposals_for=principal.unit)
                       for proposal_id, proposal in snapshot.state["therapy"]["proposals"].items()
                       if proposal["status"] == "open"), key=lambda item: item["proposed_on"])

    def export(self, principal: Principal, **filters) -> tuple[list[str], list[list]]:
        """The filtered case list as rows for a spreadsheet, with only the columns the caller's sections allow."""
        snapshots, _ = self.list_cases(principal, first=0, limit=EXPORT_LIMIT, audited=False, **filters)
        sections = sections_for(principal.roles)
        columns = ["case_number", "person_code", "commune_code", "stage", "regime", "opened_on", "next_due_on",
                   "assigned_worker"]
        if IDENTITY in sections:
            columns += ["full_name", "birth_date", "sex"]
        if IDENTITY_CONTACT in sections:
            columns += ["national_id", "phone", "address"]
        rows = []
        for snapshot in snapshots:
            person = self.people.register_.get(snapshot.state["person_code"]) if IDENTITY in sections else None
            values = {**snapshot.state, "next_due_on": snapshot.next_due_on,
                      **({k: getattr(person, k) for k in ("full_name", "birth_date", "sex", "national_id", "phone",
                                                           "address")} if person else {})}
            rows.append([values.get(column) for column in columns])
        audit.record_many(principal, "export", "case", [s.id for s in snapshots], sections)
        return columns, rows

    def history(self, case_id: str, principal: Principal, user: str | None = None,
                field: str | None = None) -> list[dict]:
        """The case's stream as a timeline: who did what, when, and which fields changed from what to what. Steps
        of a section the caller may not see (a dose, a loan) are left out, not only their details."""
        self._visible(case_id, principal)
        sections = self.sections(principal, case_id)
        audit.record(principal, "read_history", "case", case_id, sections)
        replayed = Case(case_id)
        timeline = []
        for envelope in self.cases.store.load(self.cases.stream_id(case_id)):
            before = replayed.snapshot() if replayed.version else {}
            replayed.apply(Case.event_from(envelope.type, envelope.data))
            replayed.version = envelope.stream.version
            if section_of(envelope.type) not in sections:
                continue
            after = replayed.snapshot()
            changes = {k: [before.get(k), v] for k, v in after.items()
                       if before.get(k) != v and k in VISIBLE_HISTORY_FIELDS}
            entry = {"version": envelope.stream.version, "type": envelope.type, "occurred_at": envelope.occurred_at,
                     "actor": vars(envelope.actor), "changes": changes,
                     "decision": {k: envelope.data.get(k) for k in DECISION_HISTORY_FIELDS if envelope.data.get(k)}}
            if (user is None or entry["actor"]["id"] == user) and (field is None or field in changes):
                timeline.append(entry)
        return timeline

    def _visible(self, case_id: str, principal: Principal) -> Case:
        """A case is visible to its commune's agencies, to units it is referred to, and to the commune a
        transfer is pending to."""
        case = self.cases.get(case_id)
        transfer = case.pending_transfer if case else None
        reachable = case is not None and (
            areas.within_any(principal.areas, case.commune_code) or principal.unit in case.offered_units
            or (transfer is not None and areas.within_any(principal.areas, transfer["to_commune"])))
        if not reachable or not principal.has_role(*READ_ROLES):
            if case is not None:
                audit.record(principal, "read", "case", case_id, outcome="denied")
            raise NotFound(f"no case {case_id} in your jurisdiction")
        return case

    def list_cases(self, principal: Principal, *, commune_code=None, stage=None, assigned_worker=None,
                   case_number=None, q=None, national_id=None, due_from=None, due_until=None,
                   first: int = 0, limit: int = 50, audited: bool = True) -> tuple[list[CaseSnapshot], int]:
        """Cases in the caller's jurisdiction, filtered the way people search: a name typed without diacritics,
        an ID number, a case number, a stage, a worker, a range of the next due date."""
        if not principal.has_role(*READ_ROLES):
            raise NotAuthorised("your role does not list cases")
        communes = communes_in(principal.areas)
        if commune_code is not None:
            communes &= {commune_code}
        query = CaseSnapshot.objects(commune_code__in=sorted(communes))
        if q or national_id:
            if IDENTITY not in sections_for(principal.roles):
                raise NotAuthorised("your role does not search by identity")
            query = query.filter(person_code__in=self.people.register_.codes_matching(sorted(communes), q,
                                                                                      national_id))
        for name, value in (("stage", stage), ("assigned_worker", assigned_worker), ("case_number", case_number)):
            if value:
                query = query.filter(**{name: value})
        if due_from:
            query = query.filter(next_due_on__gte=due_from.isoformat())
        if due_until:
            query = query.filter(next_due_on__lte=due_until.isoformat())
        query = query.order_by("-opened_on", "id")
        found = list(query.skip(first).limit(limit))
        if audited:
            audit.record_many(principal, "list", "case", [s.id for s in found],
                              sections_for(principal.roles) - {IDENTITY_CONTACT, CLINICAL})
        return found, query.count()
