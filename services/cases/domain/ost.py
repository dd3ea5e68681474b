"""Opioid substitution therapy (methadone): phases, the dose log, protocol breaches, and the termination rules of
DOMAIN.md evaluated on every new fact and proposed to the doctor, who decides."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from shared.aggregate import DomainEvent

from services.cases.domain.rules import DecisionInvalid, add_months, check_reason

PHASES = ("induction", "titration", "maintenance", "taper")
NEXT_PHASES = {"induction": ("titration",), "titration": ("maintenance",), "maintenance": ("taper",),
               "taper": ("maintenance",)}
BREACH_KINDS = ("protocol", "offence")
MAX_DOSE_MG = 400
OPIOIDS = frozenset({"heroin", "morphine", "opium", "codeine", "fentanyl", "tramadol", "oxycodone"})
SUBSTITUTES = frozenset({"methadone", "buprenorphine"})
SUBSTANCES = tuple(sorted(OPIOIDS | SUBSTITUTES | {
    "methamphetamine", "amphetamine", "mdma", "ketamine", "cannabis", "synthetic_cannabinoids", "cocaine",
    "benzodiazepines", "other"}))
OPIOID, OTHER_DRUG = "opioid", "other_drug"
PROPOSAL_IDS = uuid.UUID("6a0f3c52-0d3e-4f0b-9a57-1b0c5e3d7f11")


@dataclass(frozen=True)
class TerminationRules:
    """DOMAIN.md: 2+ protocol breaches in 6 months, 2+ opioid-positive tests in 12 months once on maintenance,
    other drugs, offences. Per regime in the workflow file (`ost_termination`), these are the defaults."""
    breaches: int = 2
    breach_months: int = 6
    opioid_tests: int = 2
    opioid_test_months: int = 12
    other_drugs: bool = True
    offences: bool = True


def findings_of(substances) -> tuple[str, ...]:
    """What a positive test means for therapy: an opioid other than the substitute, and/or another drug."""
    found = set(substances)
    return tuple(name for name, hit in ((OPIOID, found & OPIOIDS), (OTHER_DRUG, found - OPIOIDS - SUBSTITUTES))
                 if hit)


@dataclass(frozen=True)
class OstPhaseChanged(DomainEvent):
    type = "cases.ost.phase_changed"
    published = False
    case_id: str
    phase: str
    effective_on: date
    changed_by: str


@dataclass(frozen=True)
class OstDoseRecorded(DomainEvent):
    """A dose given (its amount sealed) or missed, on one day."""
    type = "cases.ost.dose_recorded"
    published = False
    case_id: str
    dose_id: str
    given_on: date
    missed: bool
    recorded_by: str
    dose_sealed: str | None = None


@dataclass(frozen=True)
class OstBreachRecorded(DomainEvent):
    type = "cases.ost.breach_recorded"
    published = False
    case_id: str
    breach_id: str
    kind: str
    occurred_on: date
    recorded_by: str
    description_sealed: str | None = None


@dataclass(frozen=True)
class OstTerminationProposed(DomainEvent):
    """A termination rule is met; the doctor decides (terminate_methadone, or dismiss with a reason)."""
    type = "cases.ost.termination_proposed"
    case_id: str
    case_number: str
    commune_code: str
    proposal_id: str
    ground: str
    evidence: list
    proposed_on: date
    clinic_unit: str | None = None


@dataclass(frozen=True)
class OstTerminationDismissed(DomainEvent):
    type = "cases.ost.termination_dismissed"
    published = False
    sealed_fields = ("reason",)
    case_id: str
    proposal_id: str
    dismissed_by: str
    reason: str


@dataclass
class Therapy:
    """The case's methadone treatment as the rules need it; the dose log itself stays in the event stream."""
    admitted_on: date
    clinic_unit: str | None = None
    phase: str = "induction"
    phase_since: date | None = None
    maintenance_since: date | None = None
    last_dose_on: date | None = None
    missed_on: list[date] = field(default_factory=list)
    breaches: list[dict] = field(default_factory=list)
    proposals: dict[str, dict] = field(default_factory=dict)

    def open_grounds(self) -> set[str]:
        return {p["ground"] for p in self.proposals.values() if p["status"] == "open"}


