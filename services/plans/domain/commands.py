"""What callers ask the plans service to do."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.envelope import Envelope

from services.plans.domain.submissions import ReportSubmission


@dataclass(frozen=True)
class RegisterUnit:
    unit_code: str
    name: str
    kind: str
    area_code: str
    covers: list[str]


@dataclass(frozen=True)
class CreatePlan:
    """Draft a plan; `indicators` are IndicatorTarget values."""
    title: str
    kind: str
    area_code: str
    starts_on: date
    ends_on: date
    indicators: list
    theme: str | None = None
    slogan: str | None = None
    goals: str | None = None
    requirements: str | None = None
    summary_report_due_on: date | None = None


@dataclass(frozen=True)
class ChangePlanDraft:
    plan_id: str
    changes: dict
    expected_version: int | None = None


@dataclass(frozen=True)
class IssuePlan:
    plan_id: str
    issuing_authority: str
    document_number: str
    document_date: date
    signer: str
    expected_version: int | None = None


@dataclass(frozen=True)
class StartPlan:
    plan_id: str
    expected_version: int | None = None


@dataclass(frozen=True)
class AmendPlan:
    plan_id: str
    document_number: str
    reason: str
    amended_on: date
    changes: dict
    expected_version: int | None = None


@dataclass(frozen=True)
class ClosePlan:
    plan_id: str
    closed_on: date
    expected_version: int | None = None


@dataclass(frozen=True)
class CopyPlan:
    """A new draft from an earlier plan, every date shifted to the period starting `starts_on`."""
    plan_id: str
    starts_on: date
    title: str | None = None


@dataclass(frozen=True)
class AnnounceTasks:
    """Publish the tasks of an issued plan to their units (the plans worker, on `plans.plan.issued`)."""
    plan_id: str


@dataclass(frozen=True)
class AssignTask:
    """Add a task to a plan; `starts_on` defaults to the plan's first day."""
    plan_id: str
    title: str
    lead_unit: str
    supporting_units: list[str]
    due_on: date
    starts_on: date | None = None
    description: str | None = None
    areas: list[str] = ()
    place_types: list[str] = ()
    indicators: list = ()
    tags: list[str] = ()


@dataclass(frozen=True)
class ChangeTask:
    """Change a task; once its plan is in force, `reason` and `document_number` cite the amendment."""
    task_id: str
    changes: dict
    reason: str | None = None
    document_number: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class AssignUnit:
    """Give a unit its share of the task's targets (replacing its earlier shares)."""
    task_id: str
    unit_code: str
    shares: dict[str, float]
    expected_version: int | None = None


@dataclass(frozen=True)
class WaiveAssignment:
    task_id: str
    unit_code: str
    reason: str
    expected_version: int | None = None


@dataclass(frozen=True)
class NoticeDeadlines:
    """The daily timer: start plans whose period has begun, and notice task and report deadlines due within the
    warning period or passed."""


@dataclass(frozen=True)
class CountCaseEvent:
    """A case event some indicators count, as the cases service published it."""
    event: Envelope


@dataclass(frozen=True)
class CountCaseEvents:
    """Several such events at once, as the worker's consumer takes them from the queue."""
    events: list[Envelope]


@dataclass(frozen=True)
class RecordDirectionEvent:
    """A case event the direction measures count (domain/direction.py), as the cases service published it."""
    event: Envelope


@dataclass(frozen=True)
class RecountIndicators:
    """Recount the case-derived indicators from the cases event log and compare with the ledger; `fix` adds the
    contributions the ledger misses (it never deletes: extras are listed)."""
    plan_id: str | None = None
    fix: bool = False


@dataclass(frozen=True)
class IdentifyHotspot:
    """Record a drug hotspot found in a commune; `coordinates` is {latitude, longitude} (WGS84) or None."""
    place_name: str
    commune_code: str
    kind: str
    activity: str
    level: str
    found_on: date
    description: str | None = None
    address: str | None = None
    coordinates: dict | None = None
    task_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class TransitionHotspot:
    hotspot_id: str
    to: str
    effective_on: date
    note: str
    level: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class LinkHotspotTasks:
    """The full list of tasks the hotspot is linked to."""
    hotspot_id: str
    task_ids: tuple[str, ...]
    expected_version: int | None = None


@dataclass(frozen=True)
class PlanBudgetLine:
    plan_id: str
    source: str
    purpose: str
    planned_vnd: int
    task_id: str | None = None


@dataclass(frozen=True)
class RecordSpending:
    budget_line_id: str
    amount_vnd: int
    spent_on: date
    document_ref: str | None = None
    note: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class MintCalendarToken:
    """A new secret for the unit's calendar feed URL, replacing the one before (`expected_version`: the number of
    secrets the caller knows the unit has had)."""
    unit_code: str
    expected_version: int | None = None


@dataclass(frozen=True)
class SaveReport:
    """Create or change the draft of a unit's progress report on its assignment for a reporting period."""
    task_id: str
    unit_code: str
    period: str
    values: dict | None = None
    narrative: str | None = None
    documents: tuple[dict, ...] = ()
    crackdown: dict | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class SubmitReport:
    task_id: str
    unit_code: str
    period: str
    expected_version: int | None = None


@dataclass(frozen=True)
class SubmitReports:
    """Submit many of a unit's reports at once (at a weekly deadline, every draft of the period): each is
    submitted or refused on its own, as `SubmitReport` would be."""
    unit_code: str
    reports: tuple[ReportSubmission, ...]


@dataclass(frozen=True)
class ReturnReport:
    task_id: str
    unit_code: str
    period: str
    comments: str
    expected_version: int | None = None


@dataclass(frozen=True)
class ApproveReport:
    task_id: str
    unit_code: str
    period: str
    comments: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class ReviseReport:
    """Correct an approved report: a new revision with a reason, submitted for approval at once."""
    task_id: str
    unit_code: str
    period: str
    reason: str
    values: dict | None = None
    narrative: str | None = None
    documents: tuple[dict, ...] = ()
    crackdown: dict | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class RefreshRollup:
    """Fold the plan's roll-up rows again from current state: a unit's (with its areas and the province total), or
    with no unit every row of the plan. `reflecting` (stream id, version) is the event that asked: rows already
    folded from that version or a later one are left as they are."""
    plan_id: str
    unit_code: str | None = None
    reflecting: tuple[str, int] | None = None


@dataclass(frozen=True)
class RefreshStaleRollups:
    """Rebuild the roll-up of every plan in force not rebuilt today (the worker's timer): statuses and missing
    reports move with the calendar."""
