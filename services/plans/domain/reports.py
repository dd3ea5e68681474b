"""A unit's progress report (báo cáo kết quả) on its assignment for one reporting period, approved the way DHIS2
approves data: the unit drafts and submits its figures; the task's lead unit or the plan's coordinators return
it with comments or approve it. Approved figures are locked: a correction after approval is a new revision with a
reason, and the figures approved before stand until the revision is approved in turn.

A report is one per assignment and period (its id says so), on a plan in force and a live assignment only. The
first submission after the period's due date is flagged late, and stays so."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from shared.aggregate import Aggregate, DomainEvent
from shared.refusals import DecisionInvalid, NotAllowedNow, check_reason

from services.plans.domain.crackdown import Crackdown, checked_crackdown, is_number

DRAFT, SUBMITTED, RETURNED, RESUBMITTED, APPROVED = "draft", "submitted", "returned", "resubmitted", "approved"
REPORT_STATUSES = (DRAFT, SUBMITTED, RETURNED, RESUBMITTED, APPROVED)
UNDER_REVIEW = (SUBMITTED, RESUBMITTED)
EDITABLE = (DRAFT, RETURNED)
COMMENTS_MIN_LENGTH = 5


def report_id(task_id: str, unit_code: str, period: str) -> str:
    """One report per assignment and period: a second one collides on this id."""
    return f"{task_id}.{unit_code}.{period}"


@dataclass(frozen=True)
class DocumentReference:
    number: str
    issued_on: date
    title: str


@dataclass(frozen=True)
class ReportContent:
    """What a unit reports: a figure per indicator (those derived from crackdown figures included), a narrative,
    the documents it cites, and a police unit's crackdown figures."""
    values: dict[str, float]
    narrative: str | None = None
    documents: list[DocumentReference] = field(default_factory=list)
    crackdown: Crackdown | None = None


@dataclass(frozen=True)
class Review:
    """A reviewer's word on one revision: returned with comments, or approved (comments optional)."""
    by: str
    unit: str | None
    at: datetime
    outcome: str
    revision: int
    comments: str | None = None


@dataclass(frozen=True)
class RevisionNote:
    number: int
    reason: str
    revised_on: date


def report_content(values: dict, narrative: str | None, documents: list[dict], crackdown: dict | None,
                   indicator_codes: list[str], unit_kind: str | None, today: date) -> ReportContent:
    """The content checked against the task's indicators, with the indicators the crackdown figures imply
    derived from them: a figure the unit also typed must agree."""
    checked = _checked_values(values, indicator_codes)
    figures = checked_crackdown(crackdown, unit_kind) if crackdown is not None else None
    if figures is not None:
        for code, derived in figures.derived().items():
            if code not in indicator_codes:
                continue
            if code in checked and abs(checked[code] - derived) > 1e-9:
                raise DecisionInvalid(f"values.{code}", f"disagrees with the crackdown figures ({derived:g}); "
                                                        "leave it out: it is derived from them")
            checked[code] = derived
    references = []
    for index, document in enumerate(documents):
        if document["issued_on"] > today:
            raise DecisionInvalid(f"documents.{index}.issued_on", "is in the future")
        references.append(DocumentReference(document["number"], document["issued_on"], document["title"]))
    return ReportContent(checked, narrative, references, figures)


def _checked_values(values: dict, indicator_codes: list[str]) -> dict[str, float]:
    for code, value in values.items():
        if code not in indicator_codes:
            raise DecisionInvalid(f"values.{code}", "is not an indicator of this task")
        if not is_number(value):
            raise DecisionInvalid(f"values.{code}", "is not a number")
        if value < 0:
            raise DecisionInvalid(f"values.{code}", "is negative")
    return {code: float(value) for code, value in values.items()}


def check_reportable(plan, task, unit_code: str) -> None:
    """Reports are made, reviewed and corrected only on a plan in force and an assignment not waived."""
    if not plan.is_live:
        raise NotAllowedNow(f"the plan is {plan.status}: reports are made only on a plan in force")
    assignment = task.assignments.get(unit_code)
    if assignment is None:
        raise DecisionInvalid("unit_code", f"{unit_code} has no assignment in this task")
    if assignment.waived:
        raise NotAllowedNow(f"the assignment of {unit_code} was waived on {assignment.waived_on}: nothing to report")