def check_phase(therapy: Therapy, phase: str, effective_on: date) -> None:
    if phase not in PHASES:
        raise DecisionInvalid("phase", f"must be one of {', '.join(PHASES)}")
    if phase not in NEXT_PHASES[therapy.phase]:
        raise DecisionInvalid("phase", f"from {therapy.phase} the next phase is "
                                       f"{' or '.join(NEXT_PHASES[therapy.phase])}")
    if effective_on < (therapy.phase_since or therapy.admitted_on):
        raise DecisionInvalid("effective_on", "is before the current phase began")


def check_dose(therapy: Therapy, given_on: date, missed: bool, dose_mg: float | None) -> None:
    if given_on < therapy.admitted_on:
        raise DecisionInvalid("given_on", "is before the admission to methadone")
    if missed and dose_mg is not None:
        raise DecisionInvalid("dose_mg", "a missed dose has no amount")
    if not missed and (dose_mg is None or not 0 < dose_mg <= MAX_DOSE_MG):
        raise DecisionInvalid("dose_mg", f"is required: above 0 and at most {MAX_DOSE_MG} mg")


def window_with(facts: list[tuple[date, str]], new_on: date, months: int, count: int) -> list[str]:
    """The ids of `count` or more facts within `months` of each other, among them one dated `new_on`; [] if none.

    Facts may be recorded late, so the window may lie before or after `new_on`: any window that holds such a
    group can start at one of its facts, so trying each fact on or before `new_on` as the start finds it."""
    for start, _ in sorted(facts):
        end = add_months(start, months)
        if start <= new_on < end:
            inside = [fact_id for on, fact_id in sorted(facts) if start <= on < end]
            if len(inside) >= count:
                return inside
    return []


def breach_grounds(therapy: Therapy, rules: TerminationRules, breach: dict) -> list[tuple[str, list]]:
    """Grounds a newly recorded breach completes, each with the breaches it rests on."""
    if breach["kind"] == "offence":
        return [("offence", [breach["breach_id"]])] if rules.offences else []
    protocol = [(date.fromisoformat(b["occurred_on"]), b["breach_id"]) for b in therapy.breaches
                if b["kind"] == "protocol"]
    group = window_with(protocol, date.fromisoformat(breach["occurred_on"]), rules.breach_months, rules.breaches)
    return [("protocol_breaches", group)] if group else []


def recorded_findings(test: dict) -> tuple[str, ...]:
    """The findings a test recorded before they were sealed with its substances (none since)."""
    return tuple(test.get("findings", ()))


def test_grounds(therapy: Therapy, rules: TerminationRules, tests: list[dict], tested_on: date,
                 findings, findings_of_test=recorded_findings) -> list[tuple[str, list]]:
    """Grounds a newly recorded positive test (the last of `tests`, its `findings`) completes, each with the tests
    it rests on. Tests dated before the admission (or, for opioids, before maintenance began) do not count; only
    the earlier positive tests that could count are asked of `findings_of_test`."""
    grounds = []
    if tested_on < therapy.admitted_on:
        return grounds
    if OTHER_DRUG in findings and rules.other_drugs:
        grounds.append(("other_drugs", [tests[-1]["test_id"]]))
    if OPIOID in findings and therapy.maintenance_since and tested_on >= therapy.maintenance_since:
        latest = tests[-1]["test_id"]
        opioid = [(on, t["test_id"]) for t in tests if t["result"] == "positive"
                  and (on := date.fromisoformat(t["tested_on"])) >= therapy.maintenance_since
                  and (t["test_id"] == latest or OPIOID in findings_of_test(t))]
        group = window_with(opioid, tested_on, rules.opioid_test_months, rules.opioid_tests)
        if group:
            grounds.append(("opioid_positive_tests", group))
    return grounds


