"""Plans: their period, area and indicators with targets, and the results counted so far."""
from __future__ import annotations

import uuid

from shared.auth import Principal
from shared.errors import InvalidInput, NotAuthorised, NotFound
from shared.ports import Repository

from services.plans.domain.access import may_manage, may_see
from services.plans.domain.commands import CreatePlan
from services.plans.domain.model import INDICATORS, Plan
from services.plans.domain.queries import ListPlans, ReadPlan
from services.plans.service_layer.ports import PlanRow, PlanViews
from services.plans.service_layer.unit_of_work import PlansUnitOfWork
from services.plans.service_layer.units import check_in_province


def _check_indicators(indicators: list[dict]) -> None:
    codes = [i["code"] for i in indicators]
    for index, code in enumerate(codes):
        if code not in INDICATORS:
            raise InvalidInput.field(f"indicators.{index}.code", f"unknown indicator {code!r}")
    if len(set(codes)) != len(codes):
        raise InvalidInput.field("indicators", "lists an indicator twice")


def create_plan(command: CreatePlan, principal: Principal, uow: PlansUnitOfWork, province_code: str) -> Plan:
    check_in_province("area_code", command.area_code, province_code)
    if command.ends_on < command.starts_on:
        raise InvalidInput.field("ends_on", "is before starts_on")
    _check_indicators(command.indicators)
    if not may_manage(principal, command.area_code):
        raise NotAuthorised("only plan coordinators of this area manage plans and units")
    plan = Plan.create(uuid.uuid4().hex, command.title, command.kind, command.area_code, command.starts_on,
                       command.ends_on, command.indicators)
    uow.add(plan, principal)
    return plan


def visible_plan(plan_id: str, principal: Principal, plans: Repository) -> Plan:
    plan = plans.get(plan_id)
    if plan is None or not may_see(principal, plan.area_code):
        raise NotFound(f"no plan {plan_id} visible to you")
    return plan


def read_plan(query: ReadPlan, principal: Principal, uow: PlansUnitOfWork,
              views: PlanViews) -> tuple[Plan, dict[str, int]]:
    """The plan and each indicator's total so far."""
    plan = visible_plan(query.plan_id, principal, uow.plans)
    return plan, views.indicator_totals(plan.id)


def list_plans(query: ListPlans, principal: Principal, views: PlanViews) -> tuple[list[PlanRow], int]:
    visible = [p for p in views.plans() if may_see(principal, p.area_code)]
    return visible[query.first:query.first + query.limit], len(visible)


HANDLERS = {CreatePlan: create_plan, ReadPlan: read_plan, ListPlans: list_plans}
