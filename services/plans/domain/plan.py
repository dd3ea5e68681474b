"""A provincial plan as the document it is: drafted, issued by the People's Committee under a number and a
signature, carried out, amended by revisions that say why, and closed once every assignment is settled."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from shared.aggregate import Aggregate, DomainEvent
from shared.refusals import DecisionInvalid, NotAllowedNow, check_reason

from services.plans.domain.model import INDICATORS

PLAN_KINDS = ("action_month", "yearly", "thematic")
DRAFT, ISSUED, IN_PROGRESS, CLOSED = "draft", "issued", "in_progress", "closed"
PLAN_STATUSES = (DRAFT, ISSUED, IN_PROGRESS, CLOSED)
LIVE = (ISSUED, IN_PROGRESS)
AMENDABLE_FIELDS = ("title", "theme", "slogan", "goals", "requirements", "ends_on", "summary_report_due_on",
                    "indicators")
DRAFT_FIELDS = ("title", "kind", "theme", "slogan", "goals", "requirements", "starts_on", "ends_on",
                "summary_report_due_on", "indicators")


@dataclass(frozen=True)
class IndicatorTarget:
    code: str
    target: float


@dataclass(frozen=True)
class Revision:
    """An amendment of an issued plan: its number, document, reason and what it changed."""
    number: int
    document_number: str
    reason: str
    amended_on: date
    changed: list[str]


def check_indicator_targets(targets: list[IndicatorTarget], field_name: str = "indicators") -> None:
    codes = [t.code for t in targets]
    for index, target in enumerate(targets):
        if target.code not in INDICATORS:
            raise DecisionInvalid(f"{field_name}.{index}.code", f"unknown indicator {target.code!r}")
        if target.target < 0:
            raise DecisionInvalid(f"{field_name}.{index}.target", "is negative")
    if len(set(codes)) != len(codes):
        raise DecisionInvalid(field_name, "lists an indicator twice")


@dataclass(frozen=True)
class PlanCreated(DomainEvent):
    """A draft, new or copied from an earlier plan (`copied_from`)."""
    type = "plans.plan.created"
    plan_id: str
    title: str
    kind: str
    area_code: str
    starts_on: date
    ends_on: date
    indicators: list[IndicatorTarget] = field(default_factory=list)
    theme: str | None = None
    slogan: str | None = None
    goals: str | None = None
    requirements: str | None = None
    summary_report_due_on: date | None = None
    copied_from: str | None = None


@dataclass(frozen=True)
class PlanDraftChanged(DomainEvent):
    """A draft's fields changed before it was issued: a working document, not published."""
    type = "plans.plan.draft_changed"
    published = False
    changes: dict


@dataclass(frozen=True)
class PlanIssued(DomainEvent):
    type = "plans.plan.issued"
    plan_id: str
    area_code: str
    issuing_authority: str
    document_number: str
    document_date: date
    signer: str
    starts_on: date
    ends_on: date
    summary_report_due_on: date | None


@dataclass(frozen=True)
class PlanStarted(DomainEvent):
    type = "plans.plan.started"
    plan_id: str
    area_code: str
    started_on: date


@dataclass(frozen=True)
class PlanAmended(DomainEvent):
    type = "plans.plan.amended"
    plan_id: str
    area_code: str
    revision: int
    document_number: str
    reason: str
    amended_on: date
    changes: dict


@dataclass(frozen=True)
class PlanClosed(DomainEvent):
    type = "plans.plan.closed"
    plan_id: str
    area_code: str
    closed_on: date
    waived_assignments: int


