"""The one place that wires the cases service's adapters to its service layer."""
from __future__ import annotations

from shared import runtime
from shared.repository import EventSourcedRepository
from shared.settings import Settings

from services.cases.adapters.documents import DOCUMENTS, CaseSnapshot, case_list_fields
from services.cases.adapters.workflow_files import VietnameseWorkingDays, load_workflows
from services.cases.domain.model import Case
from services.cases.service_layer.handlers import CaseService


def bootstrap(settings: Settings) -> CaseService:
    runtime.connect_database(settings, DOCUMENTS)
    cases = EventSourcedRepository("cases", Case, CaseSnapshot, list_fields=case_list_fields)
    return CaseService(cases, settings.province_code, load_workflows(), VietnameseWorkingDays())
