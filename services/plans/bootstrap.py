"""The one place that wires the plans service: adapters, the read model and the handlers, into a message bus."""
from __future__ import annotations

from shared import runtime
from shared.messagebus import MessageBus, merged
from shared.repository import EventSourcedRepository
from shared.settings import Settings

from services.plans.adapters.documents import (DOCUMENTS, PlanSnapshot, TaskSnapshot, UnitSnapshot, plan_list_fields,
                                               task_list_fields, unit_list_fields)
from services.plans.adapters.case_log import CasesEventLog
from services.plans.adapters.direction import DirectionFacts
from services.plans.adapters.ledger import IndicatorLedger
from services.plans.domain.model import Plan, Task, Unit
from services.plans.service_layer import indicators, plans, tasks, units
from services.plans.service_layer import direction, recount
from services.plans.service_layer.unit_of_work import PlansUnitOfWork
from services.plans.views import PlanViews

HANDLERS = merged(units.HANDLERS, plans.HANDLERS, tasks.HANDLERS, indicators.HANDLERS, direction.HANDLERS,
                  recount.HANDLERS)


def bootstrap(settings: Settings) -> MessageBus:
    runtime.connect_database(settings, DOCUMENTS)
    uow = PlansUnitOfWork(units=EventSourcedRepository("plans", Unit, UnitSnapshot, list_fields=unit_list_fields),
                          plans=EventSourcedRepository("plans", Plan, PlanSnapshot, list_fields=plan_list_fields),
                          tasks=EventSourcedRepository("plans", Task, TaskSnapshot, list_fields=task_list_fields))
    return MessageBus(HANDLERS, dependencies={"uow": uow, "views": PlanViews(), "ledger": IndicatorLedger(),
                                              "direction": DirectionFacts(),
                                              "case_log": CasesEventLog(settings.cases_mongodb_db),
                                              "province_code": settings.province_code})
