"""Routing rules as data: which event, within which area and under which conditions, must reach whom, by which
channels, how urgently, and who is told next when nobody acknowledges (Alertmanager's routes and PagerDuty's
escalation policies, on our own events). Admins edit them through the API; each save is a new version."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from shared.refusals import DecisionInvalid

CHANNELS = ("in_app", "email", "sms", "webhook")
OPERATORS = ("eq", "ne", "in", "not_in", "present", "absent")
UNIT_HEAD = "unit_head"
UNIT_KIND = "unit_kind:"


@dataclass(frozen=True)
class Condition:
    """A test on one field of the event's data: `in`/`not_in` take a list, `present`/`absent` no value."""
    field: str
    op: str = "eq"
    value: object = None

    def holds(self, data: dict) -> bool:
        actual = data.get(self.field)
        return {"eq": lambda: actual == self.value, "ne": lambda: actual != self.value,
                "in": lambda: actual in (self.value or ()), "not_in": lambda: actual not in (self.value or ()),
                "present": lambda: actual not in (None, "", []), "absent": lambda: actual in (None, "", [])
                }[self.op]()


@dataclass(frozen=True)
class EscalationLevel:
    """Who is told when the step before went unacknowledged for `after_minutes`: the heads of the recipient unit
    (`unit_head`) or the units of a kind covering the alert's area (`unit_kind:provincial_committee`, the
    provincial standing office)."""
    after_minutes: int
    to: str


@dataclass(frozen=True)
class EscalationPolicy:
    levels: list[EscalationLevel]
    repeat: int = 1

    @property
    def steps(self) -> int:
        return len(self.levels) * self.repeat

    def level(self, step: int) -> EscalationLevel:
        return self.levels[step % len(self.levels)]


@dataclass(frozen=True)
class Rule:
    """`unit_kinds` reach the units of those kinds whose areas cover the event's area (or `area_field`'s);
    `unit_fields` the units named in the event; `roles` narrow e-mail and SMS to the members of the recipient
    units who hold one of them; `endpoints` are agency systems' webhooks. `ack_due_field` names an event field
    holding a legal deadline (a transfer's `notify_police_by`); otherwise the first escalation level's minutes
    set when acknowledgement is due. An event of `resolved_by` about the same subject (and with the same
    `resolve_fields`: a unit's report for one period) ends the alert."""
    id: str
    event_type: str
    category: str
    subject_type: str
    subject_field: str
    template: str
    version: int = 1
    enabled: bool = True
    description: str = ""
    area_scope: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    unit_kinds: tuple[str, ...] = ()
    unit_fields: tuple[str, ...] = ()
    area_field: str | None = None
    roles: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = ()
    channels: tuple[str, ...] = ("in_app",)
    urgent: bool = False
    ack_required: bool = False
    ack_due_field: str | None = None
    escalation: EscalationPolicy | None = None
    resolved_by: tuple[str, ...] = ()
    resolve_fields: tuple[str, ...] = ()
    group_window_minutes: int = 0

    def area_of(self, data: dict, event_area: str | None) -> str | None:
        """The area the alert is about: the event's, or one named in its data (a transfer's receiving commune)."""
        return data.get(self.area_field) if self.area_field else event_area

    def applies_to(self, data: dict, event_area: str | None, covers) -> bool:
        area = self.area_of(data, event_area)
        in_scope = not self.area_scope or (area is not None and any(covers(s, area) for s in self.area_scope))
        return self.enabled and in_scope and all(c.holds(data) for c in self.conditions)

    def recipient_units(self, data: dict, event_area: str | None, directory, covers) -> list[str]:
        """Units that must receive the alert, in a stable order; `covers(outer, inner)` answers containment."""
        area = self.area_of(data, event_area)
        chosen = set(units_of_kinds(self.unit_kinds, area, directory, covers))
        for name in self.unit_fields:
            value = data.get(name) or []
            chosen |= set([value] if isinstance(value, str) else value)
        return sorted(chosen)

    def ack_due_at(self, data: dict, raised_at: datetime) -> datetime | None:
        if not self.ack_required:
            return None
        if self.ack_due_field and data.get(self.ack_due_field):
            due = data[self.ack_due_field]
            return due if isinstance(due, datetime) else datetime.fromisoformat(due)
        if self.escalation:
            return raised_at + timedelta(minutes=self.escalation.levels[0].after_minutes)
        return None

    def resolved_by_event(self, event_type: str, data: dict, facts: dict) -> bool:
        """Whether an event ends an alert this rule raised about the event `facts`."""
        return (event_type in self.resolved_by and str(data.get(self.subject_field)) == str(facts.get(
            self.subject_field)) and all(data.get(name) == facts.get(name) for name in self.resolve_fields))

    def next_version(self, **changes) -> "Rule":
        return replace(self, **changes, version=self.version + 1)


