"""The legal workflow of a case as data: stages, transitions, who may trigger them, what they require, which due
dates they set. One `Workflow` per legal regime, loaded from services/cases/workflows/*.yaml."""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Protocol

from services.cases.domain.person import ADULT_AGE, age_on

if TYPE_CHECKING:
    from services.cases.domain.ost import TerminationRules

DECISION_FIELDS = ("decision_number", "decision_date", "issuing_authority", "document_ref", "reason", "term_months",
                   "drugs_declared", "guardian_consent_ref", "term_reduction_months")


class WorkingCalendar(Protocol):
    def is_working_day(self, day: date) -> bool: ...


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

    def applies_on(self, day: date) -> bool:
        return (self.opens_from is None or day >= self.opens_from) and \
            (self.opens_before is None or day < self.opens_before)

    def transition(self, name: str) -> Transition | None:
        return next((t for t in self.transitions if t.name == name), None)

    def from_stage(self, stage: str) -> list[Transition]:
        return [t for t in self.transitions if stage in t.from_stages]

    def phases_of(self, stage: str) -> list[str]:
        return list(self.stages.get(stage, {}).get("phases") or [])


class TransitionRefused(Exception):
    """Not allowed now: `allowed` names what is allowed from the current stage."""

    def __init__(self, message: str, allowed: list[str]):
        super().__init__(message)
        self.allowed = allowed


class DecisionInvalid(Exception):
    """A decision field is missing or breaks the regime's rule; `field` names it."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


def check_reason(reason: str | None, minimum: int = 5, field_name: str = "reason") -> None:
    """A written reason: refusals, revocations, dismissals and break-the-glass must say why."""
    if not reason or len(reason.strip()) < minimum:
        raise DecisionInvalid(field_name, f"say why, in at least {minimum} characters")


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_working_days(day: date, count: int, working: WorkingCalendar) -> date:
    current = day
    while count > 0:
        current += timedelta(days=1)
        if working.is_working_day(current):
            count -= 1
    return current


def age_group(birth_date: date, on: date) -> str:
    return "adult" if age_on(birth_date, on) >= ADULT_AGE else "minor"


def check_consent(transition: Transition, decision: dict, birth_date: date | None, on: date) -> None:
    if transition.consent_under_age and birth_date and age_on(birth_date, on) < transition.consent_under_age \
            and not decision.get("guardian_consent_ref"):
        raise DecisionInvalid("decision.guardian_consent_ref",
                              f"is required: the person is under {transition.consent_under_age}")


def check_decision(transition: Transition, decision: dict, age: str) -> None:
    for name in transition.requires:
        value = decision.get(name)
        if value is None or value == "" or (name == "drugs_declared" and not value):
            raise DecisionInvalid(f"decision.{name}", f"is required for {transition.name}")
    if transition.reasons and decision.get("reason_code") not in transition.reasons:
        raise DecisionInvalid("decision.reason_code", f"must be one of {', '.join(transition.reasons)}")
    for rule in transition.due.values():
        if rule.term_months:
            low, high = rule.term_months[age]
            term = decision.get("term_months")
            if term > high:
                raise DecisionInvalid("decision.term_months", f"exceeds the legal maximum of {high} months ({age})")
            if term < low and not decision.get("reason"):
                raise DecisionInvalid("decision.term_months",
                                      f"is below the legal minimum of {low} months ({age}) without a reason")


def reduced_due(rule: ReduceRule, due: dict[str, date], started: dict[str, date], effective_on: date,
                decision: dict) -> date:
    """The due date brought forward by the decision's `term_reduction_months`."""
    ends_on, began_on = due.get(rule.due_name), started.get(rule.due_name)
    if ends_on is None:
        raise DecisionInvalid("transition", f"the case has no {rule.due_name} to bring forward")
    low, high = rule.months
    months = decision.get("term_reduction_months")
    if months is None or not low <= months <= high:
        raise DecisionInvalid("decision.term_reduction_months", f"must be between {low} and {high} months")
    if rule.after_half and began_on and effective_on < began_on + (ends_on - began_on) / 2:
        raise DecisionInvalid("effective_on", f"is before half of the period ending {ends_on.isoformat()}")
    reduced = add_months(ends_on, -months)
    if reduced <= effective_on:
        raise DecisionInvalid("decision.term_reduction_months", "would end the term before the decision")
    return reduced


def due_dates(transition: Transition, effective_on: date, decision: dict, age: str,
              working: WorkingCalendar) -> dict[str, date]:
    dues = {}
    for name, rule in transition.due.items():
        if rule.months is not None:
            dues[name] = add_months(effective_on, rule.months)
        elif rule.working_days is not None:
            dues[name] = add_working_days(effective_on, rule.working_days, working)
        elif rule.term_months is not None:
            dues[name] = add_months(effective_on, int(decision["term_months"]))
        elif rule.months_by_age is not None:
            dues[name] = add_months(effective_on, rule.months_by_age[age])
    return dues
