"""A rehabilitation and aftercare case: the stream of legal facts about one person's path."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from shared.aggregate import Aggregate

from services.cases.domain.consent import CONSENT_EVENTS, ConsentRecords
from services.cases.domain.care import CHECK_IN_DUE, CareRecords, FollowUpPlanned, SupportRecorded, VisitRecorded
from services.cases.domain.events import (DUE_TYPES, CaseDueNoticed, CaseOpened, CasePhaseChanged,
                                          CaseTransitioned, CaseWorkerAssigned, DrugTestRecorded, RelapseSuspected,
                                          notice_key)
from services.cases.domain.ost import (MethadoneRecords, OstBreachRecorded, OstDoseRecorded, OstPhaseChanged,
                                       OstTerminationDismissed, OstTerminationProposed, TerminationRules, Therapy,
                                       recorded_findings)
from services.cases.domain.rules import DecisionInvalid, TransitionForbidden, TransitionRefused, check_fact_date
from services.cases.domain.sharing import SHARING_TYPES, CaseShared, SharingRecords
from services.cases.domain.workflow import (Decision, Transition, Workflow, WorkingCalendar, age_group,
                                            check_consent, check_decision, due_dates, reduced_due)

RELAPSE_WATCH_STAGES = ("aftercare", "ost")
DUE_SOON_DAYS = 14
TEST_RESULTS = ("positive", "negative")


class CaseEventTypes(dict):
    """The event class of each stored type. A step's type is its transition's `emits` in today's workflow files; a
    step recorded under a type no file emits any more (a regime's file was changed) still reads as a step, so the
    cases holding it stay readable."""

    def __missing__(self, event_type: str):
        if event_type.startswith("cases.case."):
            return CaseTransitioned
        raise KeyError(event_type)


@dataclass(eq=False)
class Case(SharingRecords, ConsentRecords, CareRecords, MethadoneRecords, Aggregate):
    """The case's state is its fields; `event_types` are the events whose type is fixed, `event_types_with` adds
    the steps a regime's workflow emits."""
    stream_type = "case"
    event_types = {
        **{e.type: e for e in (CaseOpened, CaseWorkerAssigned, CasePhaseChanged, DrugTestRecorded, RelapseSuspected,
                               FollowUpPlanned, VisitRecorded, SupportRecorded, OstPhaseChanged, OstDoseRecorded,
                               OstBreachRecorded, OstTerminationProposed, OstTerminationDismissed,
                               *CONSENT_EVENTS)},
        **{t: CaseShared for t in SHARING_TYPES}, **{t: CaseDueNoticed for t in DUE_TYPES}}
    id: str
    case_number: str | None = None
    person_code: str | None = None
    commune_code: str | None = None
    regime: str | None = None
    stage: str | None = None
    opened_on: date | None = None
    person_birth_date: date | None = None
    assigned_worker: str | None = None
    due: dict[str, date] = field(default_factory=dict)
    due_started: dict[str, date] = field(default_factory=dict)
    last_effective_on: date | None = None
    absconded_on: date | None = None
    phase: str | None = None
    phase_since: date | None = None
    notices: list[str] = field(default_factory=list)
    drug_tests: list[dict] = field(default_factory=list)
    shares: dict[str, dict] = field(default_factory=dict)
    consents: dict[str, dict] = field(default_factory=dict)
    follow_up: dict | None = None
    visits: list[dict] = field(default_factory=list)
    support: list[dict] = field(default_factory=list)
    therapy: Therapy | None = None

    @classmethod
    def event_types_with(cls, workflows) -> "CaseEventTypes":
        """Every event type a case may hold under `workflows`, with its class."""
        return CaseEventTypes({**cls.event_types, **{t.emits: CaseTransitioned for w in workflows
                                                     for t in w.transitions}})

    @classmethod
    def from_snapshot(cls, id: str, state: dict, version: int) -> "Case":
        case = super().from_snapshot(id, state, version)
        if case.stage == "ost" and case.therapy is None:
            case.therapy = Therapy(admitted_on=case.last_effective_on, phase_since=case.last_effective_on)
        return case

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

    def transition(self, workflow: Workflow, name: str, roles, effective_on: date, decision: Decision,
                   working: WorkingCalendar, today: date, by_unit: str | None = None) -> None:
        """`by_unit` is the deciding unit: on admission to methadone, the treating clinic."""
        step = self._step(workflow, name, roles)
        if effective_on > today:
            raise DecisionInvalid("effective_on", "is in the future")
        if effective_on < (self.last_effective_on or self.opened_on):
            raise DecisionInvalid("effective_on", "is before the case's last recorded step")
        age = age_group(self.person_birth_date, effective_on) if self.person_birth_date else "adult"
        check_decision(step, decision, age)
        check_consent(step, decision, self.person_birth_date, effective_on)
        due, started = self._dues_after(step, effective_on, decision, age, working)
        phase = self.phase if step.keeps_phase else next(iter(workflow.phases_of(step.to)), None)
        self.record(CaseTransitioned(
            event_type=step.emits, case_id=self.id, case_number=self.case_number, person_code=self.person_code,
            commune_code=self.commune_code, regime=self.regime, transition=step.name, from_stage=self.stage,
            to_stage=step.to, effective_on=effective_on, due=due, by_unit=by_unit, due_started=started, phase=phase,
            **vars(decision)))

    def _step(self, workflow: Workflow, name: str, roles) -> Transition:
        step = workflow.transition(name)
        if step is None or self.stage not in step.from_stages:
            raise TransitionRefused(f"{name} is not allowed from stage {self.stage} under {workflow.regime}",
                                    self.allowed_transitions(workflow, roles))
        if not set(roles) & set(step.roles):
            raise TransitionForbidden(f"{name} needs one of the roles {', '.join(step.roles)}")
        return step

    def _dues_after(self, step: Transition, effective_on: date, decision: Decision, age: str,
                    working: WorkingCalendar) -> tuple[dict[str, date], dict[str, date]]:
        """The due dates after `step`, and the day each began: those it keeps (time absconded added to the one it
        extends), those it sets, and the one it brings forward."""
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
        return due, started

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
        self.check_fact_date("effective_on", effective_on, today)
        if effective_on < (self.phase_since or self.last_effective_on or self.opened_on):
            raise DecisionInvalid("effective_on", "is before the current phase began")
        self.record(CasePhaseChanged(case_id=self.id, stage=self.stage, phase=phase, effective_on=effective_on,
                                     changed_by=by))

    def check_fact_date(self, field_name: str, on: date, today: date) -> None:
        check_fact_date(field_name, on, self.opened_on, self.last_effective_on if self.stage == "closed" else None,
                        today)

    def record_drug_test(self, test_id: str, tested_on: date, result: str, tested_by: str,
                         substances_sealed: str | None, today: date, findings=(),
                         rules: TerminationRules = TerminationRules(), findings_of_test=None) -> None:
        """`substances_sealed` is the caller's encryption of the substances; `findings` what they mean for
        methadone therapy (ost.findings_of), used here and never recorded: they are as sensitive as the substances.
        `findings_of_test(test)` gives an earlier test's findings (the caller opens its substances) when a
        termination rule needs them. A positive test may complete a termination rule of the therapy."""
        self.check_fact_date("tested_on", tested_on, today)
        if result not in TEST_RESULTS:
            raise DecisionInvalid("result", f"must be one of {', '.join(TEST_RESULTS)}")
        findings = tuple(findings) if result == "positive" else ()
        self.record(DrugTestRecorded(case_id=self.id, case_number=self.case_number, commune_code=self.commune_code,
                                     test_id=test_id, tested_on=tested_on, result=result, tested_by=tested_by,
                                     substances_sealed=substances_sealed))
        if result == "positive" and self.stage in RELAPSE_WATCH_STAGES:
            self.record(RelapseSuspected(case_id=self.id, case_number=self.case_number,
                                         commune_code=self.commune_code, stage=self.stage, tested_on=tested_on))
        self.propose_after_test(rules, tested_on, findings, today, findings_of_test or recorded_findings)

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
                                              **({"findings": list(event.findings)} if event.findings else {})}]

    def _on_RelapseSuspected(self, event: RelapseSuspected) -> None:
        pass

    def _on_CaseDueNoticed(self, event: CaseDueNoticed) -> None:
        self.notices = [*self.notices, event.notice_key]