def units_of_kinds(kinds, area: str | None, directory, covers) -> list[str]:
    if not kinds or not area:
        return []
    return sorted({u.unit_code for u in directory
                   if u.kind in kinds and any(covers(covered, area) for covered in u.covers)})


@dataclass(frozen=True)
class RuleCatalog:
    """What a rule may name: event types with their fields, template ids, unit kinds, agency endpoints."""
    event_fields: dict[str, set[str]]
    templates: set[str]
    unit_kinds: set[str]
    endpoints: set[str] = field(default_factory=set)


def check_rule(rule: Rule, catalog: RuleCatalog) -> None:
    """Refuse a rule that names what does not exist; each refusal names the rule's field."""
    fields = catalog.event_fields.get(rule.event_type)
    if fields is None:
        raise DecisionInvalid("event_type", f"no event {rule.event_type!r} is published to route")
    _known("subject_field", [rule.subject_field], fields)
    _known("unit_fields", rule.unit_fields, fields)
    _known("area_field", [rule.area_field] if rule.area_field else [], fields)
    _known("ack_due_field", [rule.ack_due_field] if rule.ack_due_field else [], fields)
    for index, condition in enumerate(rule.conditions):
        _known(f"conditions.{index}.field", [condition.field], fields)
        if condition.op not in OPERATORS:
            raise DecisionInvalid(f"conditions.{index}.op", f"must be one of {', '.join(OPERATORS)}")
        if condition.op in ("in", "not_in") and not isinstance(condition.value, (list, tuple)):
            raise DecisionInvalid(f"conditions.{index}.value", "must be a list for in and not_in")
    _known("unit_kinds", rule.unit_kinds, catalog.unit_kinds)
    _known("channels", rule.channels, set(CHANNELS))
    _known("endpoints", rule.endpoints, catalog.endpoints)
    if rule.template not in catalog.templates:
        raise DecisionInvalid("template", f"no template {rule.template!r}")
    if not (rule.unit_kinds or rule.unit_fields or rule.endpoints):
        raise DecisionInvalid("unit_kinds", "a rule must reach someone: unit_kinds, unit_fields or endpoints")
    if rule.endpoints and "webhook" not in rule.channels:
        raise DecisionInvalid("channels", "a rule with endpoints sends by webhook: add it to channels")
    for index, event_type in enumerate(rule.resolved_by):
        resolving = catalog.event_fields.get(event_type)
        if resolving is None:
            raise DecisionInvalid(f"resolved_by.{index}", f"no event {event_type!r} is published")
        missing = [name for name in (rule.subject_field, *rule.resolve_fields) if name not in resolving]
        if missing:
            raise DecisionInvalid(f"resolved_by.{index}", f"{event_type} does not name {', '.join(missing)}")
    _known("resolve_fields", rule.resolve_fields, fields)
    _check_escalation(rule, catalog)
    if rule.group_window_minutes < 0 or rule.group_window_minutes > 24 * 60:
        raise DecisionInvalid("group_window_minutes", "must be between 0 and 1440")


def _check_escalation(rule: Rule, catalog: RuleCatalog) -> None:
    if rule.escalation is None:
        if rule.ack_required and not rule.ack_due_field:
            raise DecisionInvalid("escalation", "an acknowledgement needs a deadline: an escalation policy or "
                                                "ack_due_field")
        return
    if not rule.ack_required:
        raise DecisionInvalid("ack_required", "only alerts that require acknowledgement escalate")
    if not rule.escalation.levels:
        raise DecisionInvalid("escalation.levels", "at least one level")
    if not 1 <= rule.escalation.repeat <= 10:
        raise DecisionInvalid("escalation.repeat", "must be between 1 and 10")
    for index, level in enumerate(rule.escalation.levels):
        if not 0 <= level.after_minutes <= 7 * 24 * 60:
            raise DecisionInvalid(f"escalation.levels.{index}.after_minutes", "must be between 0 and 10080")
        if level.to != UNIT_HEAD and not (level.to.startswith(UNIT_KIND)
                                          and level.to[len(UNIT_KIND):] in catalog.unit_kinds):
            raise DecisionInvalid(f"escalation.levels.{index}.to",
                                  f"must be {UNIT_HEAD} or {UNIT_KIND}<a unit kind>")


def _known(name: str, values, known) -> None:
    for value in values:
        if value not in known:
            raise DecisionInvalid(name, f"{value!r} is not one of the names this rule may use")
