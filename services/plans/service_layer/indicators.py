"""Indicators counted from case events: each event counts once toward every indicator of every plan whose area
covers its commune and whose period holds its date."""
from __future__ import annotations

from datetime import date

from shared import areas
from shared.clock import province_today
from shared.envelope import Envelope

from services.plans.domain.commands import CountCaseEvent, CountCaseEvents
from services.plans.domain.model import IndicatorDefinition, indicators_counting
from services.plans.service_layer.ports import Contribution, IndicatorLedger, PlanRow, PlanViews
from services.plans.service_layer.rollup import RollupRefresher

EVENT_DAY_FIELDS = ("opened_on", "effective_on", "provided_on")


def _day_of(event: Envelope) -> date:
    """The day the fact happened: the event's own date field, or the province's date when it was recorded."""
    return next((date.fromisoformat(event.data[name]) for name in EVENT_DAY_FIELDS if event.data.get(name)),
                province_today(event.occurred_at))


def contributions_of(event: Envelope, plans: list[PlanRow]) -> list[Contribution]:
    """What the event adds: to each indicator counting it, of each plan whose area covers its commune and whose
    period holds its day. The live consumer and the recount (recount.py) both count through here."""
    definitions = indicators_counting(event.type, event.data)
    if not definitions:
        return []
    commune, day = event.data.get("commune_code") or event.area_code, _day_of(event)
    return [_contribution(plan.id, definition, event, commune, day) for plan in plans
            if areas.covers(plan.area_code, commune) and plan.starts_on <= day <= plan.ends_on
            for definition in definitions if definition.code in plan.indicator_codes]


def _contribution(plan_id: str, definition: IndicatorDefinition, event: Envelope, commune: str,
                  day: date) -> Contribution:
    key, amount = definition.contribution(event.id, event.data)
    return Contribution(plan_id, definition.code, key, amount, event.id, commune, day)


def record(contribution: Contribution, ledger: IndicatorLedger) -> bool:
    """Add the contribution to the ledger once; False if its key was counted before."""
    return ledger.add(contribution.plan_id, contribution.indicator_code, contribution.key, contribution.amount,
                      contribution.event_id, contribution.area_code, counted_on=contribution.counted_on)


def count_case_event(command: CountCaseEvent, principal, views: PlanViews, ledger: IndicatorLedger,
                     rollup: RollupRefresher) -> int:
    """How many contributions the event added; a redelivered event, or a person counted per person, adds none.
    The roll-up's row of each commune the event counts in is folded again even when nothing was added, so a crash
    between counting and folding heals when the event is delivered again."""
    return _count([command.event], views, ledger, rollup)


def count_case_events(command: CountCaseEvents, principal, views: PlanViews, ledger: IndicatorLedger,
                      rollup: RollupRefresher) -> int:
    """`count_case_event` for events that arrived together: the plans read once, and each commune's row folded
    once for the lot."""
    return _count(command.events, views, ledger, rollup)


def _count(events: list[Envelope], views: PlanViews, ledger: IndicatorLedger, rollup: RollupRefresher) -> int:
    plans = views.plans()
    contributions = [contribution for event in events for contribution in contributions_of(event, plans)]
    added = sum(record(contribution, ledger) for contribution in contributions)
    for plan_id, area_code in sorted({(c.plan_id, c.area_code or "") for c in contributions}):
        rollup.refresh_area(plan_id, area_code or None)
    return added


HANDLERS = {CountCaseEvent: count_case_event, CountCaseEvents: count_case_events}
