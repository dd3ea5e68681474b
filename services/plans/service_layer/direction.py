"""The plan's direction measured from case events (domain/direction.py): the consumer keeps each event's facts
once; a read counts them per quarter and commune. Figures are aggregates: no person appears in an answer."""
from __future__ import annotations

from shared.auth import Principal
from shared.errors import InvalidInput, NotAuthorised

from services.plans.domain.commands import RecordDirectionEvent
from services.plans.domain.direction import (MAX_QUARTERS, SPELL, Quarter, QuarterFigures, direction_facts,
                                             direction_report, may_read, quarters_between)
from services.plans.domain.queries import ReadDirection
from services.plans.service_layer.ports import DirectionProjection
from services.plans.service_layer.units import check_in_province


def record_direction_event(command: RecordDirectionEvent, principal, direction: DirectionProjection) -> int:
    """How many facts the event added; a redelivered event adds none (each fact's key holds its event id)."""
    event = command.event
    return direction.add(direction_facts(event.id, event.type, event.data, event.area_code))


def _quarter(field: str, text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except ValueError as error:
        raise InvalidInput.field(field, str(error)) from None


def read_direction(query: ReadDirection, principal: Principal, direction: DirectionProjection,
                   province_code: str) -> list[QuarterFigures]:
    check_in_province("area_code", query.area_code, province_code)
    first, last = _quarter("from", query.first), _quarter("to", query.last)
    if first > last:
        raise InvalidInput.field("from", "is after to")
    if len(quarters_between(first, last)) > MAX_QUARTERS:
        raise InvalidInput.field("to", f"is more than {MAX_QUARTERS} quarters after from")
    if not may_read(principal, query.area_code):
        raise NotAuthorised("the direction measures of an area are for its plan coordinators, auditors and "
                            "administrators")
    quarters = [str(q) for q in quarters_between(first.previous(), last)]
    facts = direction.in_quarters(quarters, query.area_code)
    exits = direction.exits_of([f.case_id for f in facts if f.kind == SPELL])
    return direction_report(query.area_code, first, last, facts, exits)


HANDLERS = {RecordDirectionEvent: record_direction_event, ReadDirection: read_direction}
