"""The one place that wires the plans service: adapters, the read model and the handlers, into a message bus."""
from __future__ import annotations

from shared import areas, audit_reads, runtime
from shared.audit import AuditLog
from shared.clock import Clock
from shared.messagebus import MessageBus, merged
from shared.repository import EventSourcedRepository
from shared.settings import Settings
from shared.working_days import VietnameseWorkingDays

from services.plans.adapters.documents import (DOCUMENTS, BudgetLineSnapshot, HotspotSnapshot, PlanSnapshot,
                                               ReportSnapshot, TaskSnapshot, UnitSnapshot, budget_line_list_fields,
                                               hotspot_list_fields, plan_list_fields, report_list_fields,
                                               task_list_fields, unit_list_fields)
from services.plans.adapters import calendar_tokens
from services.plans.adapters.calendar_feed import ICalendarFeed
from services.plans.adapters.rollup import DOCUMENTS as ROLLUP_DOCUMENTS, PlanState, RollupStore
from services.plans.adapters.rollup_figures import RollupReportFigures
from services.plans.adapters.spreadsheet_report import SpreadsheetReport
from services.plans.adapters.case_log import CasesEventLog
from services.plans.adapters.direction import DirectionFacts
from services.plans.adapters.ledger import IndicatorLedger
from services.plans.domain.hotspots import Hotspot
from services.plans.domain.model import Unit
from services.plans.domain.plan import Plan
from services.plans.domain.reports import Report
from services.plans.domain.resources import BudgetLine
from services.plans.domain.task import Task
from services.plans.service_layer import hotspots, indicators, plans, resources, tasks, units
from services.plans.service_layer import calendar, direction, exports, notices, recount
from services.plans.service_layer import report_batches, reports, rollup, rollup_read
from services.plans.service_layer.unit_of_work import PlansUnitOfWork
from services.plans.views import PlanViews

HANDLERS = merged(units.HANDLERS, plans.HANDLERS, tasks.HANDLERS, indicators.HANDLERS, hotspots.HANDLERS,
                  resources.HANDLERS, direction.HANDLERS, recount.HANDLERS, calendar.HANDLERS, exports.HANDLERS,
                  notices.HANDLERS, reports.HANDLERS, report_batches.HANDLERS, rollup.HANDLERS,
                  rollup_read.HANDLERS, audit_reads.HANDLERS)


def bootstrap(settings: Settings) -> MessageBus:
    areas.use_merges(settings.area_merges_file)
    runtime.connect_database(settings, (*DOCUMENTS, *calendar_tokens.DOCUMENTS, *ROLLUP_DOCUMENTS))
    uow = PlansUnitOfWork(units=EventSourcedRepository("plans", Unit, UnitSnapshot, list_fields=unit_list_fields),
                          plans=EventSourcedRepository("plans", Plan, PlanSnapshot, list_fields=plan_list_fields,
                                                       cache_size=64),
                          tasks=EventSourcedRepository("plans", Task, TaskSnapshot, list_fields=task_list_fields,
                                                       cache_size=512),
                          hotspots=EventSourcedRepository("plans", Hotspot, HotspotSnapshot,
                                                          list_fields=hotspot_list_fields),
                          budget_lines=EventSourcedRepository("plans", BudgetLine, BudgetLineSnapshot,
                                                              list_fields=budget_line_list_fields),
                          reports=EventSourcedRepository("plans", Report, ReportSnapshot,
                                                         list_fields=report_list_fields))
    views, clock, working_days, rollup_store = PlanViews(), Clock(), VietnameseWorkingDays(), RollupStore()
    refresher = rollup.RollupRefresher(uow.plans, PlanState(uow.tasks), views, rollup_store, clock, working_days)
    return MessageBus(HANDLERS, dependencies={"uow": uow, "views": views, "ledger": IndicatorLedger(),
                                              "direction": DirectionFacts(),
                                              "case_log": CasesEventLog(settings.cases_mongodb_db),
                                              "province_code": settings.province_code, "clock": clock,
                                              "working_days": working_days, "rollup": refresher,
                                              "rollup_store": rollup_store,
                                              "calendar_tokens": calendar_tokens.CalendarTokens(),
                                              "calendar_feed": ICalendarFeed(),
                                              "report_figures": RollupReportFigures(rollup_store),
                                              "report_renderer": SpreadsheetReport(),
                                              "audit": AuditLog("plans", settings.audit_key_file)})
