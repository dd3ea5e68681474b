"""A rehabilitation and aftercare case: the stream of legal facts about one person's path."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from shared.aggregate import Aggregate, DomainEvent, VariantEvent

from services.cases.domain.care import (CHECK_IN_DUE, CareRecords, FollowUpPlanned, SupportRecorded,
                                        VisitRecorded)
from services.cases.domain.ost import (MethadoneRecords, OstBreachRecorded, OstDoseRecorded, OstPhaseChanged,
                                       OstTerminationDismissed, OstTerminationProposed, TerminationRules, Therapy,
                                       therapy_from, therapy_state)
from services.cases.domain.sharing import (ACCEPTED, OPEN, REJECTED, REVOKED, CaseShared, SharingRefused,
                                           event_type, police_notice_deadline)
from services.cases.domain.workflow import (DecisionInvalid, TransitionRefused, Workflow, WorkingCalendar,
                                            age_group, check_consent, check_decision, check_reason, due_dates,
                                            reduced_due)


class TransitionForbidden(Exception):
    """The caller's role may not trigger this transition."""


@dataclass(frozen=True)
class CaseOpened(DomainEvent):
    type = "cases.case.opened"
    case_id: str
    case_number: str
    person_code: str
    commune_code: str
    regime: str
    stage: str
    opened_on: date
    person_birth_date: date | None = None


@dataclass(frozen=True)
class CaseWorkerAssigned(DomainEvent):
    type = "cases.case.worker_assigned"
    case_id: str
    commune_code: str
    worker_id: str


@dataclass(frozen=True)
class CaseTransitioned(VariantEvent):
    """A step of the regime's workflow; its type is the transition's `emits` (e.g. cases.case.relapse_reported)."""
    case_id: str
    case_number: str
    person_code: str
    commune_code: str
    regime: str
    transition: str
    from_stage: str
    to_stage: str
    effective_on: date
    due: dict = field(default_factory=dict)
    decision_number: str | None = None
    decision_date: date | None = None
    issuing_authority: str | None = None
    document_ref: str | None = None
    term_months: int | None = None
    reason_code: str | None = None
    reason: str | None = None
    drugs_declared: list | None = None
    guardian_consent_ref: str | None = None
    term_reduction_months: int | None = None
    by_unit: str | None = None
    due_started: dict = field(default_factory=dict)
    phase: str | None = None


@dataclass(frozen=True)
class CasePhaseChanged(DomainEvent):
    """The next phase of a stage that has phases (the five of a rehab facility)."""
    type = "cases.case.phase_changed"
    published = False
    case_id: str
    stage: str
    phase: str
    effective_on: date
    changed_by: str


@dataclass(frozen=True)
class CaseDueNoticed(VariantEvent):
    """A due date came near (`cases.case.due_soon`) or passed (`cases.case.overdue`); recorded once each."""
    case_id: str
    case_number: str
    commune_code: str
    due_name: str
    due_on: date

    @property
    def notice_key(self) -> str:
        return notice_key(self.event_type, self.due_name, self.due_on)


@dataclass(frozen=True)
class DrugTestRecorded(DomainEvent):
    type = "cases.case.drug_test_recorded"
    case_id: str
    case_number: str
    commune_code: str
    test_id: str
    tested_on: date
    result: str
    tested_by: str
    substances_sealed: str | None = None
    findings: tuple = ()


@dataclass(frozen=True)
class RelapseSuspected(DomainEvent):
    """A positive test during aftercare or methadone: the commune police and caseworker must know."""
    type = "cases.case.relapse_suspected"
    case_id: str
    case_number: str
    commune_code: str
    stage: str
    tested_on: date


RELAPSE_WATCH_STAGES = ("aftercare", "ost")
DUE_SOON_DAYS = 14
TEST_RESULTS = ("positive", "negative")


def notice_key(event_type: str, due_name: str, due_on: date) -> str:
    return f"{event_type.rsplit('.', 1)[1]}:{due_name}:{due_on.isoformat()}"