@dataclass(eq=False)
class Plan(Aggregate):
    stream_type = "plan"
    event_types = {e.type: e for e in (PlanCreated, PlanDraftChanged, PlanIssued, PlanStarted, PlanAmended,
                                       PlanClosed)}
    id: str
    title: str | None = None
    kind: str | None = None
    area_code: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    indicators: list[IndicatorTarget] = field(default_factory=list)
    theme: str | None = None
    slogan: str | None = None
    goals: str | None = None
    requirements: str | None = None
    summary_report_due_on: date | None = None
    status: str = DRAFT
    issuing_authority: str | None = None
    document_number: str | None = None
    document_date: date | None = None
    signer: str | None = None
    started_on: date | None = None
    closed_on: date | None = None
    revisions: list[Revision] = field(default_factory=list)
    copied_from: str | None = None

    @classmethod
    def draft(cls, plan_id: str, title: str, kind: str, area_code: str, starts_on: date, ends_on: date,
              indicators: list[IndicatorTarget], theme: str | None = None, slogan: str | None = None,
              goals: str | None = None, requirements: str | None = None,
              summary_report_due_on: date | None = None, copied_from: str | None = None) -> "Plan":
        _check_period(starts_on, ends_on, summary_report_due_on)
        check_indicator_targets(indicators)
        plan = cls(plan_id)
        plan.record(PlanCreated(plan_id=plan_id, title=title, kind=kind, area_code=area_code, starts_on=starts_on,
                                ends_on=ends_on, indicators=list(indicators), theme=theme, slogan=slogan,
                                goals=goals, requirements=requirements,
                                summary_report_due_on=summary_report_due_on, copied_from=copied_from))
        return plan

    @property
    def is_live(self) -> bool:
        """Issued and not closed: its tasks are the units' work."""
        return self.status in LIVE

    def target_of(self, code: str) -> float | None:
        return next((t.target for t in self.indicators if t.code == code), None)

    def counts_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def change_draft(self, changes: dict) -> None:
        """An empty change changes nothing, whatever the plan's status."""
        if not changes:
            return
        if self.status != DRAFT:
            raise NotAllowedNow("an issued plan changes only by amendment", allowed=["amend"])
        unknown = set(changes) - set(DRAFT_FIELDS)
        if unknown:
            raise DecisionInvalid(sorted(unknown)[0], "cannot be changed")
        after = replace(self, **changes)
        _check_period(after.starts_on, after.ends_on, after.summary_report_due_on)
        check_indicator_targets(after.indicators)
        self.record(PlanDraftChanged(changes=changes))

    def issue(self, issuing_authority: str, document_number: str, document_date: date, signer: str,
              today: date) -> None:
        if self.status != DRAFT:
            raise NotAllowedNow(f"the plan is {self.status}, not a draft")
        if document_date > today:
            raise DecisionInvalid("document_date", "is in the future")
        self.record(PlanIssued(plan_id=self.id, area_code=self.area_code, issuing_authority=issuing_authority,
                               document_number=document_number, document_date=document_date, signer=signer,
                               starts_on=self.starts_on, ends_on=self.ends_on,
                               summary_report_due_on=self.summary_report_due_on))

    def start(self, on: date) -> None:
        """Carrying out begins: by a coordinator's word, or on the first day of the period (timers)."""
        if self.status != ISSUED:
            raise NotAllowedNow(f"the plan is {self.status}; only an issued plan starts",
                                allowed=["issue"] if self.status == DRAFT else [])
        self.record(PlanStarted(plan_id=self.id, area_code=self.area_code, started_on=on))

    def amend(self, document_number: str, reason: str, amended_on: date, changes: dict) -> None:
        """`changes` may be empty: an amendment that changes only tasks is still the plan's revision."""
        if not self.is_live:
            raise NotAllowedNow(f"the plan is {self.status}: only an issued plan in force is amended",
                                allowed=["change the draft"] if self.status == DRAFT else [])
        check_reason(reason)
        unknown = set(changes) - set(AMENDABLE_FIELDS)
        if unknown:
            raise DecisionInvalid(f"changes.{sorted(unknown)[0]}", "cannot be amended")
        if amended_on < self.document_date:
            raise DecisionInvalid("amended_on", "is before the plan was issued")
        after = replace(self, **changes)
        _check_period(after.starts_on, after.ends_on, after.summary_report_due_on, prefix="changes.")
        check_indicator_targets(after.indicators, "changes.indicators")
        self.record(PlanAmended(plan_id=self.id, area_code=self.area_code, revision=len(self.revisions) + 1,
                                document_number=document_number, reason=reason.strip(), amended_on=amended_on,
                                changes=changes))

    def close(self, closed_on: date, unsettled: list[str], waived: int, today: date) -> None:
        """Closing needs every assignment approved or waived; `unsettled` names those that are not."""
        if not self.is_live:
            raise NotAllowedNow(f"the plan is {self.status}: only an issued plan in force is closed")
        if unsettled:
            raise NotAllowedNow(f"{len(unsettled)} assignments are neither approved nor waived",
                                allowed=[f"approve or waive {a}" for a in unsettled[:50]])
        if closed_on < self.starts_on:
            raise DecisionInvalid("closed_on", "is before the plan's period")
        if closed_on > today:
            raise DecisionInvalid("closed_on", "is in the future")
        self.record(PlanClosed(plan_id=self.id, area_code=self.area_code, closed_on=closed_on,
                               waived_assignments=waived))

    def copy(self, new_id: str, starts_on: date, title: str | None = None) -> "Plan":
        """A new draft for another period: every date shifted by the same number of days, targets kept."""
        shift = starts_on - self.starts_on
        return Plan.draft(new_id, title or _shifted_title(self.title, shift), self.kind, self.area_code, starts_on,
                          self.ends_on + shift, list(self.indicators), self.theme, self.slogan, self.goals,
                          self.requirements, self.summary_report_due_on and self.summary_report_due_on + shift,
                          copied_from=self.id)

    def _on_PlanCreated(self, event: PlanCreated) -> None:
        for name in ("title", "kind", "area_code", "starts_on", "ends_on", "theme", "slogan", "goals",
                     "requirements", "summary_report_due_on", "copied_from"):
            setattr(self, name, getattr(event, name))
        self.indicators = [t if isinstance(t, IndicatorTarget) else IndicatorTarget(t["code"], float(t["target"]))
                           for t in event.indicators]

    def _on_PlanDraftChanged(self, event: PlanDraftChanged) -> None:
        self._apply_changes(event.changes)

    def _on_PlanIssued(self, event: PlanIssued) -> None:
        self.status = ISSUED
        self.issuing_authority, self.document_number = event.issuing_authority, event.document_number
        self.document_date, self.signer = event.document_date, event.signer

    def _on_PlanStarted(self, event: PlanStarted) -> None:
        self.status, self.started_on = IN_PROGRESS, event.started_on

    def _on_PlanAmended(self, event: PlanAmended) -> None:
        self._apply_changes(event.changes)
        self.revisions = [*self.revisions, Revision(event.revision, event.document_number, event.reason,
                                                    event.amended_on, sorted(event.changes))]

    def _on_PlanClosed(self, event: PlanClosed) -> None:
        self.status, self.closed_on = CLOSED, event.closed_on

    def _apply_changes(self, changes: dict) -> None:
        """Changes arrive as values when recorded and as plain data when read back from the log."""
        for name, value in changes.items():
            setattr(self, name, parsed_change(name, value))


def parsed_change(name: str, value):
    """A changed field's value, from the event as recorded or as read back from the log."""
    if name == "indicators":
        return [v if isinstance(v, IndicatorTarget) else IndicatorTarget(v["code"], float(v["target"]))
                for v in value]
    if name.endswith("_on") and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def _check_period(starts_on: date, ends_on: date, summary_report_due_on: date | None, prefix: str = "") -> None:
    if ends_on < starts_on:
        raise DecisionInvalid(f"{prefix}ends_on", "is before starts_on")
    if summary_report_due_on is not None and summary_report_due_on < starts_on:
        raise DecisionInvalid(f"{prefix}summary_report_due_on", "is before the plan starts")


def _shifted_title(title: str, shift: timedelta) -> str:
    """'... năm 2026' copied a year on reads '... năm 2027'."""
    years = round(shift.days / 365.25)
    return re.sub(r"\b(19|20)\d{2}\b", lambda m: str(int(m.group()) + years), title) if years else title
