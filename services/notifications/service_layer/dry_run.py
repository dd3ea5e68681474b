"""What a rule would do with a sample event, without doing it: whether it applies, which units it reaches and by
which channels (and, where the member directory is wired, which of their members), how urgent, when an
acknowledgement is due and who is told at each escalation step, and the text each channel would carry in each
language. And a template rendered for a sample event (the preview). Nothing is stored."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shared import areas
from shared.errors import InvalidInput
from shared.refusals import DecisionInvalid

from services.notifications.service_layer.delivering import reachable_roles
from services.notifications.domain.queries import DryRunRule, PreviewTemplate
from services.notifications.domain.rules import UNIT_HEAD, UNIT_KIND, Rule, units_of_kinds
from services.notifications.domain.templates import LANGUAGES, Template, sms_length
from services.notifications.service_layer.rules import (Catalog, RuleAdmin, TemplateAdmin, checked_rule,
                                                        checked_template, may_read, rule_of)

PREVIEW_LINK = "https://donghanh.invalid/preview"
"""What links print as in a dry run or preview: no acknowledgement link is minted for an alert that does not exist."""


@dataclass(frozen=True)
class SampleEvent:
    type: str
    area_code: str | None
    data: dict
    ignored_fields: tuple[str, ...] = ()


@dataclass
class DryRun:
    rule_id: str
    rule_version: int | None
    event_type: str
    applies: bool
    reasons: list[str]
    area_code: str | None
    urgent: bool
    ack_required: bool
    ack_due_at: datetime | None
    recipients: list[dict]
    endpoints: list[str]
    escalation: list[dict]
    renderings: list[dict]
    addressees_known: bool
    ignored_fields: list[str] = field(default_factory=list)


def sample_event(event: dict, catalog: Catalog) -> SampleEvent:
    """The sample as the rule would see it: a published event type, an area of the province's directory, and the
    data fields that type carries (others are set aside and named in the answer)."""
    fields = catalog.event_fields(event.get("type"))
    if fields is None:
        raise InvalidInput.field("event.type", f"no event {event.get('type')!r} is published to route")
    area = event.get("area_code")
    if area is not None and not areas.is_area(area):
        raise InvalidInput.field("event.area_code", f"{area!r} is not an area of the directory")
    data = dict(event.get("data") or {})
    ignored = tuple(sorted(name for name in data if name not in fields))
    return SampleEvent(event["type"], area, {k: v for k, v in data.items() if k in fields}, ignored)


def dry_run_rule(query: DryRunRule, principal, rules: RuleAdmin, templates: TemplateAdmin, catalog: Catalog,
                 renderer, directory, audience, clock) -> DryRun:
    may_read(principal)
    rule, version = _rule_to_try(query, rules, templates, catalog, renderer)
    event, now = sample_event(query.event, catalog), clock.now()
    reasons = _why_not(rule, event)
    area = rule.area_of(event.data, event.area_code)
    entries = directory.entries()
    units = rule.recipient_units(event.data, event.area_code, entries, areas.covers) if not reasons else []
    due = _ack_due(rule, event, now)
    context = preview_context(event, rule.category, area, rule.urgent, due, now)
    return DryRun(
        rule_id=rule.id, rule_version=version, event_type=event.type, applies=not reasons, reasons=reasons,
        area_code=area, urgent=rule.urgent, ack_required=rule.ack_required, ack_due_at=due,
        recipients=[{"unit": unit, "channels": [_addressees(rule, unit, channel, audience, now)
                                                for channel in rule.channels if channel != "webhook"]}
                    for unit in units],
        endpoints=list(rule.endpoints) if not reasons else [],
        escalation=_escalation(rule, units, area, due, entries) if not reasons else [],
        renderings=_renderings(renderer, templates.get(rule.template), rule.channels, context),
        addressees_known=audience is not None, ignored_fields=list(event.ignored_fields))


def _rule_to_try(query: DryRunRule, rules, templates, catalog, renderer) -> tuple[Rule, int | None]:
    if (query.rule_id is None) == (query.rule is None):
        raise InvalidInput.field("rule_id", "name a stored rule (rule_id) or send an unsaved one (rule), not both")
    if query.rule_id is not None:
        saved = rules.saved(query.rule_id)
        if saved is None:
            raise InvalidInput.field("rule_id", f"no rule {query.rule_id}")
        return saved.item, saved.item.version
    return checked_rule(rule_of({**query.rule, "version": 1}, "rule."), templates, catalog, renderer, "rule."), None


def _why_not(rule: Rule, event: SampleEvent) -> list[str]:
    reasons = []
    if rule.event_type != event.type:
        reasons.append(f"the rule routes {rule.event_type}, not {event.type}")
    if not rule.enabled:
        reasons.append("the rule is disabled")
    area = rule.area_of(event.data, event.area_code)
    if rule.area_scope and (area is None or not any(areas.covers(s, area) for s in rule.area_scope)):
        reasons.append(f"the area {area} is outside the rule's scope {', '.join(rule.area_scope)}")
    reasons += [f"condition {index} does not hold: {c.field} {c.op} {c.value!r}"
                for index, c in enumerate(rule.conditions) if not c.holds(event.data)]
    return reasons


def _ack_due(rule: Rule, event: SampleEvent, now: datetime) -> datetime | None:
    try:
        return rule.ack_due_at(event.data, now)
    except (TypeError, ValueError):
        raise InvalidInput.field(f"event.data.{rule.ack_due_field}", "an ISO 8601 date and time") from None


def _addressees(rule: Rule, unit: str, channel: str, audience, now: datetime) -> dict:
    if channel == "in_app":
        return {"channel": channel, "addressees": [{"target": f"unit:{unit}", "address": unit, "language": "vi",
                                                    "send_at": None, "digest": False}]}
    if audience is None:
        return {"channel": channel, "addressees": None}
    reached = audience.reach(unit, reachable_roles(rule.subject_type, rule.roles), False, rule.category, channel,
                             rule.urgent, now)
    return {"channel": channel, "addressees": [{"target": r.target, "address": r.address, "language": r.language,
                                                "send_at": r.send_at, "digest": r.digest} for r in reached]}


def _escalation(rule: Rule, units: list[str], area: str | None, due: datetime | None, entries) -> list[dict]:
    """The steps as the alert would take them unacknowledged (domain/model.py's Alert.escalate): the first when
    acknowledgement is due, each next one its level's minutes later, through the levels `repeat` times."""
    policy = rule.escalation
    if policy is None or due is None:
        return []
    steps, at = [], due
    for step in range(policy.steps):
        level = policy.level(step)
        if step:
            at = at + timedelta(minutes=level.after_minutes)
        to_units = units if level.to == UNIT_HEAD else units_of_kinds(
            (level.to[len(UNIT_KIND):],), area, entries, areas.covers)
        steps.append({"step": step + 1, "level": step % len(policy.levels) + 1,
                      "round": step // len(policy.levels) + 1, "at": at, "to": level.to,
                      "units": sorted(to_units)})
    return steps


def preview_context(event: SampleEvent, category: str, area: str | None, urgent: bool, due: datetime | None,
                    now: datetime) -> dict:
    """What a render of an alert about `event` is given: the event's data and the alert's own facts."""
    return {**event.data, "area_code": area, "area_name": (areas.name_of(area) if area else None) or area or "",
            "category_label": category, "raised_at": now, "urgent": urgent, "escalation_level": 0,
            "ack_due_at": due, "ack_link": PREVIEW_LINK if due else None, "alert_url": PREVIEW_LINK}


def _renderings(renderer, template: Template | None, channels, context: dict) -> list[dict]:
    if template is None:
        return []
    return [_rendering(renderer, template, channel, language, context)
            for channel in channels for language in LANGUAGES]


def _rendering(renderer, template: Template, channel: str, language: str, context: dict) -> dict:
    """One rendering, or the reason it failed: the renderer wraps whatever a sample value makes a template raise
    (a date filter given text that is no date) in its RenderFailed, and a missing variant is a KeyError."""
    answer = {"channel": channel, "language": language, "subject": None, "text": None, "html": None,
              "sms_length": None, "error": None}
    try:
        rendered = renderer.render(template, channel, language, context)
    except KeyError as missing:
        return {**answer, "error": str(missing.args[0] if missing.args else missing)}
    except Exception as failed:
        return {**answer, "error": str(failed)}
    return {**answer, "subject": rendered.subject, "text": rendered.text, "html": rendered.html,
            "sms_length": sms_length(rendered.text) if channel == "sms" else None}


def preview_template(query: PreviewTemplate, principal, templates: TemplateAdmin, rules: RuleAdmin,
                     catalog: Catalog, renderer, clock) -> dict:
    """The template rendered for the sample event on one channel in one language; a template that does not
    compile or names what the channel may not show of that event is refused naming its part."""
    may_read(principal)
    template = _template_to_try(query, templates, rules, catalog, renderer)
    event, now = sample_event(query.event, catalog), clock.now()
    try:
        renderer.check(template, catalog.event_fields(event.type))
    except DecisionInvalid as invalid:
        if query.template is not None:
            raise InvalidInput.field(f"template.{invalid.field}", invalid.message) from None
        raise InvalidInput.field("template_id", f"{invalid.field}: {invalid.message}") from None
    if not any(channel == query.channel for channel, _ in template.variants):
        raise InvalidInput.field("channel", f"template {template.id} has no {query.channel} variant")
    context = preview_context(event, template.id, event.area_code, False, None, now)
    rendered = _rendering(renderer, template, query.channel, query.language, context)
    if rendered["error"]:
        raise InvalidInput.field("event.data", rendered["error"])
    return {**rendered, "template_id": template.id, "template_version": template.version,
            "ignored_fields": list(event.ignored_fields)}


def _template_to_try(query: PreviewTemplate, templates, rules, catalog, renderer) -> Template:
    if (query.template_id is None) == (query.template is None):
        raise InvalidInput.field("template_id", "name a stored template (template_id) or send an unsaved one "
                                                "(template), not both")
    if query.template_id is not None:
        template = templates.get(query.template_id)
        if template is None:
            raise InvalidInput.field("template_id", f"no template {query.template_id}")
        return template
    return checked_template({"version": 1, **query.template}, rules, catalog, renderer, "template.")


HANDLERS = {DryRunRule: dry_run_rule, PreviewTemplate: preview_template}
