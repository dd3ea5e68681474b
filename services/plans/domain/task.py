"""A plan's task: what is to be done, where, by when, against which targets; the lead unit, the supporting units
and each unit's assignment with its share of the targets.

A task of a draft plan is a working paper: its events are not published, so no unit is alerted to work that is not
yet issued. When the plan is issued (or a task is added to a plan in force) the task is *announced*: `TaskAssigned`
is published with every assigned unit, and later assignments are published as they are made."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from shared.aggregate import Aggregate, DomainEvent, VariantEvent
from shared.refusals import DecisionInvalid, NotAllowedNow, check_reason

from services.plans.domain.notices import DEADLINE_NOTICES, Notice
from services.plans.domain.plan import CLOSED, IndicatorTarget, check_indicator_targets, parsed_change

PLACE_TYPES = ("commune", "agency", "enterprise", "school", "residential_area", "industrial_zone")
TAGS = {
    "cultural_life_movement": "Toàn dân đoàn kết xây dựng đời sống văn hóa",
    "national_security_movement": "Toàn dân bảo vệ an ninh Tổ quốc",
    "drug_free_communes": "Xã, phường lành mạnh không có tệ nạn ma túy",
    "drug_free_schools": "Trường học không có ma túy",
    "drug_free_workplaces": "Doanh nghiệp, khu công nghiệp không có ma túy",
    "harm_reduction": "Giảm tác hại trong dự phòng lây nhiễm HIV",
    "national_drug_programme": "Chương trình mục tiêu quốc gia phòng, chống ma túy",
}
"""Movements and programmes a task serves (configuration: the province's list)."""
EDITABLE_FIELDS = ("title", "description", "supporting_units", "areas", "place_types", "starts_on", "due_on",
                   "indicators", "tags")


@dataclass(frozen=True)
class Assignment:
    """One unit's part of a task: its share of each target (a provincial target split across communes)."""
    unit_code: str
    area_code: str
    shares: dict[str, float]
    assigned_on: date
    waived_reason: str | None = None
    waived_on: date | None = None

    @property
    def waived(self) -> bool:
        return self.waived_reason is not None


@dataclass(frozen=True)
class TaskDrafted(DomainEvent):
    type = "plans.task.drafted"
    published = False
    task_id: str
    plan_id: str
    title: str
    lead_unit: str
    supporting_units: list[str]
    starts_on: date
    due_on: date
    description: str | None = None
    areas: list[str] = field(default_factory=list)
    place_types: list[str] = field(default_factory=list)
    indicators: list[IndicatorTarget] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TaskChanged(DomainEvent):
    """A change while the plan is a draft: a working paper, not published."""
    type = "plans.task.changed"
    published = False
    changes: dict


@dataclass(frozen=True)
class TaskAmended(DomainEvent):
    """A change to a task of a plan in force, made by an amendment that says why (published: units and the
    roll-up follow it)."""
    type = "plans.task.amended"
    task_id: str
    plan_id: str
    changes: dict
    reason: str
    document_number: str


@dataclass(frozen=True)
class TaskAssigned(DomainEvent):
    """The task announced to its units (published): the plan was issued, or the task added to a plan in force."""
    type = "plans.task.assigned"
    task_id: str
    plan_id: str
    title: str
    lead_unit: str
    supporting_units: list[str]
    due_on: date
    starts_on: date | None = None
    assigned_units: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AssignmentDrafted(DomainEvent):
    type = "plans.assignment.drafted"
    published = False
    unit_code: str
    area_code: str
    shares: dict[str, float]
    assigned_on: date


@dataclass(frozen=True)
class AssignmentMade(DomainEvent):
    """An assignment in an announced task (published): the unit has work and a share to report on."""
    type = "plans.assignment.made"
    task_id: str
    plan_id: str
    title: str
    unit_code: str
    area_code: str
    shares: dict[str, float]
    assigned_on: date
    due_on: date


@dataclass(frozen=True)
class AssignmentWaived(DomainEvent):
    type = "plans.assignment.waived"
    task_id: str
    plan_id: str
    unit_code: str
    reason: str
    waived_on: date


@dataclass(frozen=True)
class DeadlineNoticed(VariantEvent):
    """A task due soon or overdue (`plans.task.due_soon`, `.overdue`: to the lead unit), or a unit's report due
    soon or missing (`plans.report.due_soon`, `.overdue`: to that unit); recorded once each."""
    task_id: str
    plan_id: str
    title: str
    unit_code: str
    due_on: date
    period: str | None = None


@dataclass(eq=False)
class Task(Aggregate):
    stream_type = "task"
    event_types = {**{e.type: e for e in (TaskDrafted, TaskChanged, TaskAmended, TaskAssigned, AssignmentDrafted,
                                          AssignmentMade, AssignmentWaived)},
                   **{notice: DeadlineNoticed for notice in DEADLINE_NOTICES}}
    id: str
    plan_id: str | None = None
    title: str | None = None
    description: str | None = None
    lead_unit: str | None = None
    supporting_units: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    place_types: list[str] = field(default_factory=list)
    starts_on: date | None = None
    due_on: date | None = None
    indicators: list[IndicatorTarget] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    assignments: dict[str, Assignment] = field(default_factory=dict)
    announced: bool = False
    noticed: list[str] = field(default_factory=list)

    @classmethod
    def draft(cls, task_id: str, plan, title: str, lead_unit: str, supporting_units: list[str], starts_on: date,
              due_on: date, description: str | None = None, areas: list[str] = (), place_types: list[str] = (),
              indicators: list[IndicatorTarget] = (), tags: list[str] = ()) -> "Task":
        """A task of `plan`; announced at once when the plan is in force."""
        task = cls(task_id)
        fields_ = dict(plan_id=plan.id, title=title, lead_unit=lead_unit, supporting_units=list(supporting_units),
                       starts_on=starts_on, due_on=due_on, description=description, areas=list(areas),
                       place_types=list(place_types), indicators=list(indicators), tags=list(tags))
        _check_task(replace(task, **fields_), plan)
        task.record(TaskDrafted(task_id=task_id, **fields_))
        if plan.is_live:
            task.announce()
        return task

    @property
    def units(self) -> list[str]:
        return [self.lead_unit, *self.supporting_units]

    def target_of(self, code: str) -> float | None:
        return next((t.target for t in self.indicators if t.code == code), None)

    def live_assignments(self) -> list[Assignment]:
        return [a for a in self.assignments.values() if not a.waived]

    def unassigned(self) -> dict[str, float]:
        """Each target less the shares assigned so far: the difference shown when the shares do not add up."""
        return {t.code: t.target - sum(a.shares.get(t.code, 0) for a in self.live_assignments())
                for t in self.indicators}

    def change(self, plan, changes: dict, reason: str | None = None, document_number: str | None = None) -> None:
        """Before the plan is issued, freely; once it is in force, only with the amendment's reason and number. An
        empty change changes nothing."""
        if not changes:
            return
        if plan.status == CLOSED:
            raise NotAllowedNow("the plan is closed")
        unknown = set(changes) - set(EDITABLE_FIELDS)
        if unknown:
            raise DecisionInvalid(sorted(unknown)[0], "cannot be changed")
        if plan.is_live:
            check_reason(reason)
            if not document_number:
                raise DecisionInvalid("document_number", "a change to a plan in force cites the amendment")
        _check_task(replace(self, **changes), plan)
        if plan.is_live:
            self.record(TaskAmended(task_id=self.id, plan_id=self.plan_id, changes=changes, reason=reason.strip(),
                                    document_number=document_number))
        else:
            self.record(TaskChanged(changes=changes))

    def copy_to(self, task_id: str, plan, shift: timedelta) -> "Task":
        """The task in a copied plan: dates shifted by `shift`, units, targets, tags and shares kept, drafted."""
        task = Task.draft(task_id, plan, self.title, self.lead_unit, self.supporting_units, self.starts_on + shift,
                          self.due_on + shift, self.description, self.areas, self.place_types, self.indicators,
                          self.tags)
        for assignment in self.live_assignments():
            task.assign(assignment.unit_code, assignment.area_code, assignment.shares, plan.starts_on)
        return task

    def announce(self) -> None:
        """Publish the task to its units; a second announcement changes nothing."""
        if self.announced:
            return
        self.record(TaskAssigned(task_id=self.id, plan_id=self.plan_id, title=self.title, lead_unit=self.lead_unit,
                                 supporting_units=list(self.supporting_units), due_on=self.due_on,
                                 starts_on=self.starts_on, assigned_units=sorted(self.assignments)))

    def assign(self, unit_code: str, area_code: str, shares: dict[str, float], on: date) -> None:
        """Assign the unit its shares (replacing its earlier ones); the shares of all units may not exceed a
        target."""
        for code, share in shares.items():
            target = self.target_of(code)
            if target is None:
                raise DecisionInvalid(f"shares.{code}", "is not an indicator of this task")
            if share < 0:
                raise DecisionInvalid(f"shares.{code}", "is negative")
            others = sum(a.shares.get(code, 0) for a in self.live_assignments() if a.unit_code != unit_code)
            if others + share > target:
                raise DecisionInvalid(f"shares.{code}", f"the shares would add up to {others + share:g}, over the "
                                                        f"target of {target:g} ({target - others:g} is left)")
        if self.announced:
            self.record(AssignmentMade(task_id=self.id, plan_id=self.plan_id, title=self.title, unit_code=unit_code,
                                       area_code=area_code, shares=dict(shares), assigned_on=on, due_on=self.due_on))
        else:
            self.record(AssignmentDrafted(unit_code=unit_code, area_code=area_code, shares=dict(shares),
                                          assigned_on=on))

    def waive(self, unit_code: str, reason: str, on: date) -> None:
        """Excuse a unit's assignment (it no longer exists, the work was given elsewhere): the plan can close
        without its report."""
        assignment = self.assignments.get(unit_code)
        if assignment is None:
            raise DecisionInvalid("unit_code", f"{unit_code} has no assignment in this task")
        if assignment.waived:
            raise NotAllowedNow(f"the assignment of {unit_code} was waived on {assignment.waived_on}")
        check_reason(reason)
        self.record(AssignmentWaived(task_id=self.id, plan_id=self.plan_id, unit_code=unit_code,
                                     reason=reason.strip(), waived_on=on))

    def notice(self, deadline: Notice) -> bool:
        """Record the deadline's notice unless it was recorded before."""
        if deadline.key in self.noticed:
            return False
        self.record(DeadlineNoticed(event_type=deadline.notice, task_id=self.id, plan_id=self.plan_id,
                                    title=self.title, unit_code=deadline.unit_code, due_on=deadline.due_on,
                                    period=deadline.period))
        return True

    def _on_DeadlineNoticed(self, event: DeadlineNoticed) -> None:
        key = Notice(event.event_type, event.unit_code, event.due_on, event.period).key
        self.noticed = [*self.noticed, key]

    def _on_TaskDrafted(self, event: TaskDrafted) -> None:
        for name in ("plan_id", "title", "description", "lead_unit", "supporting_units", "areas", "place_types",
                     "starts_on", "due_on", "indicators", "tags"):
            setattr(self, name, getattr(event, name))

    def _on_TaskChanged(self, event: TaskChanged) -> None:
        for name, value in event.changes.items():
            setattr(self, name, parsed_change(name, value))

    _on_TaskAmended = _on_TaskChanged

    def _on_TaskAssigned(self, event: TaskAssigned) -> None:
        """Tasks stored before drafts existed begin with this event."""
        if self.plan_id is None:
            self.plan_id, self.title, self.lead_unit = event.plan_id, event.title, event.lead_unit
            self.supporting_units, self.due_on = list(event.supporting_units), event.due_on
            self.starts_on = event.starts_on
        self.announced = True

    def _on_AssignmentDrafted(self, event: AssignmentDrafted) -> None:
        self._put(Assignment(event.unit_code, event.area_code, dict(event.shares), event.assigned_on))

    def _on_AssignmentMade(self, event: AssignmentMade) -> None:
        self._put(Assignment(event.unit_code, event.area_code, dict(event.shares), event.assigned_on))

    def _on_AssignmentWaived(self, event: AssignmentWaived) -> None:
        self._put(replace(self.assignments[event.unit_code], waived_reason=event.reason, waived_on=event.waived_on))

    def _put(self, assignment: Assignment) -> None:
        self.assignments = {**self.assignments, assignment.unit_code: assignment}


def _check_task(task: Task, plan) -> None:
    """A task lies within its plan's period, names known place types and tags, and sets non-negative targets
    no lower than the shares already assigned."""
    if task.starts_on < plan.starts_on or task.starts_on > plan.ends_on:
        raise DecisionInvalid("starts_on", f"is outside the plan's period {plan.starts_on} to {plan.ends_on}")
    if task.due_on < task.starts_on:
        raise DecisionInvalid("due_on", "is before starts_on")
    for index, place_type in enumerate(task.place_types):
        if place_type not in PLACE_TYPES:
            raise DecisionInvalid(f"place_types.{index}", f"unknown place type {place_type!r}")
    for index, tag in enumerate(task.tags):
        if tag not in TAGS:
            raise DecisionInvalid(f"tags.{index}", f"unknown tag {tag!r}")
    check_indicator_targets(task.indicators)
    for code, left in task.unassigned().items():
        if left < 0:
            raise DecisionInvalid("indicators", f"the target of {code} is below the shares already assigned")
    if task.lead_unit in task.supporting_units:
        raise DecisionInvalid("supporting_units", "names the lead unit")
