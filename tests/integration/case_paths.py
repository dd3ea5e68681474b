"""Real case events for the plans' consumers: cases walked through the law-73-2021 workflow by the cases domain,
stored in the cases database by its repository, and turned into the messages its relay publishes."""
from __future__ import annotations

from datetime import date

from kombu import Connection

from shared import runtime
from shared.bus import events_exchange
from shared.envelope import Actor
from shared.eventstore import PendingEvent, StoredEvent
from shared.relay import public_message
from shared.repository import EventSourcedRepository
from shared.working_days import VietnameseWorkingDays
from services.cases.adapters.documents import DOCUMENTS, CaseSnapshot, case_list_fields
from services.cases.adapters.workflow_files import load_workflows
from services.cases.contracts import CONTRACTS
from services.cases.domain.model import Case
from services.cases.domain.workflow import Decision

WORKFLOWS = load_workflows()
LAW73 = WORKFLOWS["law-73-2021"]
ROLES = ["police_liaison", "caseworker", "health_worker"]
TODAY = date(2026, 12, 31)
DECISION = {"decision_number": "12/QĐ-UBND", "issuing_authority": "UBND phường",
            "reason": "ghi chú riêng của hồ sơ", "document_ref": "ho-so-1"}


def walk(case: Case, *steps: tuple[str, date]) -> Case:
    for name, day in steps:
        term = 12 if name == "record_court_order" else 6
        case.transition(LAW73, name, ROLES, day, Decision(**DECISION, decision_date=day, term_months=term),
                        VietnameseWorkingDays(), TODAY)
    return case


def opened(case_id: str, person: str, commune: str, on: date) -> Case:
    return walk(Case.open(case_id, f"{commune}-2026-{case_id}", person, commune, on, "tested", LAW73.regime,
                          date(1990, 1, 1)), ("place_under_management", on))


def voluntary_then_aftercare_and_a_positive_test(case_id="c1", person="P1", commune="22366") -> Case:
    case = walk(opened(case_id, person, commune, date(2026, 1, 5)), ("register_community_rehab", date(2026, 2, 1)),
                ("complete_voluntary_rehab", date(2026, 5, 1)))
    case.record_drug_test(f"{case_id}-t1", date(2026, 5, 20), "positive", "officer", None, TODAY)
    return case


def compulsory(case_id="c2", person="P2", commune="22366") -> Case:
    return walk(opened(case_id, person, commune, date(2026, 1, 5)), ("refer_for_assessment", date(2026, 1, 10)),
                ("record_dependence", date(2026, 1, 15)), ("record_violation", date(2026, 1, 25)),
                ("open_compulsory_dossier", date(2026, 2, 1)), ("submit_dossier_to_court", date(2026, 2, 10)),
                ("record_court_order", date(2026, 3, 1)))


def methadone(case_id="c3", person="P3", commune="22366", on=date(2026, 4, 10)) -> Case:
    return walk(opened(case_id, person, commune, on), ("admit_to_methadone", on))


def store(settings, *cases: Case) -> list[dict]:
    """Save the cases in the cases database; the messages of their published events, in order."""
    runtime.connect_database(settings("cases"), DOCUMENTS)
    repository = EventSourcedRepository("cases", Case, CaseSnapshot, list_fields=case_list_fields,
                                        event_types=Case.event_types_with(WORKFLOWS.values()))
    messages = []
    for case in cases:
        for envelope in repository.save(case, Actor("officer", "caseworker", "UBX-22366")):
            if PendingEvent.objects(event_id=envelope.id).first() is not None:
                messages.append(public_message(StoredEvent.objects(key=envelope.stream_key).first().to_envelope(),
                                               CONTRACTS))
    return messages


def publish(amqp_url: str, *messages: dict) -> None:
    with Connection(amqp_url) as connection:
        producer = connection.Producer()
        for message in messages:
            producer.publish(message, exchange=events_exchange("cases"), routing_key=message["type"],
                             serializer="json", delivery_mode=2, declare=[events_exchange("cases")])
