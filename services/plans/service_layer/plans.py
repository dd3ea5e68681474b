"""Plans as documents: drafted, changed while a draft, issued, started, amended with a reason, copied to a new
period, closed when every assignment is settled; read with their indicators' results and history."""
from __future__ import annotations

import uuid

from shared.auth import Principal
from shared.clock import Clock
from shared.errors import NotAuthorised, NotFound
from shared.ports import Repository
from shared.refusals import NotAllowedNow, domain_refusals
from shared.working_days import WorkingCalendar

from services.plans.domain.access import manages_plan, may_manage, sees_plan
from services.plans.domain.commands import (AmendPlan, AnnounceTasks, ChangePlanDraft, ClosePlan, CopyPlan,
                                            CreatePlan, IssuePlan, StartPlan)
from services.plans.domain.periods import FINAL, reporting_periods
from services.plans.domain.plan import Plan
from services.plans.domain.queries import ListPlans, PlanHistory, ReadPlan
from services.plans.domain.reports import APPROVED
from services.plans.service_layer.ports import PlanRow, PlanViews
from services.plans.service_layer.unit_of_work import PlansUnitOfWork
from services.plans.service_layer.units import check_in_province


def create_plan(command: CreatePlan, principal: Principal, uow: PlansUnitOfWork, province_code: str) -> Plan:
    check_in_province("area_code", command.area_code, province_code)
    if not may_manage(principal, command.area_code):
        raise NotAuthorised("only plan coordinators of this area manage plans and units")
    with domain_refusals():
        plan = Plan.draft(uuid.uuid4().hex, command.title, command.kind, command.area_code, command.starts_on,
                          command.ends_on, list(command.indicators), command.theme, command.slogan,
                          command.goals, command.requirements, command.summary_report_due_on)
    uow.add(plan, principal)
    return plan


def visible_plan(plan_id: str, principal: Principal, plans: Repository) -> Plan:
    """The plan, if the caller may see it (drafts only its coordinators); otherwise 404 as if there were none."""
    plan = plans.get(plan_id)
    if plan is None or not sees_plan(principal, plan):
        raise NotFound(f"no plan {plan_id} visible to you")
    return plan


def _changing(uow: PlansUnitOfWork, command, principal: Principal):
    return uow.changing("plan", command.plan_id, principal, command.expected_version, sees_plan, manages_plan)


def change_draft(command: ChangePlanDraft, principal: Principal, uow: PlansUnitOfWork) -> Plan:
    with _changing(uow, command, principal) as plan:
        plan.change_draft(command.changes)
    return plan


def issue_plan(command: IssuePlan, principal: Principal, uow: PlansUnitOfWork, views: PlanViews,
               clock: Clock) -> Plan:
    """The tasks are announced to their units after the plan is stored as issued (the worker answers
    `plans.plan.issued` with AnnounceTasks), so an interrupted issue still reaches every unit."""
    with _changing(uow, command, principal) as plan:
        if not views.task_ids(plan.id):
            raise NotAllowedNow("a plan is issued with its tasks: add at least one", allowed=["add a task"])
        plan.issue(command.issuing_authority, command.document_number, command.document_date, command.signer,
                   clock.today())
    return plan


def announce_tasks(command: AnnounceTasks, principal: Principal, uow: PlansUnitOfWork, views: PlanViews) -> int:
    """How many tasks were announced now; tasks announced before are left as they are (redelivery)."""
    announced = 0
    for task_id in views.task_ids(command.plan_id):
        task = uow.tasks.get(task_id)
        if not task.announced:
            task.announce()
            uow.save(task, principal)
            announced += 1
    return announced


def start_plan(command: StartPlan, principal: Principal, uow: PlansUnitOfWork, clock: Clock) -> Plan:
    with _changing(uow, command, principal) as plan:
        plan.start(clock.today())
    return plan


def amend_plan(command: AmendPlan, principal: Principal, uow: PlansUnitOfWork) -> Plan:
    with _changing(uow, command, principal) as plan:
        plan.amend(command.document_number, command.reason, command.amended_on, command.changes)
    return plan


def close_plan(command: ClosePlan, principal: Principal, uow: PlansUnitOfWork, views: PlanViews,
               clock: Clock) -> Plan:
    """Every live assignment needs its final report approved; waived ones are counted."""
    with _changing(uow, command, principal) as plan:
        approved = {(r.task_id, r.unit_code) for r in views.reports_of_plan(plan.id)
                    if r.period == FINAL and r.status == APPROVED}
        tasks = [uow.tasks.get(task_id) for task_id in views.task_ids(plan.id)]
        unsettled = [f"{task.id}/{a.unit_code}" for task in tasks for a in task.live_assignments()
                     if (task.id, a.unit_code) not in approved]
        waived = sum(len(task.assignments) - len(task.live_assignments()) for task in tasks)
        plan.close(command.closed_on, unsettled, waived, clock.today())
    return plan


def copy_plan(command: CopyPlan, principal: Principal, uow: PlansUnitOfWork, views: PlanViews) -> Plan:
    """The new draft keeps the tasks, their units and targets, every date shifted; the assignments' shares are
    carried over as drafts (communes' shares rarely change year to year; the standing office edits them)."""
    source = visible_plan(command.plan_id, principal, uow.plans)
    if not manages_plan(principal, source):
        raise NotAuthorised("only plan coordinators of this area manage plans and units")
    with domain_refusals():
        plan = source.copy(uuid.uuid4().hex, command.starts_on, command.title)
        shift = plan.starts_on - source.starts_on
        tasks = [uow.tasks.get(task_id).copy_to(uuid.uuid4().hex, plan, shift)
                 for task_id in views.task_ids(source.id)]
    uow.add(plan, principal)
    for task in tasks:
        uow.add(task, principal)
    return plan


def read_plan(query: ReadPlan, principal: Principal, uow: PlansUnitOfWork, views: PlanViews,
              working_days: WorkingCalendar) -> tuple[Plan, dict[str, int], list]:
    """The plan, each indicator's total counted from case events so far, and its reporting periods."""
    plan = visible_plan(query.plan_id, principal, uow.plans)
    periods = reporting_periods(plan.kind, plan.starts_on, plan.ends_on, plan.summary_report_due_on, working_days)
    return plan, views.indicator_totals(plan.id), periods


def plan_history(query: PlanHistory, principal: Principal, uow: PlansUnitOfWork, views: PlanViews) -> list:
    """(envelope, event) of the plan and of each of its tasks, oldest first."""
    plan = visible_plan(query.plan_id, principal, uow.plans)
    entries = list(uow.plans.history(plan.id))
    for task_id in views.task_ids(plan.id):
        entries += uow.tasks.history(task_id)
    return sorted(entries, key=lambda entry: (entry[0].occurred_at, entry[0].id))


def list_plans(query: ListPlans, principal: Principal, views: PlanViews) -> tuple[list[PlanRow], int]:
    visible = [p for p in views.plans() if sees_plan(principal, p)
               and (query.status is None or p.status == query.status) and (query.kind is None or p.kind == query.kind)]
    return visible[query.first:query.first + query.limit], len(visible)


HANDLERS = {CreatePlan: create_plan, ChangePlanDraft: change_draft, IssuePlan: issue_plan,
            AnnounceTasks: announce_tasks, StartPlan: start_plan, AmendPlan: amend_plan, ClosePlan: close_plan,
            CopyPlan: copy_plan, ReadPlan: read_plan, PlanHistory: plan_history, ListPlans: list_plans}
