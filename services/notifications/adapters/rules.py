"""Where routing rules and templates are kept, versioned: each save is a new immutable version document
`<id>:<version>`, inserted; the insert into the primary key is the concurrency check (two admins saving version 4
at once: one insert collides), because FerretDB's updates are not atomic and a compare-and-set update would let
both win. Beside the versions, one pointer document per rule or template names its current version, for lists and
for the routing pipeline's lookup by event type; the version documents are the judge: a reader that finds the
version after the pointer's replays forward and moves the pointer on, so a pointer that lost a race or a crash
never shows a stale rule for long."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone

from mongoengine import DateTimeField, DictField, Document, IntField, ListField, StringField
from mongoengine.errors import NotUniqueError

from shared.errors import ConcurrencyConflict

from services.notifications.adapters import catalog
from services.notifications.adapters.template_files import load_templates
from services.notifications.domain.rule_data import rule_from_data, rule_to_data
from services.notifications.domain.rules import Rule
from services.notifications.domain.seed import SEED_RULES
from services.notifications.domain.templates import Template, template_from_data, template_to_data
from services.plans.domain.model import UNIT_KINDS

DEFAULT_CACHE_SECONDS = 2.0
LIST_LIMIT = 1000


class RuleVersion(Document):
    key = StringField(primary_key=True)
    item_id = StringField(required=True)
    version = IntField(required=True)
    data = DictField(required=True)
    saved_at = DateTimeField(required=True)
    saved_by = StringField(required=True)
    meta = {"collection": "rule_versions", "auto_create_index": False, "indexes": ["item_id"]}


class CurrentRule(Document):
    """Top-level `event_type` and `resolved_by` are what the routing pipeline filters by."""
    item_id = StringField(primary_key=True)
    version = IntField(required=True)
    event_type = StringField(required=True)
    resolved_by = ListField(StringField())
    template = StringField(required=True)
    data = DictField(required=True)
    saved_at = DateTimeField(required=True)
    saved_by = StringField(required=True)
    meta = {"collection": "rules", "auto_create_index": False, "indexes": ["event_type", "resolved_by", "template"]}


class TemplateVersion(Document):
    key = StringField(primary_key=True)
    item_id = StringField(required=True)
    version = IntField(required=True)
    data = DictField(required=True)
    saved_at = DateTimeField(required=True)
    saved_by = StringField(required=True)
    meta = {"collection": "template_versions", "auto_create_index": False, "indexes": ["item_id"]}


class CurrentTemplate(Document):
    item_id = StringField(primary_key=True)
    version = IntField(required=True)
    data = DictField(required=True)
    saved_at = DateTimeField(required=True)
    saved_by = StringField(required=True)
    meta = {"collection": "templates", "auto_create_index": False}


RULE_DOCUMENTS = (RuleVersion, CurrentRule, TemplateVersion, CurrentTemplate)


def version_key(item_id: str, version: int) -> str:
    return f"{item_id}:{version}"


class Saved:
    """One stored version: the item, who saved it and when."""

    def __init__(self, item, saved_at: datetime, saved_by: str):
        self.item, self.saved_at, self.saved_by = item, saved_at, saved_by


class _Versions:
    """The mechanism both stores share; `decode`/`encode` turn an item into its stored data and back, `pointer`
    gives the pointer document's top-level copies of what lists filter by."""

    def __init__(self, versions: type[Document], current: type[Document], decode: Callable, encode: Callable,
                 pointer: Callable[[object], dict]):
        self.versions, self.current = versions, current
        self.decode, self.encode, self.pointer = decode, encode, pointer

    def insert(self, item, by: str, at: datetime) -> Saved:
        """Insert the item's version; ConcurrencyConflict if it exists already. Then move the pointer on."""
        try:
            self.versions(key=version_key(item.id, item.version), item_id=item.id, version=item.version,
                          data=self.encode(item), saved_at=at, saved_by=by).save(force_insert=True)
        except NotUniqueError:
            raise ConcurrencyConflict(item.id, item.version - 1) from None
        saved = Saved(item, at, by)
        self._point(saved)
        return saved

    def _point(self, saved: Saved) -> None:
        """Write the pointer unless it already names a newer version (readers replay forward past a lag); a
        collision means another process wrote the pointer at that moment, which readers mend the same way."""
        current = self.current.objects(item_id=saved.item.id).only("version").first()
        if current is not None and current.version >= saved.item.version:
            return
        try:
            self.current(item_id=saved.item.id, version=saved.item.version, data=self.encode(saved.item),
                         saved_at=saved.saved_at, saved_by=saved.saved_by, **self.pointer(saved.item)).save()
        except NotUniqueError:
            pass

    def newest(self, item_id: str) -> Saved | None:
        """The current version: the pointer's, or a newer one the version documents hold."""
        pointer = self.current.objects(item_id=item_id).first()
        if pointer is None:
            found = self.versions.objects(key=version_key(item_id, 1)).first()
            if found is None:
                return None
            saved = self._caught_up(self._saved(found))
            self._point(saved)
            return saved
        return self._caught_up(self._saved(pointer))

    def _caught_up(self, saved: Saved) -> Saved:
        moved = False
        while True:
            following = self.versions.objects(key=version_key(saved.item.id, saved.item.version + 1)).first()
            if following is None:
                break
            saved, moved = self._saved(following), True
        if moved:
            self._point(saved)
        return saved

    def version(self, item_id: str, version: int) -> Saved | None:
        found = self.versions.objects(key=version_key(item_id, version)).first()
        return None if found is None else self._saved(found)

    def history(self, item_id: str, first: int, limit: int) -> tuple[list[Saved], int]:
        """Every version of the item, oldest first; point lookups, as many as the newest version."""
        newest = self.newest(item_id)
        if newest is None:
            return [], 0
        total = newest.item.version
        numbers = range(first + 1, min(first + limit, total) + 1)
        return [self.version(item_id, n) for n in numbers], total

    def listed(self, first: int, limit: int, **filters) -> tuple[list[Saved], int]:
        query = self.current.objects(**filters).order_by("item_id")
        return [self._caught_up(self._saved(d)) for d in query.skip(first).limit(limit)], query.count()

    def ids(self) -> set[str]:
        return {d.item_id for d in self.current.objects.only("item_id")}

    def seed(self, items, by: str) -> None:
        """Insert version 1 of each item that has no pointer yet; a collision means another process seeded it, or
        a pointer was lost, which the reader's replay mends. Safe to run from several processes at once."""
        present = self.ids()
        now = datetime.now(timezone.utc)
        for item in items:
            if item.id in present:
                continue
            try:
                self.insert(item, by, now)
            except ConcurrencyConflict:
                self.newest(item.id)

    def _saved(self, document) -> Saved:
        saved_at = document.saved_at
        return Saved(self.decode(document.data), saved_at if saved_at.tzinfo else saved_at.replace(
            tzinfo=timezone.utc), document.saved_by)