@dataclass(frozen=True)
class ReportDrafted(DomainEvent):
    type = "plans.report.drafted"
    published = False
    report_id: str
    plan_id: str
    task_id: str
    lead_unit: str
    unit_code: str
    area_code: str
    period: str
    period_starts_on: date
    due_on: date
    content: ReportContent


@dataclass(frozen=True)
class ReportChanged(DomainEvent):
    """The unit's new figures while the report is a draft or returned to it."""
    type = "plans.report.changed"
    published = False
    content: ReportContent


@dataclass(frozen=True)
class ReportRevised(DomainEvent):
    """A correction of an approved report: a new revision, submitted at once (ReportSubmitted follows)."""
    type = "plans.report.revised"
    published = False
    revision: int
    reason: str
    revised_on: date
    content: ReportContent


@dataclass(frozen=True)
class ReportSubmitted(DomainEvent):
    """Submitted for review (or resubmitted after a return, or a revision). `reviewer_unit` is the task's lead
    unit, unless that is the reporting unit itself: then only the plan's coordinators review."""
    type = "plans.report.submitted"
    report_id: str
    plan_id: str
    task_id: str
    unit_code: str
    area_code: str
    plan_area_code: str
    reviewer_unit: str | None
    period: str
    revision: int
    late: bool
    submitted_on: date


@dataclass(frozen=True)
class ReportReturned(DomainEvent):
    type = "plans.report.returned"
    report_id: str
    plan_id: str
    task_id: str
    unit_code: str
    area_code: str
    period: str
    revision: int
    returned_on: date
    review: Review


@dataclass(frozen=True)
class ReportApproved(DomainEvent):
    type = "plans.report.approved"
    report_id: str
    plan_id: str
    task_id: str
    unit_code: str
    area_code: str
    period: str
    revision: int
    approved_on: date
    review: Review


