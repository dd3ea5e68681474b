"""Loading and saving event-sourced aggregates: snapshot + replay forward, append under the stream's next version."""
from __future__ import annotations

import copy
import itertools
import json
import threading
from collections import OrderedDict

from mongoengine import Document, IntField, StringField
from pymongo.errors import DuplicateKeyError

from shared.aggregate import Aggregate, DomainEvent
from shared.documents import as_mongo
from shared.envelope import Actor, Envelope, StreamRef, event_key, new_envelope
from shared.errors import Erased
from shared.eventstore import KEYS_AT_ONCE, EventStore, envelope_of, insert_ignoring_duplicates
from shared.packed import PackedField, packed, unpacked


class SnapshotDocument(Document):
    """Base of every snapshot collection: the aggregate's id, the version it reflects and its state."""
    id = StringField(primary_key=True)
    version = IntField(required=True)
    state = PackedField(required=True)
    meta = {"abstract": True, "auto_create_index": False}


SNAPSHOT_STATE = frozenset({"state"})
"""A snapshot's state is packed already (shared/packed.py), stored as it is."""


class EventSourcedRepository:
    """`snapshot_document` must have fields `id`, `version` and `state`, plus any it is listed by.
    `event_types` maps each stored type to its event class, by default the aggregate's `event_types`.

    `cache_size` > 0 keeps that many aggregates in the process (least recently read first out): reading one that
    has not changed is then a single lookup of its next event in the log, instead of a snapshot read and decode.
    With `remember_absent`, one not in the log yet is remembered as such (version 0), so asking again (a case's
    alert log before its first alert, asked by every read of the case) is that one lookup too; not by default, where
    ids asked for come from outside (a sign-in's user name, a case id in a URL) and would crowd out real entries.
    For aggregates read far more often than they change and costly to decode: a task with a hundred assignments is
    a 20 ms snapshot on FerretDB, read by every report on it. The log stays the judge (a newer event is applied
    before anything is returned), and callers of `get` always receive their own copy."""

    def __init__(self, producer: str, aggregate_cls: type[Aggregate], snapshot_document: type[Document],
                 store: EventStore | None = None, list_fields=None, event_types: dict | None = None,
                 cache_size: int = 0, sealer=None, owner_of=None, remember_absent: bool = False):
        """`sealer` (shared.keys.OwnerCipher) and `owner_of(aggregate)`: the events' `sealed_fields` are stored
        encrypted under the owner's data key and opened when read (None once the owner is erased)."""
        self.producer = producer
        self.aggregate_cls = aggregate_cls
        self.snapshot_document = snapshot_document
        self.store = store or EventStore()
        self.list_fields = list_fields or (lambda aggregate: {})
        self.event_types = event_types or aggregate_cls.event_types
        self.cache_size = cache_size
        self.remember_absent = remember_absent
        self.sealer, self.owner_of = sealer, owner_of
        self._cache: OrderedDict[str, Aggregate] = OrderedDict()
        self._lock = threading.Lock()

    def stream_id(self, aggregate_id: str) -> str:
        return f"{self.aggregate_cls.stream_type}-{aggregate_id}"

    def get(self, aggregate_id: str) -> Aggregate | None:
        aggregate = self.read(aggregate_id)
        return copy.deepcopy(aggregate) if aggregate is not None and self.cache_size else aggregate

    def read(self, aggregate_id: str) -> Aggregate | None:
        """The aggregate as it is now, for reading only: from a caching repository it may be the cached instance
        itself, which must not be changed."""
        aggregate = self._cached(aggregate_id)
        if aggregate is None:
            snapshot = self.snapshot_document._get_collection().find_one({"_id": aggregate_id})
            aggregate = from_snapshot(self.aggregate_cls, snapshot) if snapshot else self.aggregate_cls(aggregate_id)
        newer = self.store.load(self.stream_id(aggregate_id), after_version=aggregate.version)
        if newer:
            aggregate = copy.deepcopy(aggregate) if self.cache_size else aggregate
            for envelope in newer:
                aggregate.apply(self._domain_event(envelope))
                aggregate.version = envelope.stream.version
            self._write_snapshot(aggregate)
        if aggregate.version or self.remember_absent:
            self._remember(aggregate)
        return aggregate if aggregate.version else None

    def _cached(self, aggregate_id: str) -> Aggregate | None:
        if not self.cache_size:
            return None
        with self._lock:
            aggregate = self._cache.get(aggregate_id)
            if aggregate is not None:
                self._cache.move_to_end(aggregate_id)
            return aggregate

    def _remember(self, aggregate: Aggregate | None, own_copy: bool = False) -> None:
        if not self.cache_size or aggregate is None:
            return
        kept = copy.deepcopy(aggregate) if own_copy else aggregate
        with self._lock:
            current = self._cache.get(aggregate.id)
            if current is None or current.version <= kept.version:
                self._cache[aggregate.id] = kept
                self._cache.move_to_end(aggregate.id)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def exists(self, aggregate_id: str) -> bool:
        return self.store.has_version(self.stream_id(aggregate_id), 1)

    def history(self, aggregate_id: str, known_version: int = 0) -> list[tuple[Envelope, DomainEvent]]:
        """The aggregate's stream, oldest first: each stored envelope with its domain event. `known_version`, a
        version the caller has seen (a case's, read just before): the events up to it are fetched by `_id $in`, a
        query per 500 instead of a lookup each, then any newer by lookups."""
        stream_id, envelopes = self.stream_id(aggregate_id), []
        while len(envelopes) < known_version:
            keys = [event_key(stream_id, v) for v in range(len(envelopes) + 1,
                                                          min(len(envelopes) + 1 + KEYS_AT_ONCE, known_version + 1))]
            found = self.store.documents(keys)
            envelopes += [envelope_of(found[key]) for key in itertools.takewhile(found.__contains__, keys)]
            if len(found) < len(keys):
                break
        envelopes += self.store.load(stream_id, after_version=len(envelopes))
        return [(envelope, self._domain_event(envelope)) for envelope in envelopes]

    def save(self, aggregate: Aggregate, actor: Actor, causation_id: str | None = None,
             event_ids: list[str] | None = None) -> list[Envelope]:
        """Append the aggregate's new events; raises ConcurrencyConflict if another writer got there first."""
        envelopes = self._envelopes(aggregate, actor, causation_id, event_ids)
        self.store.append(envelopes, unpublished=_unpublished(aggregate, envelopes))
        aggregate.pending.clear()
        self._write_snapshot(aggregate)
        self._remember(aggregate, own_copy=True)
        return envelopes

    def get_many(self, aggregate_ids, where: list[dict] = ()) -> dict[str, Aggregate]:
        """The aggregates of these ids that exist, by id, each the caller's own.

        Their snapshots are read by the queries `where` on top-level list fields (FerretDB filters string
        equality in SQLite: a unit's 50 reports of a period in 35 ms), any they miss by one `_id: {$in: ...}` (our
        patched FerretDB answers it from the primary key). Whether any has events newer than its snapshot is one
        more `_id $in`, for each stream's next key (`EventStore.moved_past`), where `get` makes a lookup an
        aggregate; those few are replayed as `get` does."""
        ids = list(dict.fromkeys(aggregate_ids))
        collection = self.snapshot_document._get_collection()
        snapshots = {}
        wanted = set(ids)
        for query in where:
            snapshots.update((s["_id"], s) for s in collection.find(query) if s["_id"] in wanted)
        return self._judged(ids, snapshots)

    def find(self, query: dict) -> dict[str, Aggregate]:
        """The aggregates whose snapshots match `query` (on top-level list fields), each the caller's own and
        judged by the log as `get_many` does: one query, plus one on the log when any matched."""
        snapshots = {s["_id"]: s for s in self.snapshot_document._get_collection().find(query)}
        return self._judged(list(snapshots), snapshots)

    def _judged(self, ids: list[str], snapshots: dict[str, dict]) -> dict[str, Aggregate]:
        collection = self.snapshot_document._get_collection()
        missing = [the_id for the_id in ids if the_id not in snapshots]
        for start in range(0, len(missing), KEYS_AT_ONCE):
            snapshots = {**snapshots, **{s["_id"]: s for s in collection.find(
                {"_id": {"$in": missing[start:start + KEYS_AT_ONCE]}})}}
        found = {the_id: from_snapshot(self.aggregate_cls, snapshots[the_id]) if the_id in snapshots else None
                 for the_id in ids}
        streams = {self.stream_id(the_id): the_id for the_id in ids}
        for stream_id in self.store.moved_past({stream_id: found[the_id].version if found[the_id] else 0
                                                for stream_id, the_id in streams.items()}):
            found[streams[stream_id]] = self.get(streams[stream_id])
        return {the_id: aggregate for the_id, aggregate in found.items() if aggregate is not None}

    def save_many(self, aggregates: list[Aggregate], actor: Actor, causation_ids: dict[str, str] | None = None,
                  event_ids: dict[str, list[str]] | None = None) -> set[str]:
        """`save` for many aggregates of this type in a few round trips (shared/eventstore.py `append_many`):
        answers the ids of those another writer changed first, which keep their pending events and are not
        saved; the others are. `causation_ids` and `event_ids` are by aggregate id, as `save` takes them."""
        causation_ids, event_ids = causation_ids or {}, event_ids or {}
        streams = [self._envelopes(aggregate, actor, causation_ids.get(aggregate.id), event_ids.get(aggregate.id))
                   for aggregate in aggregates]
        unpublished = set().union(*(_unpublished(aggregate, envelopes)
                                    for aggregate, envelopes in zip(aggregates, streams)))
        conflicts = self.store.append_many(streams, unpublished)
        saved = [aggregate for index, aggregate in enumerate(aggregates) if index not in conflicts]
        new = {aggregate.id for aggregate in saved if aggregate.version == len(aggregate.pending)}
        for aggregate in saved:
            aggregate.pending.clear()
        self._write_snapshots(saved, new)
        for aggregate in saved:
            self._remember(aggregate, own_copy=True)
        return {aggregates[index].id for index in conflicts}

    def _envelopes(self, aggregate: Aggregate, actor: Actor, causation_id: str | None = None,
                   event_ids: list[str] | None = None) -> list[Envelope]:
        first, stream_id = aggregate.version - len(aggregate.pending) + 1, self.stream_id(aggregate.id)
        return [new_envelope(event_type=event.type, schema_version=event.schema_version, producer=self.producer,
                             stream=StreamRef(self.aggregate_cls.stream_type, stream_id, first + i),
                             area_code=aggregate.area_code, actor=actor, causation_id=causation_id,
                             event_id=event_ids[i] if event_ids else None,
                             data=self._sealed(aggregate, event, stream_id, first + i))
                for i, event in enumerate(aggregate.pending)]

    def _sealed(self, aggregate: Aggregate, event: DomainEvent, stream_id: str, version: int) -> dict:
        data = event.data()
        if self.sealer is None or not event.sealed_fields:
            return data
        owner = self.owner_of(aggregate)
        for name in event.sealed_fields:
            if data.get(name) is not None:
                data[name] = self.sealer.encrypt(owner, json.dumps(data[name], ensure_ascii=False),
                                                 _context(stream_id, version, name))
        return data

    def _domain_event(self, envelope: Envelope) -> DomainEvent:
        try:
            event_cls = self.event_types[envelope.type]
        except KeyError:
            raise LookupError(f"{envelope.stream.id} holds {envelope.type}, which no event class reads") from None
        return event_cls.stored(envelope.type, self._opened(event_cls, envelope))

    def _opened(self, event_cls, envelope: Envelope) -> dict:
        """The event's data with its sealed fields opened; a field stored before sealing was on is as it was."""
        if self.sealer is None or not event_cls.sealed_fields:
            return envelope.data
        data = dict(envelope.data)
        for name in event_cls.sealed_fields:
            if self.sealer.seals(data.get(name)):
                opened = self.sealer.decrypt(data[name], _context(envelope.stream.id, envelope.stream.version, name))
                data[name] = json.loads(opened) if opened is not None else None
        return data

    def _snapshot_document(self, aggregate: Aggregate) -> dict:
        return as_mongo(self.snapshot_document, {"id": aggregate.id, "version": aggregate.version,
                                                 "state": packed(aggregate.snapshot()),
                                                 **self.list_fields(aggregate)},
                        as_is=SNAPSHOT_STATE)

    def _write_snapshots(self, aggregates: list[Aggregate], new: set[str] = frozenset()) -> None:
        """The snapshots of `new` aggregates inserted together in one round trip (one whose `_id` a racing
        reader's replay took is written as `_write_snapshot` does); the others one replace at a time. One
        `bulk_write` of replaces hung FerretDB v1 when two ran at once (every goroutine waiting for a SQLite
        connection, in bench/plans.py's concurrent batches), and one that meets a newer snapshot answers without
        `nModified` (pymongo's KeyError); one by one costs about the same there (2 ms a replace). An aggregate not
        `new` (it had events before) is replaced only where its older snapshot is, without an upsert, which costs
        FerretDB v1 a second round of work: where none is, the next read replays the log and writes one."""
        collection = self.snapshot_document._get_collection()
        fresh = [aggregate for aggregate in aggregates if aggregate.id in new]
        for position in insert_ignoring_duplicates(collection, [self._snapshot_document(a) for a in fresh]):
            self._write_snapshot(fresh[position])
        for aggregate in aggregates:
            if aggregate.id not in new:
                collection.replace_one({"_id": aggregate.id, "version": {"$lt": aggregate.version}},
                                       self._snapshot_document(aggregate))

    def ids(self):
        """Every aggregate's id, from the log (a scan): for one-off passes such as `rewrite_log`."""
        prefix = f"{self.aggregate_cls.stream_type}-"
        return (stream_id[len(prefix):] for stream_id in self.store.stream_ids(self.aggregate_cls.stream_type))

    def rewrite_log(self, aggregate_id: str, rewrite) -> int:
        """A one-off migration of an aggregate's stored events, for values an older release kept in the clear or
        sealed with a service-wide key: `rewrite(envelope, aggregate)` answers an event's data as this release
        would write it (`aggregate` as its whole log makes it); this repository's `sealed_fields` still in the
        clear are sealed under the owner's key, or dropped when the owner was erased. The snapshot is made again
        from the rewritten log every time, so a run cut short between the two is mended by the next. Answers how many
        events changed. Run with the services stopped: their caches hold what they read before."""
        stream_id = self.stream_id(aggregate_id)
        envelopes = self.store.load(stream_id)
        aggregate = self._replayed(aggregate_id, envelopes)
        changed = 0
        for envelope in envelopes:
            data = self._sealed_if_clear(aggregate, envelope, rewrite(envelope, aggregate))
            if data != envelope.data:
                self.store.replace_data(envelope.stream_key, data)
                changed += 1
        fresh = self._replayed(aggregate_id, self.store.load(stream_id)) if changed else aggregate
        self.snapshot_document._get_collection().replace_one({"_id": aggregate_id}, self._snapshot_document(fresh),
                                                             upsert=True)
        with self._lock:
            self._cache.pop(aggregate_id, None)
        return changed

    def _replayed(self, aggregate_id: str, envelopes: list[Envelope]) -> Aggregate:
        aggregate = self.aggregate_cls(aggregate_id)
        for envelope in envelopes:
            aggregate.apply(self._domain_event(envelope))
            aggregate.version = envelope.stream.version
        return aggregate

    def _sealed_if_clear(self, aggregate: Aggregate, envelope: Envelope, data: dict) -> dict:
        try:
            event_cls = self.event_types[envelope.type]
        except KeyError:
            return data
        if self.sealer is None or not event_cls.sealed_fields:
            return data
        data = dict(data)
        for name in event_cls.sealed_fields:
            if data.get(name) is None or self.sealer.seals(data[name]):
                continue
            try:
                data[name] = self.sealer.encrypt(self.owner_of(aggregate), json.dumps(data[name], ensure_ascii=False),
                                                 _context(envelope.stream.id, envelope.stream.version, name))
            except Erased:
                data[name] = None
        return data

    def _write_snapshot(self, aggregate: Aggregate) -> None:
        """Replaces only an older snapshot: where a newer one is stored, the upsert's insert hits its `_id` and
        nothing changes. Atomic on MongoDB; FerretDB v1 reads then writes, so a lost race there leaves an older
        snapshot, which the next reader's replay repairs."""
        try:
            self.snapshot_document._get_collection().replace_one(
                {"_id": aggregate.id, "version": {"$lt": aggregate.version}}, self._snapshot_document(aggregate),
                upsert=True)
        except DuplicateKeyError:
            pass


def from_snapshot(aggregate_cls: type[Aggregate], snapshot: dict) -> Aggregate:
    """The aggregate a raw snapshot document holds (with `_id`, `state` and `version`)."""
    return aggregate_cls.from_snapshot(snapshot["_id"], unpacked(snapshot["state"]), snapshot["version"])


def _context(stream_id: str, version: int, name: str) -> str:
    return f"event:{stream_id}:{version}:{name}"


def _unpublished(aggregate: Aggregate, envelopes: list[Envelope]) -> set[str]:
    return {e.id for e, event in zip(envelopes, aggregate.pending) if not event.published}
