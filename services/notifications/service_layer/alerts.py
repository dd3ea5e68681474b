"""Alerts: raised from other services' events by the rules that apply, delivered by each rule's channels,
escalated while nobody acknowledges, resolved when the condition ends. Every step's identity derives from what
caused it (the event, the alert and its step), so a redelivered event or a second worker adds nothing."""
from __future__ import annotations

import random
import uuid
from datetime import datetime

from shared import areas
from shared.clock import Clock
from shared.envelope import Actor, Envelope
from shared.errors import ConcurrencyConflict
from shared.ports import Repository

from services.notifications.domain.commands import EscalateDueAlerts, NextEscalationDue, RouteEvent, RouteEvents
from services.notifications.domain.model import Alert
from services.notifications.domain.resolutions import Cause, Resolution
from services.notifications.domain.rules import UNIT_HEAD, UNIT_KIND, Rule, units_of_kinds
from services.notifications.service_layer.delivering import AlertDelivery
from services.notifications.service_layer.ports import (AlertViews, Endpoints, Resolutions, RuleStore, Titles,
                                                       UnitDirectory)

ALERT_IDS = uuid.UUID("6f1c3a52-52f4-4d47-9a55-6b8e1c0d2a10")
SYSTEM = Actor.system("notifications")


def step_id(*parts) -> str:
    return str(uuid.uuid5(ALERT_IDS, ":".join(str(p) for p in parts)))


def route_event(command: RouteEvent, principal, alerts: Repository, rules: RuleStore, directory: UnitDirectory,
                endpoints: Endpoints, titles: Titles, delivery: AlertDelivery, views: AlertViews,
                resolutions: Resolutions) -> int:
    return route_events(RouteEvents([command.event]), principal, alerts, rules, directory, endpoints, titles,
                        delivery, views, resolutions)


def route_events(command: RouteEvents, principal, alerts: Repository, rules: RuleStore, directory: UnitDirectory,
                 endpoints: Endpoints, titles: Titles, delivery: AlertDelivery, views: AlertViews,
                 resolutions: Resolutions) -> int:
    """Raise the alerts of every rule that applies to each event, stored together (a few round trips for a batch
    of events), resolve what the events end, then deliver the alerts still open (also when resolving failed: the
    batch then comes again); answers how many alerts were raised. An alert a redelivered event raised before is
    found at its place under the same ids, and its deliveries too. What is sent is checked again when it is sent
    (adapters/content.py): an alert closed in between is not.

    Resolving works whatever order the events come in (domain/resolutions.py): the resolving events are kept
    before the stored alerts are looked at, and the alerts just stored are then checked against those kept."""
    raised = []
    for event in command.events:
        cause = Cause.of_event(event)
        for rule in rules.active_for(event.type):
            if rule.applies_to(event.data, event.area_code, areas.covers):
                raised += [(alert, rule, hooks) for alert, hooks in _alerts_of(rule, event, cause, directory,
                                                                                endpoints, titles)]
    alerts.save_many([alert for alert, _, _ in raised], SYSTEM,
                     causation_ids={alert.id: alert.raised.cause.event_id for alert, _, _ in raised},
                     event_ids={alert.id: [step_id(alert.id, "raised")] for alert, _, _ in raised})
    ending = [(resolution, rule) for event in command.events for rule in rules.resolving(event.type)
              if (resolution := Resolution.of(rule, event)) is not None]
    closed: set[str] = set()
    try:
        resolutions.remember([resolution for resolution, _ in ending])
        closed |= {alert_id for resolution, rule in ending for alert_id in views.open_about(resolution.subject_id)
                   if _end(alert_id, rule, resolution, alerts, delivery)}
        closed |= _end_those_ended_earlier([(alert, rule) for alert, rule, _ in raised if alert.id not in closed],
                                           resolutions, alerts, delivery)
    finally:
        delivery.deliver_many([(alert, rule, hooks) for alert, rule, hooks in raised if alert.id not in closed])
    return len(raised)


def _end_those_ended_earlier(stored: list[tuple[Alert, Rule]], resolutions: Resolutions, alerts: Repository,
                             delivery) -> set[str]:
    """Of the alerts just stored, the ids of those closed now: those a kept resolving event ends (it came after
    their raising event, but was taken first)."""
    resolvable = [(alert, rule) for alert, rule in stored if rule.resolved_by]
    kept = resolutions.about({alert.raised.subject_id for alert, _ in resolvable})
    return {alert.id for alert, rule in resolvable
            if any(resolution.subject_id == alert.raised.subject_id
                   and resolution.ends(rule, alert.raised.cause, alert.raised.facts)
                   and _end(alert.id, rule, resolution, alerts, delivery) for resolution in kept)}


def _alerts_of(rule: Rule, event: Envelope, cause: Cause, directory, endpoints,
               titles) -> list[tuple[Alert, list]]:
    area = rule.area_of(event.data, event.area_code)
    units = set(rule.recipient_units(event.data, event.area_code, directory.for_routing(), areas.covers))
    hooks = [endpoint for endpoint in endpoints.named(rule.endpoints) if endpoint.active]
    units |= {endpoint.unit_code for endpoint in hooks}
    area_name = areas.name_of(area) if area else None
    title = titles.of(rule.template, _context(event.data, area, area_name)) if units else None
    return [(Alert.raise_for(uuid.uuid5(ALERT_IDS, f"{event.id}:{rule.id}:{unit}").hex, unit, rule, event.type,
                             event.data, area, title, raised_at=event.occurred_at, cause=cause),
             [e for e in hooks if e.unit_code == unit]) for unit in sorted(units)]