class MethadoneRecords:
    """The methadone part of a case (mixed into `Case`): only while the case is in the `ost` stage. Uses the
    case's public state and `record` / `check_fact_date`."""
    MISSED_DOSES_KEPT_DAYS = 90

    def _therapy(self) -> Therapy:
        if self.stage != "ost" or self.therapy is None:
            raise DecisionInvalid("stage", "the case is not in methadone treatment")
        return self.therapy

    def change_ost_phase(self, phase: str, effective_on: date, by: str, today: date) -> None:
        therapy = self._therapy()
        self.check_fact_date("effective_on", effective_on, today)
        check_phase(therapy, phase, effective_on)
        self.record(OstPhaseChanged(case_id=self.id, phase=phase, effective_on=effective_on, changed_by=by))

    def record_dose(self, dose_id: str, given_on: date, missed: bool, dose_mg: float | None,
                    dose_sealed: str | None, by: str, today: date) -> None:
        """`dose_mg` is checked here; only `dose_sealed` (its encryption) is recorded."""
        therapy = self._therapy()
        self.check_fact_date("given_on", given_on, today)
        check_dose(therapy, given_on, missed, dose_mg)
        self.record(OstDoseRecorded(case_id=self.id, dose_id=dose_id, given_on=given_on, missed=missed,
                                    recorded_by=by, dose_sealed=None if missed else dose_sealed))

    def record_breach(self, breach_id: str, kind: str, occurred_on: date, description_sealed: str | None, by: str,
                      rules: TerminationRules, today: date) -> None:
        therapy = self._therapy()
        if kind not in BREACH_KINDS:
            raise DecisionInvalid("kind", f"must be one of {', '.join(BREACH_KINDS)}")
        self.check_fact_date("occurred_on", occurred_on, today)
        if occurred_on < therapy.admitted_on:
            raise DecisionInvalid("occurred_on", "is before the admission to methadone")
        self.record(OstBreachRecorded(case_id=self.id, breach_id=breach_id, kind=kind, occurred_on=occurred_on,
                                      recorded_by=by, description_sealed=description_sealed))
        self._propose(breach_grounds(self.therapy, rules, self.therapy.breaches[-1]), today)

    def propose_after_test(self, rules: TerminationRules, tested_on: date, findings, today: date,
                           findings_of_test=recorded_findings) -> None:
        if self.stage == "ost" and self.therapy is not None and findings:
            self._propose(test_grounds(self.therapy, rules, self.drug_tests, tested_on, findings,
                                       findings_of_test), today)

    def _propose(self, grounds: list[tuple[str, list]], today: date) -> None:
        """One open proposal per ground, to the treating clinic; its id derives from case, ground and newest
        evidence, and so tells the bus nothing about them."""
        for ground, evidence in grounds:
            if ground in self.therapy.open_grounds():
                continue
            proposal_id = uuid.uuid5(PROPOSAL_IDS, f"{self.id}:{ground}:{evidence[-1]}").hex
            self.record(OstTerminationProposed(
                case_id=self.id, case_number=self.case_number, commune_code=self.commune_code,
                proposal_id=proposal_id, ground=ground, evidence=evidence, proposed_on=today,
                clinic_unit=self.therapy.clinic_unit))

    def dismiss_termination(self, proposal_id: str, by: str, reason: str) -> None:
        therapy = self._therapy()
        proposal = therapy.proposals.get(proposal_id)
        if proposal is None or proposal["status"] != "open":
            raise DecisionInvalid("proposal_id", "is not an open termination proposal of this case")
        check_reason(reason)
        self.record(OstTerminationDismissed(case_id=self.id, proposal_id=proposal_id, dismissed_by=by,
                                            reason=reason))

    def _on_OstPhaseChanged(self, event: OstPhaseChanged) -> None:
        self.therapy.phase, self.therapy.phase_since = event.phase, event.effective_on
        if event.phase == "maintenance" and self.therapy.maintenance_since is None:
            self.therapy.maintenance_since = event.effective_on

    def _on_OstDoseRecorded(self, event: OstDoseRecorded) -> None:
        therapy = self.therapy
        if event.missed:
            kept_from = event.given_on.toordinal() - self.MISSED_DOSES_KEPT_DAYS
            therapy.missed_on = sorted({d for d in therapy.missed_on if d.toordinal() > kept_from} | {event.given_on})
        elif therapy.last_dose_on is None or event.given_on > therapy.last_dose_on:
            therapy.last_dose_on = event.given_on

    def _on_OstBreachRecorded(self, event: OstBreachRecorded) -> None:
        self.therapy.breaches = [*self.therapy.breaches, {
            "breach_id": event.breach_id, "kind": event.kind, "occurred_on": event.occurred_on.isoformat(),
            "recorded_by": event.recorded_by, "description_sealed": event.description_sealed}]

    def _on_OstTerminationProposed(self, event: OstTerminationProposed) -> None:
        self.therapy.proposals = {**self.therapy.proposals, event.proposal_id: {
            "ground": event.ground, "evidence": list(event.evidence), "proposed_on": event.proposed_on.isoformat(),
            "clinic_unit": event.clinic_unit, "status": "open"}}

    def _on_OstTerminationDismissed(self, event: OstTerminationDismissed) -> None:
        proposal = {**self.therapy.proposals[event.proposal_id], "status": "dismissed",
                    "dismissed_by": event.dismissed_by}
        self.therapy.proposals = {**self.therapy.proposals, event.proposal_id: proposal}
