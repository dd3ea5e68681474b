"""The resources of a plan: budget lines planned by its coordinators, per plan or per task, and the money spent
against them; whoever may see the plan sees its budget."""
from __future__ import annotations

import uuid

from shared.auth import Principal
from shared.clock import Clock
from shared.errors import Conflict, InvalidInput, NotAuthorised, NotFound
from shared.refusals import domain_refusals

from services.plans.domain.access import may_manage
from services.plans.domain.commands import PlanBudgetLine, RecordSpending
from services.plans.domain.plan import CLOSED
from services.plans.domain.queries import ListBudgetLines, ReadBudgetLine
from services.plans.domain.resources import BudgetLine, Spending
from services.plans.service_layer.plans import visible_plan
from services.plans.service_layer.ports import BudgetLineRow, BudgetTotals, PlanViews
from services.plans.service_layer.unit_of_work import PlansUnitOfWork

MANAGERS_ONLY = "only plan coordinators of the plan's area manage its budget"


def _sees_plan_of(uow: PlansUnitOfWork):
    def sees(principal: Principal, line: BudgetLine) -> bool:
        try:
            visible_plan(line.plan_id, principal, uow.plans)
        except NotFound:
            return False
        return True
    return sees


def _manages(principal: Principal, line: BudgetLine) -> bool:
    return may_manage(principal, line.plan_area)


def plan_budget_line(command: PlanBudgetLine, principal: Principal, uow: PlansUnitOfWork) -> BudgetLine:
    plan = visible_plan(command.plan_id, principal, uow.plans)
    if not may_manage(principal, plan.area_code):
        raise NotAuthorised(MANAGERS_ONLY)
    if plan.status == CLOSED:
        raise Conflict("the plan is closed: its budget takes no new lines (spending is still recorded, for the "
                       "settlement of accounts after it closes)")
    if command.task_id is not None:
        task = uow.tasks.get(command.task_id)
        if task is None or task.plan_id != plan.id:
            raise InvalidInput.field("task_id", f"no task {command.task_id} in this plan")
    with domain_refusals():
        line = BudgetLine.plan(uuid.uuid4().hex, plan.id, command.task_id, plan.area_code, command.source,
                               command.purpose, command.planned_vnd)
    uow.add(line, principal)
    return line


def record_spending(command: RecordSpending, principal: Principal, uow: PlansUnitOfWork,
                    clock: Clock) -> BudgetLine:
    with uow.changing("budget_line", command.budget_line_id, principal, command.expected_version,
                      _sees_plan_of(uow), _manages) as line:
        plan = uow.plans.get(line.plan_id)
        line.record_spending(Spending(uuid.uuid4().hex, command.amount_vnd, command.spent_on, command.document_ref,
                                      command.note), plan.starts_on, clock.today())
    return line


def read_budget_line(query: ReadBudgetLine, principal: Principal, uow: PlansUnitOfWork) -> BudgetLine:
    return uow.visible("budget_line", query.budget_line_id, principal, _sees_plan_of(uow))


def list_budget_lines(query: ListBudgetLines, principal: Principal, uow: PlansUnitOfWork,
                      views: PlanViews) -> tuple[list[BudgetLineRow], BudgetTotals]:
    plan = visible_plan(query.plan_id, principal, uow.plans)
    return views.budget_lines(plan.id), views.budget_totals(plan.id)


HANDLERS = {PlanBudgetLine: plan_budget_line, RecordSpending: record_spending, ReadBudgetLine: read_budget_line,
            ListBudgetLines: list_budget_lines}
