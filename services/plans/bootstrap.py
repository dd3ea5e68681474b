"""The one place that wires the plans service's adapters to its service layer."""
from __future__ import annotations

from shared import runtime
from shared.repository import EventSourcedRepository
from shared.settings import Settings

from services.plans.adapters.documents import (DOCUMENTS, PlanSnapshot, TaskSnapshot, UnitSnapshot, plan_list_fields,
                                               task_list_fields, unit_list_fields)
from services.plans.domain.model import Plan, Task, Unit
from services.plans.service_layer.handlers import PlanService


def bootstrap(settings: Settings) -> PlanService:
    runtime.connect_database(settings, DOCUMENTS)
    return PlanService(units=EventSourcedRepository("plans", Unit, UnitSnapshot, list_fields=unit_list_fields),
                       plans=EventSourcedRepository("plans", Plan, PlanSnapshot, list_fields=plan_list_fields),
                       tasks=EventSourcedRepository("plans", Task, TaskSnapshot, list_fields=task_list_fields),
                       province_code=settings.province_code)
