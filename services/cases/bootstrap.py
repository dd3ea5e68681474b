"""The one place that wires the cases service: adapters, the read model and the handlers, into a message bus."""
from __future__ import annotations

from shared import audit_reads, runtime
from shared.audit import AuditLog
from shared.clock import Clock, province_today
from shared.crypto import FieldCipher
from shared.keys import DataKeys, KeyRing, OwnerCipher
from shared.messagebus import MessageBus, merged
from shared.repository import EventSourcedRepository
from shared.settings import Settings
from shared.working_days import VietnameseWorkingDays

from services.cases.adapters.documents import (DOCUMENTS, CaseAlertLogSnapshot, CaseSnapshot, GrantSnapshot,
                                               case_list_fields, grant_list_fields)
from services.cases.adapters.counts import CaseCounts
from services.cases.adapters.directory import UnitDirectory
from services.cases.adapters.people import PeopleRegister
from services.cases.adapters.workflow_files import load_workflows
from services.cases.domain.alerts import CaseAlertLog
from services.cases.domain.grants import AccessGrant
from services.cases.domain.model import Case
from services.cases.service_layer import (alerts, cases, care, counting, disclosure, lists, people, reads,
                                         retention, sharing, timers, treatment)
from services.cases.entrypoints.registers import read_upload
from services.cases.service_layer import imports
from services.cases.service_layer.cases import CaseOpening
from services.cases.service_layer.lists import Listing
from services.cases.service_layer.people import Registration
from services.cases.service_layer.presenting import Presenter
from services.cases.service_layer.sealing import CaseSeal
from services.cases.service_layer.unit_of_work import CaseUnitOfWork
from services.cases.views import CaseViews

HANDLERS = merged(cases.HANDLERS, sharing.HANDLERS, care.HANDLERS, treatment.HANDLERS, people.HANDLERS,
                  reads.HANDLERS, lists.HANDLERS, timers.HANDLERS, alerts.HANDLERS, audit_reads.HANDLERS,
                  disclosure.HANDLERS, retention.HANDLERS, counting.HANDLERS, imports.HANDLERS)


def bootstrap(settings: Settings, today=province_today) -> MessageBus:
    workflows = load_workflows()
    runtime.connect_database(settings, DOCUMENTS)
    cipher, clock = FieldCipher(settings.data_key, settings.lookup_key), Clock(today)
    sealer = OwnerCipher(DataKeys(KeyRing.read(settings.master_keys_file)), cipher)
    case_repository = EventSourcedRepository("cases", Case, CaseSnapshot, list_fields=case_list_fields,
                                             event_types=Case.event_types_with(workflows.values()),
                                             sealer=sealer, owner_of=lambda case: case.person_code,
                                             cache_size=settings.cases_cached)
    grants = EventSourcedRepository("cases", AccessGrant, GrantSnapshot, list_fields=grant_list_fields)
    alert_logs = EventSourcedRepository("cases", CaseAlertLog, CaseAlertLogSnapshot, cache_size=settings.cases_cached,
                                        remember_absent=True)
    audit = AuditLog("cases", settings.audit_key_file)
    uow = CaseUnitOfWork(case_repository, grants, audit)
    register = PeopleRegister(cipher, sealer)
    views = CaseViews(case_repository, cipher, sealer, alert_logs, grants)
    seal = CaseSeal(sealer)
    counts = CaseCounts()
    counts.start()
    registration = Registration(register, audit, clock)
    return MessageBus(HANDLERS, dependencies={
        "uow": uow, "views": views, "people": register, "registration": registration, "audit": audit,
        "seal": seal, "clock": clock, "directory": UnitDirectory(), "counts": counts,
        "break_glass_per_day": settings.break_glass_per_day, "export_max_rows": settings.export_max_rows,
        "listing": Listing(views, counts, settings.counted_list_above), "workflows": workflows,
        "working_days": VietnameseWorkingDays(),
        "province_code": settings.province_code, "timer_state": timers.TimerState(), "alert_logs": alert_logs,
        "present": Presenter(views, register, seal, clock),
        "opening": CaseOpening(registration, workflows, clock, settings.province_code, uow),
        "register_reader": read_upload})
