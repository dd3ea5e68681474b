"""Routing rules and templates as data an admin edits: each save is checked against what exists (event types and
their fields, templates, unit kinds, endpoints) and against each other (a rule's template must render from its
event's fields on every channel the rule sends by), then stored as the next version. Admins write; admins, auditors
and plan coordinators read."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Protocol

from shared.errors import ConcurrencyConflict, Conflict, NotAuthorised, NotFound, PreconditionFailed, ServiceError, expect_version
from shared.refusals import DecisionInvalid, domain_refusals

from services.notifications.domain import queries
from services.notifications.domain.commands import ChangeRule, ChangeTemplate, CreateRule, CreateTemplate
from services.notifications.domain.rule_data import rule_from_data
from services.notifications.domain.rules import Rule, RuleCatalog, check_rule
from services.notifications.domain.templates import Template, template_from_data

WRITERS = ("admin",)
READERS = ("admin", "auditor", "plan_coordinator")


class PreconditionRequired(ServiceError):
    """A change to a rule or template must name the version it was made from (RFC 6585)."""
    status, title = 428, "Precondition required"


class Saved(Protocol):
    item: object
    saved_at: datetime
    saved_by: str


class Versioned(Protocol):
    """What the rules API needs of the rule and template stores (adapters/rules.py)."""

    def saved(self, item_id: str, version: int | None = None) -> Saved | None: ...

    def save(self, item, by: str, at: datetime) -> Saved:
        """Insert this version; ConcurrencyConflict if another save inserted it first."""

    def history(self, item_id: str, first: int, limit: int) -> tuple[list[Saved], int]: ...


class RuleAdmin(Versioned, Protocol):
    def listed(self, event_type: str | None, first: int, limit: int) -> tuple[list[Saved], int]: ...

    def using_template(self, template_id: str) -> list[Rule]: ...


class TemplateAdmin(Versioned, Protocol):
    def listed(self, first: int, limit: int) -> tuple[list[Saved], int]: ...

    def get(self, template_id: str, version: int | None = None) -> Template | None: ...

    def ids(self) -> set[str]: ...


class Catalog(Protocol):
    def event_types(self) -> tuple[str, ...]: ...

    def event_fields(self, event_type: str) -> set[str] | None: ...

    def unit_kinds(self) -> set[str]: ...

    def known_endpoints(self, endpoint_ids) -> set[str]: ...


class Renderer(Protocol):
    def check(self, template: Template, event_fields: set[str]) -> None: ...


def may_read(principal) -> None:
    if not principal.has_role(*READERS):
        raise NotAuthorised("rules and templates are read by admins, auditors and plan coordinators")


def may_write(principal) -> None:
    if not principal.has_role(*WRITERS):
        raise NotAuthorised("only an admin changes rules and templates")


def checked_rule(rule: Rule, templates: TemplateAdmin, catalog: Catalog, renderer: Renderer,
                 prefix: str = "") -> Rule:
    """The rule if everything it names exists and its template renders from its event's fields on each of its
    channels; else a 422 naming the rule's field (under `prefix`, for a rule inside a larger body)."""
    with _named(prefix), domain_refusals():
        known = RuleCatalog(event_fields={t: catalog.event_fields(t) for t in catalog.event_types()},
                            templates=templates.ids(), unit_kinds=catalog.unit_kinds(),
                            endpoints=catalog.known_endpoints(rule.endpoints))
        check_rule(rule, known)
        template_fits(rule, templates.get(rule.template), known.event_fields[rule.event_type], renderer)
    return rule


def template_fits(rule: Rule, template: Template, event_fields: set[str], renderer: Renderer) -> None:
    """Refuses (naming `template`) a template without a variant for one of the rule's channels, or one whose
    variant for a channel names what that channel may not show of the rule's event."""
    for channel in rule.channels:
        if not any(c == channel for c, _ in template.variants):
            raise DecisionInvalid("template", f"template {template.id} has no {channel} variant")
    for (channel, language), variant in template.variants.items():
        if channel not in rule.channels:
            continue
        try:
            renderer.check(replace(template, variants={(channel, language): variant}), event_fields)
        except DecisionInvalid as invalid:
            part = invalid.field.rsplit(".", 1)[-1]
            raise DecisionInvalid("template", f"template {template.id} v{template.version}, {channel} in "
                                              f"{language}, {part}: {invalid.message}") from None


