"""Tasks of a plan, each assigned to a lead unit and supporting units."""
from __future__ import annotations

import uuid

from shared.auth import Principal
from shared.errors import InvalidInput, NotAuthorised, NotFound

from services.plans.domain.access import may_manage
from services.plans.domain.commands import AssignTask
from services.plans.domain.model import Task
from services.plans.domain.queries import ListTasks
from services.plans.service_layer.plans import visible_plan
from services.plans.service_layer.ports import PlanViews, TaskRow
from services.plans.service_layer.unit_of_work import PlansUnitOfWork


def assign_task(command: AssignTask, principal: Principal, uow: PlansUnitOfWork) -> Task:
    plan = uow.plans.get(command.plan_id)
    if plan is None:
        raise NotFound(f"no plan {command.plan_id}")
    if not may_manage(principal, plan.area_code):
        raise NotAuthorised("only plan coordinators of this area manage plans and units")
    units = [("lead_unit", command.lead_unit)] + [(f"supporting_units.{i}", code)
                                                 for i, code in enumerate(command.supporting_units)]
    for field, code in units:
        if not uow.units.exists(code):
            raise InvalidInput.field(field, f"no registered unit {code!r}")
    if command.due_on < plan.starts_on:
        raise InvalidInput.field("due_on", "is before the plan starts")
    task = Task.assign(uuid.uuid4().hex, plan.id, command.title, command.lead_unit, command.supporting_units,
                       command.due_on)
    uow.add(task, principal)
    return task


def list_tasks(query: ListTasks, principal: Principal, uow: PlansUnitOfWork,
               views: PlanViews) -> tuple[list[TaskRow], int]:
    visible_plan(query.plan_id, principal, uow.plans)
    return views.tasks(query.plan_id, query.first, query.limit)


HANDLERS = {AssignTask: assign_task, ListTasks: list_tasks}
