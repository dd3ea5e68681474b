"""Follow-up and support of a case: the check-in schedule, visits and their outcome, and the counselling,
training, jobs, social support and loans given (DOMAIN.md: aftercare "counselling, relapse prevention,
monitoring, schooling, training, loans, jobs")."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from shared.aggregate import DomainEvent

from services.cases.domain.rules import DecisionInvalid

CHECK_IN_DUE = "check_in_on"
VISIT_KINDS = ("home_visit", "office_check_in", "phone_call")
VISIT_OUTCOMES = ("met", "not_home", "refused", "moved_away")
SUPPORT_KINDS = ("counselling", "vocational_training", "job_placement", "schooling", "social_support", "loan")
FUNDED_KINDS = ("social_support", "loan")
FUNDING_SOURCES = ("state_budget", "local_budget", "social_policy_bank", "enterprise", "community", "ngo", "family",
                   "other")
MAX_AMOUNT_VND = 10_000_000_000
FOLLOW_UP_DAYS = (7, 180)


@dataclass(frozen=True)
class FollowUpPlanned(DomainEvent):
    """Check-ins every `every_days` from `first_on`; the next one is a due date of the case (`check_in_on`)."""
    type = "cases.case.follow_up_planned"
    published = False
    case_id: str
    case_number: str
    commune_code: str
    every_days: int
    first_on: date
    planned_by: str


@dataclass(frozen=True)
class VisitRecorded(DomainEvent):
    """A visit or check-in; one with the person `met` moves the next check-in `every_days` after it."""
    type = "cases.case.visit_recorded"
    published = False
    case_id: str
    case_number: str
    commune_code: str
    visit_id: str
    visited_on: date
    kind: str
    outcome: str
    recorded_by: str
    next_check_in_on: date | None = None
    notes_sealed: str | None = None


@dataclass(frozen=True)
class SupportRecorded(DomainEvent):
    """Counselling, training, a job, schooling, social support or a loan; amounts and sources feed the plans'
    indicators ("resources mobilised")."""
    type = "cases.case.support_recorded"
    case_id: str
    case_number: str
    commune_code: str
    person_code: str
    support_id: str
    kind: str
    provided_on: date
    recorded_by: str
    amount_vnd: int | None = None
    funding_source: str | None = None
    details_sealed: str | None = None


def check_follow_up(every_days: int, first_on: date, today: date) -> None:
    low, high = FOLLOW_UP_DAYS
    if not low <= every_days <= high:
        raise DecisionInvalid("every_days", f"must be between {low} and {high}")
    if first_on > today + timedelta(days=high):
        raise DecisionInvalid("first_on", f"is more than {high} days ahead")


def check_visit(kind: str, outcome: str) -> None:
    if kind not in VISIT_KINDS:
        raise DecisionInvalid("kind", f"must be one of {', '.join(VISIT_KINDS)}")
    if outcome not in VISIT_OUTCOMES:
        raise DecisionInvalid("outcome", f"must be one of {', '.join(VISIT_OUTCOMES)}")


def check_support(kind: str, amount_vnd: int | None, funding_source: str | None) -> None:
    if kind not in SUPPORT_KINDS:
        raise DecisionInvalid("kind", f"must be one of {', '.join(SUPPORT_KINDS)}")
    if kind in FUNDED_KINDS:
        if amount_vnd is None or not 0 < amount_vnd <= MAX_AMOUNT_VND:
            raise DecisionInvalid("amount_vnd", f"is required for {kind}: a whole number of đồng above 0")
        if funding_source not in FUNDING_SOURCES:
            raise DecisionInvalid("funding_source", f"is required for {kind}: one of {', '.join(FUNDING_SOURCES)}")
    elif amount_vnd is not None or funding_source is not None:
        field_name = "amount_vnd" if amount_vnd is not None else "funding_source"
        raise DecisionInvalid(field_name, f"is only recorded for {' and '.join(FUNDED_KINDS)}")


class CareRecords:
    """Follow-up and support records of a case (mixed into `Case`); uses the case's public state and `record` /
    `check_fact_date`."""

    def plan_follow_up(self, every_days: int, first_on: date, by: str, today: date) -> None:
        if self.stage == "closed":
            raise DecisionInvalid("stage", "a closed case has no follow-up")
        check_follow_up(every_days, first_on, today)
        if first_on < self.opened_on:
            raise DecisionInvalid("first_on", "is before the case was opened")
        self.record(FollowUpPlanned(case_id=self.id, case_number=self.case_number, commune_code=self.commune_code,
                                    every_days=every_days, first_on=first_on, planned_by=by))

    def record_visit(self, visit_id: str, visited_on: date, kind: str, outcome: str, by: str,
                     notes_sealed: str | None, today: date) -> None:
        check_visit(kind, outcome)
        self.check_fact_date("visited_on", visited_on, today)
        next_on = self.due.get(CHECK_IN_DUE)
        if self.follow_up and outcome == "met":
            later = visited_on + timedelta(days=self.follow_up["every_days"])
            next_on = max(next_on, later) if next_on else later
        self.record(VisitRecorded(case_id=self.id, case_number=self.case_number, commune_code=self.commune_code,
                                  visit_id=visit_id, visited_on=visited_on, kind=kind, outcome=outcome,
                                  recorded_by=by, next_check_in_on=next_on, notes_sealed=notes_sealed))

    def record_support(self, support_id: str, kind: str, provided_on: date, by: str, amount_vnd: int | None,
                       funding_source: str | None, details_sealed: str | None, today: date) -> None:
        check_support(kind, amount_vnd, funding_source)
        self.check_fact_date("provided_on", provided_on, today)
        self.record(SupportRecorded(case_id=self.id, case_number=self.case_number, commune_code=self.commune_code,
                                    person_code=self.person_code, support_id=support_id, kind=kind,
                                    provided_on=provided_on, recorded_by=by, amount_vnd=amount_vnd,
                                    funding_source=funding_source, details_sealed=details_sealed))

    def _on_FollowUpPlanned(self, event: FollowUpPlanned) -> None:
        self.follow_up = {"every_days": event.every_days, "planned_by": event.planned_by}
        self.due = {**self.due, CHECK_IN_DUE: event.first_on}

    def _on_VisitRecorded(self, event: VisitRecorded) -> None:
        self.visits = [*self.visits, {"visit_id": event.visit_id, "visited_on": event.visited_on.isoformat(),
                                      "kind": event.kind, "outcome": event.outcome, "recorded_by": event.recorded_by,
                                      "notes_sealed": event.notes_sealed}]
        if event.next_check_in_on:
            self.due = {**self.due, CHECK_IN_DUE: event.next_check_in_on}

    def _on_SupportRecorded(self, event: SupportRecorded) -> None:
        self.support = [*self.support, {"support_id": event.support_id, "kind": event.kind,
                                        "provided_on": event.provided_on.isoformat(),
                                        "recorded_by": event.recorded_by, "amount_vnd": event.amount_vnd,
                                        "funding_source": event.funding_source,
                                        "details_sealed": event.details_sealed}]