class _named:
    """Prefix the field a 422 names (`rule.conditions.0.field` for the rule inside a dry-run body)."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        if self.prefix and isinstance(error, ServiceError) and error.status == 422:
            error.errors = {f"{self.prefix}{name}": messages for name, messages in error.errors.items()}
            error.detail = f"{self.prefix}{error.detail}"
        return False


def rule_of(data: dict, prefix: str = "") -> Rule:
    with _named(prefix), domain_refusals():
        return rule_from_data(data)


def _inserted(store: Versioned, item, principal, clock, conflict):
    try:
        return store.save(item, principal.subject, clock.now())
    except ConcurrencyConflict:
        raise conflict() from None


def create_rule(command: CreateRule, principal, rules: RuleAdmin, templates: TemplateAdmin, catalog: Catalog,
                renderer: Renderer, clock) -> Saved:
    may_write(principal)
    rule = checked_rule(rule_of({**command.rule, "version": 1}), templates, catalog, renderer)
    return _inserted(rules, rule, principal, clock, lambda: Conflict(f"a rule {rule.id} exists already"))


def change_rule(command: ChangeRule, principal, rules: RuleAdmin, templates: TemplateAdmin, catalog: Catalog,
                renderer: Renderer, clock) -> Saved:
    """The next version of the rule, from the version the admin read (If-Match): two admins saving at once both
    try to insert the same next version, and the second is told the rule has moved on (412)."""
    may_write(principal)
    current = _current(rules, command.rule_id, "rule", command.if_match_sent, command.expected_version)
    version = current.item.version + 1
    rule = checked_rule(rule_of({**command.rule, "id": command.rule_id, "version": version}), templates, catalog,
                        renderer)
    return _inserted(rules, rule, principal, clock, lambda: _moved_on(rules, command.rule_id, version))


def create_template(command: CreateTemplate, principal, templates: TemplateAdmin, rules: RuleAdmin,
                    catalog: Catalog, renderer: Renderer, clock) -> Saved:
    may_write(principal)
    template = checked_template({**command.template, "version": 1}, rules, catalog, renderer)
    return _inserted(templates, template, principal, clock,
                     lambda: Conflict(f"a template {template.id} exists already"))


def change_template(command: ChangeTemplate, principal, templates: TemplateAdmin, rules: RuleAdmin,
                    catalog: Catalog, renderer: Renderer, clock) -> Saved:
    may_write(principal)
    current = _current(templates, command.template_id, "template", command.if_match_sent, command.expected_version)
    version = current.item.version + 1
    template = checked_template({**command.template, "id": command.template_id, "version": version}, rules,
                                catalog, renderer)
    return _inserted(templates, template, principal, clock,
                     lambda: _moved_on(templates, command.template_id, version))


def checked_template(data: dict, rules: RuleAdmin, catalog: Catalog, renderer: Renderer,
                     prefix: str = "") -> Template:
    """A template that compiles and names only what its channels may show of the events it is used for: the
    events of the rules that use it, or, for a template no rule uses yet, any event's fields."""
    with _named(prefix), domain_refusals():
        template = template_from_data(data)
        using = rules.using_template(template.id)
        for rule in using:
            for channel in rule.channels:
                if not any(c == channel for c, _ in template.variants):
                    raise DecisionInvalid("variants", f"rule {rule.id} sends by {channel}: keep a {channel} "
                                                      "variant")
        events = sorted({rule.event_type for rule in using})
        if events:
            for event_type in events:
                renderer.check(template, catalog.event_fields(event_type) or set())
        else:
            renderer.check(template, set().union(*(catalog.event_fields(t) for t in catalog.event_types())))
    return template


def _current(store: Versioned, item_id: str, kind: str, if_match_sent: bool, expected: int | None) -> Saved:
    current = store.saved(item_id)
    if current is None:
        raise NotFound(f"no {kind} {item_id}")
    if not if_match_sent:
        raise PreconditionRequired(f"send If-Match with the ETag of the {kind} you changed, e.g. "
                                   f"\"{current.item.version}\"", errors={"If-Match": ["required"]})
    expect_version(current.item.version, expected)
    return current


def _moved_on(store: Versioned, item_id: str, version: int) -> PreconditionFailed:
    newest = store.saved(item_id)
    return PreconditionFailed(f"version {version} was saved by another change first",
                              current_version=newest.item.version if newest else version)


def list_rules(query: queries.ListRules, principal, rules: RuleAdmin) -> tuple[list[Saved], int]:
    may_read(principal)
    return rules.listed(query.event_type, query.first, query.limit)


def read_rule(query: queries.ReadRule, principal, rules: RuleAdmin) -> Saved:
    may_read(principal)
    return _found(rules.saved(query.rule_id, query.version), "rule", query.rule_id, query.version)


def rule_history(query: queries.RuleHistory, principal, rules: RuleAdmin) -> tuple[list[Saved], int]:
    may_read(principal)
    found = rules.history(query.rule_id, query.first, query.limit)
    if not found[1]:
        raise NotFound(f"no rule {query.rule_id}")
    return found


def list_templates(query: queries.ListTemplates, principal, templates: TemplateAdmin) -> tuple[list[Saved], int]:
    may_read(principal)
    return templates.listed(query.first, query.limit)


def read_template(query: queries.ReadTemplate, principal, templates: TemplateAdmin) -> Saved:
    may_read(principal)
    return _found(templates.saved(query.template_id, query.version), "template", query.template_id, query.version)


def template_history(query: queries.TemplateHistory, principal,
                     templates: TemplateAdmin) -> tuple[list[Saved], int]:
    may_read(principal)
    found = templates.history(query.template_id, query.first, query.limit)
    if not found[1]:
        raise NotFound(f"no template {query.template_id}")
    return found


def _found(saved: Saved | None, kind: str, item_id: str, version: int | None) -> Saved:
    if saved is None:
        raise NotFound(f"no {kind} {item_id}" + (f" at version {version}" if version is not None else ""))
    return saved


HANDLERS = {CreateRule: create_rule, ChangeRule: change_rule, CreateTemplate: create_template,
            ChangeTemplate: change_template, queries.ListRules: list_rules, queries.ReadRule: read_rule,
            queries.RuleHistory: rule_history, queries.ListTemplates: list_templates,
            queries.ReadTemplate: read_template, queries.TemplateHistory: template_history}