def _context(data: dict, area: str | None, area_name: str | None) -> dict:
    return {**data, "area_code": area, "area_name": area_name or area or ""}


def _end(alert_id: str, rule: Rule, resolution: Resolution, alerts: Repository, delivery,
         attempts: int = 5) -> bool:
    """Resolve the alert if it is still open and `resolution` ends it (once, whoever else tries); whether it is
    closed now. A step saved meanwhile (an escalation, an acknowledgement, another consumer's resolving) makes it
    read the alert again; one that keeps changing fails the batch, which the broker then delivers again."""
    for attempt in range(1, attempts + 1):
        alert = alerts.get(alert_id)
        if alert is None or alert.raised.rule_id != rule.id:
            return False
        if not alert.open:
            return True
        if not resolution.ends(rule, alert.raised.cause, alert.raised.facts):
            return False
        try:
            alert.resolve(resolution.event_type, resolution.cause.occurred_at)
            alerts.save(alert, SYSTEM, causation_id=resolution.cause.event_id,
                        event_ids=[step_id(alert_id, "resolved")])
        except ConcurrencyConflict:
            if attempt == attempts:
                raise
            continue
        delivery.withdraw(alert)
        return True
    return False


def escalate_due_alerts(command: EscalateDueAlerts, principal, alerts: Repository, views: AlertViews,
                        rules: RuleStore, directory: UnitDirectory, titles: Titles, delivery: AlertDelivery,
                        resolutions: Resolutions, clock: Clock) -> int:
    """Tell the next level of every alert whose acknowledgement is overdue. Everything a step does has an id
    derived from the alert and the step (the next level's alerts, the heads' deliveries, the step's event), so two
    workers doing the same step do it once; each takes the due alerts in its own random order, so two share the
    work rather than repeat it."""
    now, escalated = clock.now(), 0
    due = [alert_id for alert_id, due_at in views.awaiting_escalation() if due_at <= now]
    random.shuffle(due)
    for alert_id in due:
        alert = alerts.get(alert_id)
        if alert is None or not alert.escalation_due(now):
            continue
        try:
            escalated += _escalate(alert, now, alerts, rules, directory, titles, delivery, resolutions)
        except ConcurrencyConflict:
            continue
    return escalated


def next_escalation_due(command: NextEscalationDue, principal, views: AlertViews, clock: Clock) -> float | None:
    """Seconds until the earliest escalation due after now; None when no alert awaits one."""
    now = clock.now()
    later = [due_at for _, due_at in views.awaiting_escalation() if due_at > now]
    return (min(later) - now).total_seconds() if later else None


def _escalate(alert: Alert, now: datetime, alerts: Repository, rules: RuleStore, directory, titles,
              delivery, resolutions: Resolutions) -> int:
    """The next level is told before the step is recorded: a crash in between repeats the telling (under the same
    ids: nothing twice) instead of recording a step nobody was told of. An alert a kept resolving event ends is
    resolved instead (its raising event came late), checked with the rule's version that raised it. A step another
    worker or a resolving event saved meanwhile is a ConcurrencyConflict: the alert is left to the next tick."""
    rule = rules.get(alert.raised.rule_id, alert.raised.rule_version)
    if rule is not None and _end_those_ended_earlier([(alert, rule)], resolutions, alerts, delivery):
        return 0
    level, step = alert.next_level(), alert.escalations + 1
    kinds = (level.to[len(UNIT_KIND):],) if level.to.startswith(UNIT_KIND) else ()
    to_units = units_of_kinds(kinds, alert.area_code, directory.for_routing(), areas.covers)
    alert.escalate(to_units, now)
    if level.to == UNIT_HEAD:
        delivery.to_heads(alert, step)
    for unit in to_units:
        _raise_escalated(alert, unit, step, now, rule, alerts, titles, delivery, resolutions)
    alerts.save(alert, SYSTEM, event_ids=[step_id(alert.id, "escalated", step)])
    return 1


def _raise_escalated(parent: Alert, unit: str, step: int, now: datetime, rule: Rule | None, alerts: Repository,
                     titles, delivery, resolutions: Resolutions) -> None:
    """The next level's own alert, acknowledged in its inbox; acknowledging either ends the escalation. Checked
    against the kept resolving events once stored, as a routed alert is: one that ended its parent meanwhile
    looked only for the alerts stored before it."""
    if rule is None:
        return
    alert_id = uuid.uuid5(ALERT_IDS, f"{parent.id}:{step}:{unit}").hex
    facts, area = parent.raised.facts, parent.area_code
    child = Alert.raise_for(alert_id, unit, rule, parent.raised.event_type, facts, area,
                            titles.escalated(rule.template,
                                             _context(facts, area, areas.name_of(area) if area else None)),
                            raised_at=now, escalated_from=parent.id, cause=parent.raised.cause)
    alerts.save(child, SYSTEM, causation_id=parent.id, event_ids=[step_id(alert_id, "raised")])
    if not _end_those_ended_earlier([(child, rule)], resolutions, alerts, delivery):
        delivery.deliver(child, rule, [], urgent=True)


HANDLERS = {RouteEvent: route_event, RouteEvents: route_events, EscalateDueAlerts: escalate_due_alerts,
            NextEscalationDue: next_escalation_due}
