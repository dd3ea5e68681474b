"""The legal workflow of a case as data: stages, transitions, who may trigger them, what they require, which due
dates they set. One `Workflow` per legal regime, loaded from services/cases/workflows/*.yaml."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date

from services.cases.domain.consent import DisclosureRules
from services.cases.domain.retention import RetentionRules
from services.cases.domain.ost import TerminationRules
from services.cases.domain.person import ADULT_AGE, age_on
from services.cases.domain.rules import DecisionInvalid, WorkingCalendar, add_months, add_working_days


@dataclass(frozen=True)
class Decision:
    """What a workflow step records of the decision behind it; each regime's step names the fields it requires
    (`requires` in the workflow files). The API's schema and the step's event are made from these fields.
    `max_length`/`max_items`/`range` bound what a caller may send; a `private` field (free text, the drugs a person
    declared, a guardian's consent) stays in the case's log: never published, never in the history timeline."""
    decision_number: str | None = field(default=None, metadata={"max_length": 100})
    decision_date: date | None = None
    issuing_authority: str | None = field(default=None, metadata={"max_length": 300})
    document_ref: str | None = field(default=None, metadata={"max_length": 300})
    term_months: int | None = field(default=None, metadata={"range": (1, 60)})
    reason_code: str | None = field(default=None, metadata={"max_length": 50})
    reason: str | None = field(default=None, metadata={"max_length": 2000, "private": True})
    drugs_declared: list[str] | None = field(default=None, metadata={"max_length": 100, "max_items": 20,
                                                                     "private": True})
    guardian_consent_ref: str | None = field(default=None, metadata={
        "max_length": 300, "description": "the parent's or guardian's written consent", "private": True})
    term_reduction_months: int | None = field(default=None, metadata={"range": (1, 60)})


DECISION_FIELDS = tuple(f.name for f in fields(Decision))
RECORD_FIELDS = tuple(f.name for f in fields(Decision) if not f.metadata.get("private"))
PRIVATE_FIELDS = tuple(f.name for f in fields(Decision) if f.metadata.get("private"))
"""The decision fields sealed in the case's log."""
"""The decision fields shown in a case's history."""


@dataclass(frozen=True)
class DueRule:
    """How a due date follows from a transition's effective date: exactly one of the fields is set."""
    months: int | None = None
    working_days: int | None = None
    term_months: dict[str, tuple[int, int]] | None = None
    months_by_age: dict[str, int] | None = None


@dataclass(frozen=True)
class ReduceRule:
    """A due date brought forward by a decision (a facility term cut for merit): by `months` within the range,
    only once the period that ends on it is half over."""
    due_name: str
    months: tuple[int, int]
    after_half: bool = True


@dataclass(frozen=True)
class Transition:
    name: str
    from_stages: tuple[str, ...]
    to: str
    roles: tuple[str, ...]
    emits: str
    requires: tuple[str, ...] = ()
    due: dict[str, DueRule] = field(default_factory=dict)
    keeps_due: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    extends_by_time_away: str | None = None
    consent_under_age: int | None = None
    """A person younger than this on the effective date needs a parent's or guardian's consent (its reference)."""
    reduces: ReduceRule | None = None
    keeps_phase: bool = False


@dataclass(frozen=True)
class Workflow:
    regime: str
    title_vi: str
    title_en: str
    opens_from: date | None
    opens_before: date | None
    opening_stages: tuple[str, ...]
    stages: dict[str, dict]
    transitions: tuple[Transition, ...]
    flags: tuple[str, ...] = ()
    ost_termination: TerminationRules | None = None
    disclosure: DisclosureRules = DisclosureRules()
    retention: RetentionRules = RetentionRules()

    def applies_on(self, day: date) -> bool:
        return (self.opens_from is None or day >= self.opens_from) and \
            (self.opens_before is None or day < self.opens_before)

    def transition(self, name: str) -> Transition | None:
        return next((t for t in self.transitions if t.name == name), None)

    def from_stage(self, stage: str) -> list[Transition]:
        return [t for t in self.transitions if stage in t.from_stages]

    def phases_of(self, stage: str) -> list[str]:
        return list(self.stages.get(stage, {}).get("phases") or [])


def workflow_on(workflows: dict[str, Workflow], day: date) -> Workflow:
    """The regime a case opened on `day` is under, for its whole life."""
    return next(w for w in workflows.values() if w.applies_on(day))


def age_group(birth_date: date, on: date) -> str:
    return "adult" if age_on(birth_date, on) >= ADULT_AGE else "minor"


def check_consent(transition: Transition, decision: Decision, birth_date: date | None, on: date) -> None:
    if transition.consent_under_age and birth_date and age_on(birth_date, on) < transition.consent_under_age \
            and not decision.guardian_consent_ref:
        raise DecisionInvalid("decision.guardian_consent_ref",
                              f"is required: the person is under {transition.consent_under_age}")


def check_decision(transition: Transition, decision: Decision, age: str) -> None:
    for name in transition.requires:
        if getattr(decision, name) in (None, "", []):
            raise DecisionInvalid(f"decision.{name}", f"is required for {transition.name}")
    if transition.reasons and decision.reason_code not in transition.reasons:
        raise DecisionInvalid("decision.reason_code", f"must be one of {', '.join(transition.reasons)}")
    for rule in transition.due.values():
        if rule.term_months:
            low, high = rule.term_months[age]
            term = decision.term_months
            if term > high:
                raise DecisionInvalid("decision.term_months", f"exceeds the legal maximum of {high} months ({age})")
            if term < low and not decision.reason:
                raise DecisionInvalid("decision.term_months",
                                      f"is below the legal minimum of {low} months ({age}) without a reason")


def reduced_due(rule: ReduceRule, due: dict[str, date], started: dict[str, date], effective_on: date,
                decision: Decision) -> date:
    """The due date brought forward by the decision's `term_reduction_months`."""
    ends_on, began_on = due.get(rule.due_name), started.get(rule.due_name)
    if ends_on is None:
        raise DecisionInvalid("transition", f"the case has no {rule.due_name} to bring forward")
    low, high = rule.months
    months = decision.term_reduction_months
    if months is None or not low <= months <= high:
        raise DecisionInvalid("decision.term_reduction_months", f"must be between {low} and {high} months")
    if rule.after_half and began_on and effective_on < began_on + (ends_on - began_on) / 2:
        raise DecisionInvalid("effective_on", f"is before half of the period ending {ends_on.isoformat()}")
    reduced = add_months(ends_on, -months)
    if reduced <= effective_on:
        raise DecisionInvalid("decision.term_reduction_months", "would end the term before the decision")
    return reduced


def due_dates(transition: Transition, effective_on: date, decision: Decision, age: str,
              working: WorkingCalendar) -> dict[str, date]:
    dues = {}
    for name, rule in transition.due.items():
        if rule.months is not None:
            dues[name] = add_months(effective_on, rule.months)
        elif rule.working_days is not None:
            dues[name] = add_working_days(effective_on, rule.working_days, working)
        elif rule.term_months is not None:
            dues[name] = add_months(effective_on, decision.term_months)
        elif rule.months_by_age is not None:
            dues[name] = add_months(effective_on, rule.months_by_age[age])
    return dues