class _Cache:
    """A few seconds' memory of answers on the hot path; `clear` after a save in this process."""

    def __init__(self, seconds: float):
        self.seconds, self.entries, self.lock = seconds, {}, threading.Lock()

    def get(self, key, compute):
        now = time.monotonic()
        with self.lock:
            hit = self.entries.get(key)
        if hit is not None and now - hit[0] < self.seconds:
            return hit[1]
        value = compute()
        with self.lock:
            self.entries[key] = (now, value)
        return value

    def clear(self):
        with self.lock:
            self.entries.clear()


def _rule_pointer(rule: Rule) -> dict:
    return {"event_type": rule.event_type, "resolved_by": list(rule.resolved_by), "template": rule.template}


def _stored_rule(data: dict) -> Rule:
    return rule_from_data(data)


class MongoRuleStore:
    """The routing rules (service_layer/ports.py's RuleStore, and what the rules API needs).

    `active_for` and `resolving` are asked for every event the service routes, so their answers are kept for
    `cache_seconds` (RULES_CACHE_SECONDS, default 2 s): a rule saved through another process takes effect within
    that time; one saved through this process at once."""

    def __init__(self, cache_seconds: float = DEFAULT_CACHE_SECONDS):
        self.store = _Versions(RuleVersion, CurrentRule, _stored_rule, rule_to_data, _rule_pointer)
        self.cache = _Cache(cache_seconds)

    def active_for(self, event_type: str) -> list[Rule]:
        """The current version of every enabled rule of this event type (cached for `cache_seconds`)."""
        return self.cache.get(("active", event_type), lambda: [
            rule for rule in self._current(event_type=event_type)
            if rule.enabled and rule.event_type == event_type])

    def resolving(self, event_type: str) -> list[Rule]:
        """The current rules whose alerts this event type can resolve, enabled or not: an alert raised before its
        rule was disabled still ends (cached for `cache_seconds`)."""
        return self.cache.get(("resolving", event_type), lambda: [
            rule for rule in self._current(resolved_by=event_type) if event_type in rule.resolved_by])

    def get(self, rule_id: str, version: int | None = None) -> Rule | None:
        saved = self.saved(rule_id, version)
        return None if saved is None else saved.item

    def saved(self, rule_id: str, version: int | None = None) -> Saved | None:
        return self.store.newest(rule_id) if version is None else self.store.version(rule_id, version)

    def save(self, rule: Rule, by: str, at: datetime) -> Saved:
        """Insert this version of the rule; ConcurrencyConflict if another save inserted it first."""
        saved = self.store.insert(rule, by, at)
        self.cache.clear()
        return saved

    def listed(self, event_type: str | None, first: int, limit: int) -> tuple[list[Saved], int]:
        return self.store.listed(first, limit, **({"event_type": event_type} if event_type else {}))

    def history(self, rule_id: str, first: int, limit: int) -> tuple[list[Saved], int]:
        return self.store.history(rule_id, first, limit)

    def using_template(self, template_id: str) -> list[Rule]:
        return [rule for rule in self._current(template=template_id) if rule.template == template_id]

    def seed(self, by: str = "seed") -> None:
        self.store.seed(SEED_RULES, by)

    def _current(self, **filters) -> list[Rule]:
        return [saved.item for saved in self.store.listed(0, LIST_LIMIT, **filters)[0]]


