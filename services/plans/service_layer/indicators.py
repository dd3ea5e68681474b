"""Indicators counted from case events: each event counts once toward every indicator of every plan whose area
covers its commune and whose period holds its date."""
from __future__ import annotations

from datetime import date

from shared import areas
from shared.envelope import Envelope

from services.plans.domain.commands import CountCaseEvent
from services.plans.domain.model import IndicatorDefinition, indicators_counting
from services.plans.service_layer.ports import IndicatorLedger, PlanViews

EVENT_DAY_FIELDS = ("opened_on", "effective_on", "provided_on")


def _day_of(event: Envelope) -> date:
    """The day the fact happened: the event's own date field, or when it was recorded."""
    return next((date.fromisoformat(event.data[name]) for name in EVENT_DAY_FIELDS if event.data.get(name)),
                event.occurred_at.date())


def count_case_event(command: CountCaseEvent, principal, views: PlanViews, ledger: IndicatorLedger) -> int:
    """How many contributions the event added; a redelivered event, or a person counted per person, adds none."""
    event = command.event
    definitions = indicators_counting(event.type, event.data)
    if not definitions:
        return 0
    commune, day = event.data.get("commune_code") or event.area_code, _day_of(event)
    plans = [p for p in views.plans() if areas.covers(p.area_code, commune) and p.starts_on <= day <= p.ends_on]
    return sum(_contribute(plan.id, definition, event, ledger) for plan in plans for definition in definitions
               if definition.code in plan.indicator_codes)


def _contribute(plan_id: str, definition: IndicatorDefinition, event: Envelope, ledger: IndicatorLedger) -> int:
    key, amount = definition.contribution(event.id, event.data)
    return int(ledger.add(plan_id, definition.code, key, amount, event.id, event.area_code))


HANDLERS = {CountCaseEvent: count_case_event}