@dataclass(eq=False)
class Report(Aggregate):
    stream_type = "report"
    event_types = {e.type: e for e in (ReportDrafted, ReportChanged, ReportRevised, ReportSubmitted, ReportReturned,
                                       ReportApproved)}
    id: str
    plan_id: str | None = None
    task_id: str | None = None
    lead_unit: str | None = None
    unit_code: str | None = None
    area_code: str | None = None
    period: str | None = None
    period_starts_on: date | None = None
    due_on: date | None = None
    status: str = DRAFT
    revision: int = 1
    values: dict[str, float] = field(default_factory=dict)
    narrative: str | None = None
    documents: list[DocumentReference] = field(default_factory=list)
    crackdown: Crackdown | None = None
    late: bool = False
    first_submitted_on: date | None = None
    submitted_on: date | None = None
    approved_values: dict[str, float] | None = None
    approved_revision: int | None = None
    approved_on: date | None = None
    reviews: list[Review] = field(default_factory=list)
    revisions: list[RevisionNote] = field(default_factory=list)

    @classmethod
    def draft(cls, plan, task, unit_code: str, period, content: ReportContent) -> "Report":
        """A new report of `unit_code`'s assignment in `task` for the reporting `period` of `plan`."""
        check_reportable(plan, task, unit_code)
        report = cls(report_id(task.id, unit_code, period.code))
        report.record(ReportDrafted(report_id=report.id, plan_id=plan.id, task_id=task.id, lead_unit=task.lead_unit,
                                    unit_code=unit_code, area_code=task.assignments[unit_code].area_code,
                                    period=period.code, period_starts_on=period.starts_on, due_on=period.due_on,
                                    content=content))
        return report

    def change(self, plan, task, content: ReportContent) -> None:
        check_reportable(plan, task, self.unit_code)
        if self.status == APPROVED:
            raise NotAllowedNow("the report is approved and its figures locked: correct it by a revision with a "
                                "reason", allowed=["revise"])
        if self.status not in EDITABLE:
            raise NotAllowedNow(f"the report is {self.status} and under review: it changes once returned")
        self.record(ReportChanged(content=content))

    def submit(self, plan, task, on: date) -> None:
        if self.status == APPROVED:
            raise NotAllowedNow("the report is approved: a correction is a revision with a reason",
                                allowed=["revise"])
        if self.status not in EDITABLE:
            raise NotAllowedNow(f"the report is already {self.status}", allowed=["return", "approve"])
        self._submitted(plan, task, on)

    def return_(self, plan, task, comments: str | None, by: str, unit: str | None, at: datetime, on: date) -> None:
        """Back to the unit with comments saying what to correct."""
        check_reason(comments, COMMENTS_MIN_LENGTH, "comments")
        self._check_under_review(plan, task)
        review = Review(by, unit, at, RETURNED, self.revision, comments.strip())
        self.record(ReportReturned(report_id=self.id, plan_id=self.plan_id, task_id=self.task_id,
                                   unit_code=self.unit_code, area_code=self.area_code, period=self.period,
                                   revision=self.revision, returned_on=on, review=review))

    def approve(self, plan, task, comments: str | None, by: str, unit: str | None, at: datetime, on: date) -> None:
        self._check_under_review(plan, task)
        review = Review(by, unit, at, APPROVED, self.revision, comments.strip() if comments else None)
        self.record(ReportApproved(report_id=self.id, plan_id=self.plan_id, task_id=self.task_id,
                                   unit_code=self.unit_code, area_code=self.area_code, period=self.period,
                                   revision=self.revision, approved_on=on, review=review))

    def revise(self, plan, task, reason: str, content: ReportContent, on: date) -> None:
        """Correct approved figures: a new revision, submitted for approval at once; the figures approved before
        stand until then."""
        if self.status != APPROVED:
            raise NotAllowedNow(f"the report is {self.status}: only an approved report is revised",
                                allowed=["change the draft", "submit"] if self.status in EDITABLE else
                                ["return", "approve"])
        check_reason(reason)
        self.record(ReportRevised(revision=self.revision + 1, reason=reason.strip(), revised_on=on, content=content))
        self._submitted(plan, task, on)

    def _submitted(self, plan, task, on: date) -> None:
        check_reportable(plan, task, self.unit_code)
        if on < self.period_starts_on:
            raise NotAllowedNow(f"the period {self.period} begins on {self.period_starts_on}: report on it from then")
        if not self.values and not self.narrative and self.crackdown is None:
            raise NotAllowedNow("the report holds nothing yet: save at least one figure, a narrative or crackdown "
                                "figures first", allowed=["save the draft"])
        late = self.late if self.first_submitted_on else on > self.due_on
        reviewer = task.lead_unit if task.lead_unit != self.unit_code else None
        self.record(ReportSubmitted(report_id=self.id, plan_id=self.plan_id, task_id=self.task_id,
                                    unit_code=self.unit_code, area_code=self.area_code, plan_area_code=plan.area_code,
                                    reviewer_unit=reviewer, period=self.period, revision=self.revision, late=late,
                                    submitted_on=on))

    def _check_under_review(self, plan, task) -> None:
        check_reportable(plan, task, self.unit_code)
        if self.status not in UNDER_REVIEW:
            raise NotAllowedNow(f"the report is {self.status}, not awaiting review",
                                allowed=["revise"] if self.status == APPROVED else ["submit"])

    def _on_ReportDrafted(self, event: ReportDrafted) -> None:
        for name in ("plan_id", "task_id", "lead_unit", "unit_code", "area_code", "period", "period_starts_on",
                     "due_on"):
            setattr(self, name, getattr(event, name))
        self._take(event.content)

    def _on_ReportChanged(self, event: ReportChanged) -> None:
        self._take(event.content)

    def _on_ReportRevised(self, event: ReportRevised) -> None:
        self.revision = event.revision
        self.revisions = [*self.revisions, RevisionNote(event.revision, event.reason, event.revised_on)]
        self._take(event.content)

    def _on_ReportSubmitted(self, event: ReportSubmitted) -> None:
        self.status = RESUBMITTED if self.status == RETURNED else SUBMITTED
        self.submitted_on, self.late = event.submitted_on, event.late
        self.first_submitted_on = self.first_submitted_on or event.submitted_on

    def _on_ReportReturned(self, event: ReportReturned) -> None:
        self.status = RETURNED
        self.reviews = [*self.reviews, event.review]

    def _on_ReportApproved(self, event: ReportApproved) -> None:
        self.status, self.approved_on = APPROVED, event.approved_on
        self.approved_values, self.approved_revision = dict(self.values), event.revision
        self.reviews = [*self.reviews, event.review]

    def _take(self, content: ReportContent) -> None:
        self.values, self.narrative = dict(content.values), content.narrative
        self.documents, self.crackdown = list(content.documents), content.crackdown
