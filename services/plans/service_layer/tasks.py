"""Tasks of a plan: what is to be done by whom, by when, against which targets; each unit's assignment and share;
their status computed from the reports; a unit's own list of work ("my tasks")."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from shared import areas
from shared.auth import Principal
from shared.clock import Clock
from shared.errors import InvalidInput, NotAuthorised
from shared.refusals import domain_refusals

from services.plans.domain.access import manages_plan, sees_plan
from services.plans.domain.commands import AssignTask, AssignUnit, ChangeTask, WaiveAssignment
from services.plans.domain.plan import LIVE, Plan
from services.plans.domain.progress import assignment_status, combined
from services.plans.domain.queries import ListTasks, MyTasks, ReadTask
from services.plans.domain.task import Task
from services.plans.service_layer.plans import visible_plan
from services.plans.service_layer.ports import PlanViews, ReportRow
from services.plans.service_layer.unit_of_work import PlansUnitOfWork


@dataclass(frozen=True)
class TaskProgress:
    """A task with its status and each assigned unit's status (waived assignments have none)."""
    task: Task
    status: str
    unit_statuses: dict[str, str]
    only_unit: str | None = None
    """Set when a unit reads its own work: of the assignments it sees only its own."""


def progress_of(task: Task, reports: list[ReportRow], today: date) -> TaskProgress:
    by_unit: dict[str, list[ReportRow]] = {}
    for report in reports:
        by_unit.setdefault(report.unit_code, []).append(report)
    units = {a.unit_code: assignment_status(a.shares, by_unit.get(a.unit_code, []), task.starts_on, task.due_on,
                                            today) for a in task.live_assignments()}
    if units:
        return TaskProgress(task, combined(list(units.values())), units)
    lead = [r for r in reports if r.unit_code == task.lead_unit]
    targets = {t.code: t.target for t in task.indicators}
    return TaskProgress(task, assignment_status(targets, lead, task.starts_on, task.due_on, today), {})


def _check_units(uow: PlansUnitOfWork, named: list[tuple[str, str]]) -> None:
    for field, code in named:
        if not uow.units.exists(code):
            raise InvalidInput.field(field, f"no registered unit {code!r}")


def assign_task(command: AssignTask, principal: Principal, uow: PlansUnitOfWork, province_code: str) -> Task:
    plan = visible_plan(command.plan_id, principal, uow.plans)
    if not manages_plan(principal, plan):
        raise NotAuthorised("only plan coordinators of this area manage plans and units")
    _check_units(uow, [("lead_unit", command.lead_unit)] + [(f"supporting_units.{i}", code)
                                                             for i, code in enumerate(command.supporting_units)])
    _check_areas(plan, command.areas)
    with domain_refusals():
        task = Task.draft(uuid.uuid4().hex, plan, command.title, command.lead_unit, command.supporting_units,
                          command.starts_on or plan.starts_on, command.due_on, command.description, command.areas,
                          command.place_types, list(command.indicators), command.tags)
    uow.add(task, principal)
    return task


def _check_areas(plan: Plan, codes) -> None:
    for index, code in enumerate(codes):
        if not areas.covers(plan.area_code, code):
            raise InvalidInput.field(f"areas.{index}", f"{code} is not within the plan's area {plan.area_code}")


def _changing_task(uow: PlansUnitOfWork, command, principal: Principal):
    """A task is seen and changed by whoever sees and manages its plan."""
    plan = lambda task: uow.plans.get(task.plan_id)  # noqa: E731
    return uow.changing("task", command.task_id, principal, command.expected_version,
                        lambda who, task: sees_plan(who, plan(task)), lambda who, task: manages_plan(who, plan(task)))


def change_task(command: ChangeTask, principal: Principal, uow: PlansUnitOfWork) -> Task:
    with _changing_task(uow, command, principal) as task:
        plan = uow.plans.get(task.plan_id)
        if "supporting_units" in command.changes:
            _check_units(uow, [(f"supporting_units.{i}", code)
                               for i, code in enumerate(command.changes["supporting_units"])])
        _check_areas(plan, command.changes.get("areas", ()))
        task.change(plan, command.changes, command.reason, command.document_number)
    return task


def assign_unit(command: AssignUnit, principal: Principal, uow: PlansUnitOfWork, clock: Clock) -> Task:
    with _changing_task(uow, command, principal) as task:
        unit = uow.units.get(command.unit_code)
        if unit is None:
            raise InvalidInput.field("unit_code", f"no registered unit {command.unit_code!r}")
        if not areas.covers(uow.plans.get(task.plan_id).area_code, unit.area_code):
            raise InvalidInput.field("unit_code", f"{command.unit_code} is outside the plan's area")
        task.assign(unit.id, unit.area_code, command.shares, clock.today())
    return task


def waive_assignment(command: WaiveAssignment, principal: Principal, uow: PlansUnitOfWork, clock: Clock) -> Task:
    with _changing_task(uow, command, principal) as task:
        task.waive(command.unit_code, command.reason, clock.today())
    return task


def read_task(query: ReadTask, principal: Principal, uow: PlansUnitOfWork, views: PlanViews,
              clock: Clock) -> TaskProgress:
    task = uow.visible("task", query.task_id, principal,
                       lambda who, found: sees_plan(who, uow.plans.get(found.plan_id)))
    return progress_of(task, views.reports_of_task(task.id), clock.today())


def list_tasks(query: ListTasks, principal: Principal, uow: PlansUnitOfWork, views: PlanViews,
               clock: Clock) -> tuple[list[TaskProgress], int]:
    plan = visible_plan(query.plan_id, principal, uow.plans)
    reports: dict[str, list[ReportRow]] = {}
    for report in views.reports_of_plan(plan.id):
        reports.setdefault(report.task_id, []).append(report)
    rows = [progress_of(task, reports.get(task.id, []), clock.today()) for task in views.plan_tasks(plan.id)
            if (query.tag is None or query.tag in task.tags)
            and (query.unit_code is None or query.unit_code in task.units or query.unit_code in task.assignments)]
    rows = [row for row in rows if query.status is None or row.status == query.status]
    return rows[query.first:query.first + query.limit], len(rows)


def my_tasks(query: MyTasks, principal: Principal, views: PlanViews, clock: Clock) -> tuple[list[TaskProgress], int]:
    """Tasks of plans in force in which the caller's unit leads, supports or has an assignment."""
    if principal.unit is None:
        raise NotAuthorised("your sign-in names no unit: ask the administrator to set it")
    rows = []
    for plan in views.plans():
        if plan.status not in LIVE or not sees_plan(principal, plan):
            continue
        for task in views.plan_tasks(plan.id):
            if principal.unit in task.units or principal.unit in task.assignments:
                rows.append(_progress_of_unit(task, principal.unit, views, clock.today()))
    rows.sort(key=lambda row: (row.task.due_on, row.task.id))
    return rows[query.first:query.first + query.limit], len(rows)


def _progress_of_unit(task: Task, unit_code: str, views: PlanViews, today: date) -> TaskProgress:
    """The task as one unit sees its part: the status of its own assignment (or, leading a task without
    assignments, the task's)."""
    progress = progress_of(task, views.reports_of_assignment(task.id, unit_code), today)
    status = progress.unit_statuses.get(unit_code, progress.status)
    return TaskProgress(task, status, {unit_code: status} if unit_code in progress.unit_statuses else {},
                        only_unit=unit_code)


HANDLERS = {AssignTask: assign_task, ChangeTask: change_task, AssignUnit: assign_unit,
            WaiveAssignment: waive_assignment, ReadTask: read_task, ListTasks: list_tasks, MyTasks: my_tasks}