class MongoTemplateStore:
    """Notification templates, versioned like the rules. Every alert raised renders its template's titles, so
    `for_rendering` keeps the current version for `cache_seconds` like the rules; `get` always reads."""

    def __init__(self, seed_templates: Callable[[], dict[str, Template]] = load_templates,
                 cache_seconds: float = DEFAULT_CACHE_SECONDS):
        self.store = _Versions(TemplateVersion, CurrentTemplate, template_from_data, template_to_data, lambda _: {})
        self.seed_templates = seed_templates
        self.cache = _Cache(cache_seconds)

    def get(self, template_id: str, version: int | None = None) -> Template | None:
        saved = self.saved(template_id, version)
        return None if saved is None else saved.item

    def for_rendering(self, template_id: str) -> Template | None:
        """The current version as alerts are rendered with it: kept for `cache_seconds`."""
        saved = self.cache.get(template_id, lambda: self.saved(template_id))
        return None if saved is None else saved.item

    def saved(self, template_id: str, version: int | None = None) -> Saved | None:
        return self.store.newest(template_id) if version is None else self.store.version(template_id, version)

    def save(self, template: Template, by: str, at: datetime) -> Saved:
        saved = self.store.insert(template, by, at)
        self.cache.clear()
        return saved

    def listed(self, first: int, limit: int) -> tuple[list[Saved], int]:
        return self.store.listed(first, limit)

    def history(self, template_id: str, first: int, limit: int) -> tuple[list[Saved], int]:
        return self.store.history(template_id, first, limit)

    def ids(self) -> set[str]:
        return self.store.ids()

    def seed(self, by: str = "seed") -> None:
        self.store.seed(self.seed_templates().values(), by)


class EventCatalog:
    """What rules and templates may name: the events cases and plans publish with their fields
    (adapters/catalog.py), the plans service's unit kinds, and the agency endpoints the endpoint store knows
    (`endpoints`: the service's `Endpoints` port; without one, a rule may name no endpoint)."""

    def __init__(self, endpoints=None):
        self.endpoints = endpoints

    def event_types(self) -> tuple[str, ...]:
        return catalog.event_types()

    def event_fields(self, event_type: str) -> set[str] | None:
        return catalog.event_fields(event_type)

    def unit_kinds(self) -> set[str]:
        return set(UNIT_KINDS)

    def known_endpoints(self, endpoint_ids) -> set[str]:
        if self.endpoints is None or not endpoint_ids:
            return set()
        return {endpoint.id for endpoint in self.endpoints.named(list(endpoint_ids))}