class Case(CareRecords, MethadoneRecords, Aggregate):
    stream_type = "case"
    event_types = {e.type: e for e in (
        CaseOpened, CaseWorkerAssigned, CasePhaseChanged, DrugTestRecorded, RelapseSuspected, FollowUpPlanned,
        VisitRecorded,
        SupportRecorded, OstPhaseChanged, OstDoseRecorded, OstBreachRecorded, OstTerminationProposed,
        OstTerminationDismissed)}

    def __init__(self, id: str):
        super().__init__(id)
        self.case_number = self.person_code = self.commune_code = self.regime = self.stage = None
        self.opened_on: date | None = None
        self.person_birth_date: date | None = None
        self.assigned_worker: str | None = None
        self.due: dict[str, date] = {}
        self.last_effective_on: date | None = None
        self.absconded_on: date | None = None
        self.notices: list[str] = []
        self.drug_tests: list[dict] = []
        self.shares: dict[str, dict] = {}
        self.follow_up: dict | None = None
        self.visits: list[dict] = []
        self.support: list[dict] = []
        self.therapy: Therapy | None = None
        self.phase: str | None = None
        self.phase_since: date | None = None
        self.due_started: dict[str, date] = {}

    @classmethod
    def event_from(cls, event_type: str, data: dict) -> DomainEvent:
        if event_type in cls.event_types:
            return super().event_from(event_type, data)
        if "share_id" in data:
            return CaseShared.from_data({**data, "event_type": event_type})
        event_cls = CaseDueNoticed if event_type in ("cases.case.due_soon", "cases.case.overdue") \
            else CaseTransitioned
        event = event_cls.from_data({**data, "event_type": event_type})
        if isinstance(event, CaseTransitioned):
            dates = lambda d: {k: date.fromisoformat(v) if isinstance(v, str) else v for k, v in d.items()}  # noqa
            event = CaseTransitioned(**{**event.__dict__, "due": dates(event.due),
                                        "due_started": dates(event.due_started)})
        return event

    @property
    def area_code(self) -> str | None:
        return self.commune_code

    @classmethod
    def open(cls, case_id: str, case_number: str, person_code: str, commune_code: str, opened_on: date,
             stage: str, regime: str, person_birth_date: date | None = None) -> "Case":
        case = cls(case_id)
        case.record(CaseOpened(case_id=case_id, case_number=case_number, person_code=person_code,
                               commune_code=commune_code, regime=regime, stage=stage, opened_on=opened_on,
                               person_birth_date=person_birth_date))
        return case

    def assign_worker(self, worker_id: str) -> None:
        if worker_id != self.assigned_worker:
            self.record(CaseWorkerAssigned(case_id=self.id, commune_code=self.commune_code, worker_id=worker_id))

    def allowed_transitions(self, workflow: Workflow, roles) -> list[str]:
        return [t.name for t in workflow.from_stage(self.stage) if set(roles) & set(t.roles)]

    def transition(self, workflow: Workflow, name: str, roles, effective_on: date, decision: dict,
                   working: WorkingCalendar, today: date, by_unit: str | None = None) -> None:
        """`by_unit` is the deciding unit: on admission to methadone, the treating clinic."""
        allowed = self.allowed_transitions(workflow, roles)
        step = workflow.transition(name)
        if step is None or self.stage not in step.from_stages:
            raise TransitionRefused(f"{name} is not allowed from stage {self.stage} under {workflow.regime}", allowed)
        if not set(roles) & set(step.roles):
            raise TransitionForbidden(f"{name} needs one of the roles {', '.join(step.roles)}")
        if effective_on > today:
            raise DecisionInvalid("effective_on", "is in the future")
        if effective_on < (self.last_effective_on or self.opened_on):
            raise DecisionInvalid("effective_on", "is before the case's last recorded step")
        age = age_group(self.person_birth_date, effective_on) if self.person_birth_date else "adult"
        check_decision(step, decision, age)
        check_consent(step, decision, self.person_birth_date, effective_on)
        kept = (*step.keeps_due, *((CHECK_IN_DUE,) if self.follow_up and step.to != "closed" else ()))
        due = {k: v for k, v in self.due.items() if k in kept}
        started = {k: v for k, v in self.due_started.items() if k in due}
        if step.extends_by_time_away and self.absconded_on and step.extends_by_time_away in due:
            due[step.extends_by_time_away] += timedelta(days=(effective_on - self.absconded_on).days)
        new_dues = due_dates(step, effective_on, decision, age, working)
        due.update(new_dues)
        started.update({name: effective_on for name in new_dues})
        if step.reduces:
            due[step.reduces.due_name] = reduced_due(step.reduces, due, started, effective_on, decision)
        phase = self.phase if step.keeps_phase else next(iter(workflow.phases_of(step.to)), None)
        self.record(CaseTransitioned(
            event_type=step.emits, case_id=self.id, case_number=self.case_number, person_code=self.person_code,
            commune_code=self.commune_code, regime=self.regime, transition=step.name, from_stage=self.stage,
            to_stage=step.to, effective_on=effective_on, due=due, by_unit=by_unit, due_started=started, phase=phase,
            **{k: decision.get(k) for k in ("decision_number", "decision_date", "issuing_authority", "document_ref",
                                            "term_months", "reason_code", "reason", "drugs_declared",
                                            "guardian_consent_ref", "term_reduction_months")}))

    def change_phase(self, workflow: Workflow, phase: str, effective_on: date, by: str, today: date) -> None:
        """Move to the next phase of the current stage; a case whose phase is not known yet may take any."""
        phases = workflow.phases_of(self.stage)
        if not phases:
            raise DecisionInvalid("phase", f"stage {self.stage} has no phases")
        if phase not in phases:
            raise DecisionInvalid("phase", f"must be one of {', '.join(phases)}")
        if self.phase in phases and phases.index(phase) != phases.index(self.phase) + 1:
            following = phases[phases.index(self.phase) + 1:]
            raise DecisionInvalid("phase", f"the next phase is {following[0]}" if following
                                  else f"{self.phase} is the last phase")
        self._check_fact_date("effective_on", effective_on, today)
        if effective_on < (self.phase_since or self.last_effective_on or self.opened_on):
            raise DecisionInvalid("effective_on", "is before the current phase began")
        self.record(CasePhaseChanged(case_id=self.id, stage=self.stage, phase=phase, effective_on=effective_on,
                                     changed_by=by))

    def _check_fact_date(self, field_name: str, on: date, today: date) -> None:
        """A fact about the person happened while the case was open, and not in the future."""
        if on > today:
            raise DecisionInvalid(field_name, "is in the future")
        if on < self.opened_on:
            raise DecisionInvalid(field_name, "is before the case was opened")
        if self.stage == "closed" and on > self.last_effective_on:
            raise DecisionInvalid(field_name, "is after the case was closed")

    def record_drug_test(self, test_id: str, tested_on: date, result: str, tested_by: str,
                         substances_sealed: str | None, today: date, findings=(),
                         rules: TerminationRules = TerminationRules()) -> None:
        """`substances_sealed` is the caller's encryption of the substances; `findings` what they mean for
        methadone therapy (ost.findings_of). A positive test may complete a termination rule of the therapy."""
        self._check_fact_date("tested_on", tested_on, today)
        if result not in TEST_RESULTS:
            raise DecisionInvalid("result", f"must be one of {', '.join(TEST_RESULTS)}")
        findings = tuple(findings) if result == "positive" else ()
        self.record(DrugTestRecorded(case_id=self.id, case_number=self.case_number, commune_code=self.commune_code,
                                     test_id=test_id, tested_on=tested_on, result=result, tested_by=tested_by,
                                     substances_sealed=substances_sealed, findings=findings))
        if result == "positive" and self.stage in RELAPSE_WATCH_STAGES:
            self.record(RelapseSuspected(case_id=self.id, case_number=self.case_number,
                                         commune_code=self.commune_code, stage=self.stage, tested_on=tested_on))
        self._propose_after_test(rules, tested_on, findings, today)

    @property
    def referred_units(self) -> set[str]:
        """Units that may work the case: referrals they accepted."""
        return {s["to_unit"] for s in self.shares.values() if s["kind"] == "referral" and s["status"] == ACCEPTED}

    @property
    def offered_units(self) -> set[str]:
        """Units that may read the case to decide on a referral, or work it after accepting."""
        return self.referred_units | {s["to_unit"] for s in self.shares.values()
                                      if s["kind"] == "referral" and s["status"] == OPEN}

    @property
    def pending_transfer(self) -> dict | None:
        return next((s for s in self.shares.values() if s["kind"] == "transfer" and s["status"] == OPEN), None)

    def share(self, share_id: str, kind: str, by: str, at: datetime, reason: str, flags=(), to_unit=None,
              to_commune=None) -> None:
        check_reason(reason)
        if self.stage == "closed":
            raise SharingRefused("a closed case is not shared")
        if kind == "transfer":
            if self.pending_transfer:
                raise SharingRefused("a transfer of this case is already pending")
            if to_commune == self.commune_code:
                raise DecisionInvalid("to_commune", "is the case's own commune")
        if kind == "referral" and to_unit in {s["to_unit"] for s in self.shares.values()
                                              if s["kind"] == "referral" and s["status"] in (OPEN, ACCEPTED)}:
            raise SharingRefused(f"the case is already referred to {to_unit}")
        self.record(CaseShared(event_type=event_type(kind, OPEN), case_id=self.id, case_number=self.case_number,
                               commune_code=self.commune_code, share_id=share_id, kind=kind, status=OPEN, by=by,
                               at=at, reason=reason, to_unit=to_unit, to_commune=to_commune,
                               notify_police_by=police_notice_deadline(flags, at) if kind == "transfer" else None))

    def settle_share(self, share_id: str, status: str, by: str, at: datetime, reason: str) -> None:
        """Accept or reject (the receiver), or revoke (the sender) an open referral or transfer; a referral that
        was accepted can still be revoked."""
        check_reason(reason)
        share = self.shares.get(share_id)
        if share is None:
            raise SharingRefused(f"no referral or transfer {share_id} on this case")
        revocable = share["status"] == OPEN or (share["kind"] == "referral" and share["status"] == ACCEPTED)
        if (status == REVOKED and not revocable) or (status in (ACCEPTED, REJECTED) and share["status"] != OPEN):
            raise SharingRefused(f"the {share['kind']} is {share['status']}")
        self.record(CaseShared(event_type=event_type(share["kind"], status), case_id=self.id,
                               case_number=self.case_number, commune_code=self.commune_code, share_id=share_id,
                               kind=share["kind"], status=status, by=by, at=at, reason=reason,
                               to_unit=share["to_unit"], to_commune=share["to_commune"]))

    def due_notices(self, today: date, soon_days: int) -> list[CaseDueNoticed]:
        """Notices now owed: `overdue` once a due date has passed, `due_soon` within `soon_days` of it."""
        owed = []
        for name, due_on in sorted(self.due.items()):
            kind = "cases.case.overdue" if due_on < today else \
                "cases.case.due_soon" if (due_on - today).days <= soon_days else None
            if kind and notice_key(kind, name, due_on) not in self.notices:
                owed.append(CaseDueNoticed(event_type=kind, case_id=self.id, case_number=self.case_number,
                                           commune_code=self.commune_code, due_name=name, due_on=due_on))
        return owed

    def next_notice_on(self, soon_days: int = DUE_SOON_DAYS) -> date | None:
        """The first day on which `due_notices` will owe a notice not recorded yet, if any."""
        days = []
        for name, due_on in self.due.items():
            if notice_key("cases.case.overdue", name, due_on) in self.notices:
                continue
            soon_noticed = notice_key("cases.case.due_soon", name, due_on) in self.notices
            days.append(due_on + timedelta(days=1) if soon_noticed else due_on - timedelta(days=soon_days))
        return min(days, default=None)

    def notice(self, event: CaseDueNoticed) -> None:
        self.record(event)

    def _on_CaseOpened(self, event: CaseOpened) -> None:
        self.case_number, self.person_code = event.case_number, event.person_code
        self.commune_code, self.regime, self.stage = event.commune_code, event.regime, event.stage
        self.opened_on, self.person_birth_date = event.opened_on, event.person_birth_date

    def _on_CaseWorkerAssigned(self, event: CaseWorkerAssigned) -> None:
        self.assigned_worker = event.worker_id

    def _on_CaseTransitioned(self, event: CaseTransitioned) -> None:
        if event.phase != self.phase:
            self.phase, self.phase_since = event.phase, event.effective_on if event.phase else None
        self.due_started = dict(event.due_started)
        self.stage, self.due, self.last_effective_on = event.to_stage, dict(event.due), event.effective_on
        self.absconded_on = event.effective_on if event.to_stage == "absconded" else None
        self.therapy = Therapy(admitted_on=event.effective_on, clinic_unit=event.by_unit,
                               phase_since=event.effective_on) if event.to_stage == "ost" else None
        if event.to_stage == "closed":
            self.follow_up = None

    def _on_CasePhaseChanged(self, event: CasePhaseChanged) -> None:
        self.phase, self.phase_since = event.phase, event.effective_on

    def _on_DrugTestRecorded(self, event: DrugTestRecorded) -> None:
        self.drug_tests = [*self.drug_tests, {"test_id": event.test_id, "tested_on": event.tested_on.isoformat(),
                                              "result": event.result, "tested_by": event.tested_by,
                                              "substances_sealed": event.substances_sealed,
                                              "findings": list(event.findings)}]

    def _on_RelapseSuspected(self, event: RelapseSuspected) -> None:
        pass

    def _on_CaseShared(self, event: CaseShared) -> None:
        share = {"kind": event.kind, "status": event.status, "to_unit": event.to_unit,
                 "to_commune": event.to_commune, "requested_at": event.at.isoformat(),
                 "notify_police_by": event.notify_police_by.isoformat() if event.notify_police_by else None}
        previous = self.shares.get(event.share_id, {})
        self.shares = {**self.shares, event.share_id: {**share, **{k: v for k, v in previous.items()
                                                                  if k in ("requested_at", "notify_police_by")},
                                                       "status": event.status}}
        if event.kind == "transfer" and event.status == ACCEPTED:
            self.commune_code = event.to_commune

    def _on_CaseDueNoticed(self, event: CaseDueNoticed) -> None:
        self.notices = [*self.notices, event.notice_key]

    def snapshot(self) -> dict:
        iso = lambda d: d.isoformat() if d else None  # noqa: E731
        return {"case_number": self.case_number, "person_code": self.person_code,
                "commune_code": self.commune_code, "regime": self.regime, "stage": self.stage,
                "opened_on": iso(self.opened_on), "person_birth_date": iso(self.person_birth_date),
                "assigned_worker": self.assigned_worker, "due": {k: iso(v) for k, v in self.due.items()},
                "last_effective_on": iso(self.last_effective_on), "absconded_on": iso(self.absconded_on),
                "notices": self.notices, "drug_tests": self.drug_tests, "shares": self.shares,
                "follow_up": self.follow_up, "visits": self.visits, "support": self.support,
                "therapy": therapy_state(self.therapy), "phase": self.phase, "phase_since": iso(self.phase_since),
                "due_started": {k: iso(v) for k, v in self.due_started.items()}}

    @classmethod
    def from_snapshot(cls, id: str, state: dict, version: int) -> "Case":
        case = cls(id)
        parse = lambda v: date.fromisoformat(v) if v else None  # noqa: E731
        case.case_number, case.person_code = state["case_number"], state["person_code"]
        case.commune_code, case.regime, case.stage = state["commune_code"], state["regime"], state["stage"]
        case.opened_on, case.person_birth_date = parse(state["opened_on"]), parse(state.get("person_birth_date"))
        case.assigned_worker = state.get("assigned_worker")
        case.due = {k: parse(v) for k, v in (state.get("due") or {}).items()}
        case.last_effective_on = parse(state.get("last_effective_on"))
        case.absconded_on = parse(state.get("absconded_on"))
        case.notices = list(state.get("notices") or [])
        case.drug_tests = list(state.get("drug_tests") or [])
        case.shares = dict(state.get("shares") or {})
        case.follow_up = state.get("follow_up")
        case.visits = list(state.get("visits") or [])
        case.support = list(state.get("support") or [])
        case.therapy = therapy_from(state.get("therapy"))
        case.phase, case.phase_since = state.get("phase"), parse(state.get("phase_since"))
        case.due_started = {k: parse(v) for k, v in (state.get("due_started") or {}).items()}
        if case.stage == "ost" and case.therapy is None:
            case.therapy = Therapy(admitted_on=case.last_effective_on, phase_since=case.last_effective_on)
        case.version = version
        return case
