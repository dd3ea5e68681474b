"""The one place that wires the cases service's adapters to its service layer."""
from __future__ import annotations

from datetime import date

from shared import runtime
from shared.crypto import FieldCipher
from shared.repository import EventSourcedRepository
from shared.settings import Settings

from services.cases.adapters.documents import (DOCUMENTS, CaseSnapshot, GrantSnapshot, case_list_fields,
                                               grant_list_fields)
from services.cases.adapters.people import PeopleRegister
from services.cases.adapters.workflow_files import VietnameseWorkingDays, load_workflows
from services.cases.domain.grants import AccessGrant
from services.cases.domain.model import Case
from services.cases.service_layer.handlers import CaseService
from services.cases.service_layer.people import PeopleService


def bootstrap(settings: Settings, today=date.today) -> CaseService:
    workflows = load_workflows()
    runtime.connect_database(settings, DOCUMENTS)
    cases = EventSourcedRepository("cases", Case, CaseSnapshot, list_fields=case_list_fields)
    cipher = FieldCipher(settings.data_key)
    grants = EventSourcedRepository("cases", AccessGrant, GrantSnapshot, list_fields=grant_list_fields)
    people = PeopleService(PeopleRegister(cipher), today)
    return CaseService(cases, grants, people, cipher, settings.province_code, workflows, VietnameseWorkingDays(),
                       today)
