"""Event store on MongoDB semantics that FerretDB v1 also keeps (DESIGN.md section 3).

Correctness rests only on inserts into a unique `_id` never succeeding twice: no transactions, no update atomicity
(FerretDB issue #3040). An event's `_id` is "<stream_id>:<version>", so two writers appending the same version
collide and the second gets ConcurrencyConflict. The log is the outbox; `pending` lists what the relay still has
to publish and is written before the event, so an event can never be in the log without being listed.

A worker's relay may also publish the new streams its own process appends straight from memory (`relay_directly`):
their entries are marked DIRECT, and the relays' scans leave such an entry alone for a few seconds, then treat it as
any other (the process may have died before publishing it). The new streams of one `append_many` share one such
entry, a `Lot`.
"""
from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from typing import Callable

from mongoengine import DateTimeField, DictField, Document, IntField, StringField
from mongoengine.errors import NotUniqueError
from pymongo.errors import BulkWriteError

from shared.clock import aware
from shared.envelope import Actor, Envelope, StreamRef, event_key, stream_of_key
from shared.errors import ConcurrencyConflict
from shared.packed import PackedField, packed, unpacked


class StoredEvent(Document):
    key = StringField(primary_key=True)
    event_id = StringField(required=True)
    type = StringField(required=True)
    schema_version = IntField(required=True)
    occurred_at = DateTimeField(required=True)
    producer = StringField(required=True)
    stream_type = StringField(required=True)
    stream_id = StringField(required=True)
    version = IntField(required=True)
    area_code = StringField()
    actor = DictField()
    correlation_id = StringField()
    causation_id = StringField()
    data = PackedField()
    recorded_at = DateTimeField(required=True)
    meta = {"collection": "events", "auto_create_index": False,
            "indexes": [{"fields": ["stream_id", "version"], "unique": True}]}

    @classmethod
    def from_envelope(cls, envelope: Envelope) -> "StoredEvent":
        return cls(key=envelope.stream_key, event_id=envelope.id, type=envelope.type,
                   schema_version=envelope.schema_version, occurred_at=envelope.occurred_at,
                   producer=envelope.producer, stream_type=envelope.stream.type, stream_id=envelope.stream.id,
                   version=envelope.stream.version, area_code=envelope.area_code, actor=asdict(envelope.actor),
                   correlation_id=envelope.correlation_id, causation_id=envelope.causation_id,
                   data=envelope.data, recorded_at=datetime.now(timezone.utc))

    def to_envelope(self) -> Envelope:
        return envelope_of(self.to_mongo())


class PendingEvent(Document):
    """An event the relay has not yet seen confirmed by the broker."""
    event_id = StringField(primary_key=True)
    key = StringField(required=True)
    stream_id = StringField(required=True)
    version = IntField(required=True)
    created_at = DateTimeField(required=True)
    lane = StringField()
    """DIRECT when the writing process's relay publishes the event itself; absent when the relays' scans do."""
    meta = {"collection": "pending", "auto_create_index": False,
            "indexes": [("created_at", "stream_id", "version")]}
    """The relay reads the oldest first, and the entries of one batch (which share `created_at`) by stream and
    version, so a pass cut by its limit never holds a stream's later event without the earlier one."""


class PendingLot(Document):
    """A `Lot`, kept apart from `pending` so the scans' read of it on every pass stays small: the scans read the
    lots only on a pass that found entries (to hold the streams a lot lists) or once a `LOT_CHECK_SECONDS` (to break
    up an old one), and the outbox gauges once a sample."""
    id = StringField(primary_key=True)
    created_at = DateTimeField(required=True)
    events = PackedField(required=True)
    meta = {"collection": "pending_lots", "auto_create_index": False}


DIRECT = "direct"
KEYS_AT_ONCE = 500
"""Documents fetched by one `_id $in` query: the most the patched FerretDB looks up from the index at once."""


@dataclass(frozen=True)
class Lot:
    """One outbox entry, DIRECT, for the events of the new streams one `append_many` of a worker starts (at most
    KEYS_AT_ONCE), in place of an entry each (stored as a `PendingLot`). Its writer's relay removes it once every
    event it lists is confirmed, and breaks up what is left into entries of their own; the scans break up a lot past
    DIRECT_SECONDS and stop its streams until then. Why: an entry's insert and its removal cost FerretDB about 85
    and 135 µs, which for the two alerts of a routed event was a third of the store's work (docs/benchmarks.md,
    issue 9)."""
    id: str
    created_at: datetime
    events: tuple[tuple[str, str], ...]
    """(event id, key) pairs."""

    @classmethod
    def of(cls, document: dict) -> "Lot":
        return cls(document["_id"], document["created_at"], tuple(unpacked(document["events"]).items()))

    def document(self) -> dict:
        """Its events packed as one value, a mapping of id to key: FerretDB takes no arrays of arrays, and encodes
        a packed value in one piece."""
        return {"_id": self.id, "created_at": self.created_at, "events": packed(dict(self.events))}

    def entries(self, event_ids: set[str] | None = None) -> list[dict]:
        """The entries of its events (of those among `event_ids`, if given) as `append` would have written them."""
        return [{"_id": event_id, "key": key, "stream_id": stream_id, "version": version,
                 "created_at": self.created_at, "lane": DIRECT}
                for event_id, key in self.events if event_ids is None or event_id in event_ids
                for stream_id, version in [stream_of_key(key)]]

    @property
    def stream_ids(self) -> set[str]:
        return {stream_of_key(key)[0] for _, key in self.events}


def pending_lots() -> list[Lot]:
    return [Lot.of(document) for document in PendingLot._get_collection().find()]


def break_up(lot: Lot, event_ids: set[str] | None = None) -> None:
    """Replace a lot by entries of its own for its events (those among `event_ids`, if given), with its lane and
    time: inserted first, so no event is ever unlisted. Done twice, or by two relays, it lists each event once."""
    insert_ignoring_duplicates(PendingEvent._get_collection(), lot.entries(event_ids))
    PendingLot._get_collection().delete_one({"_id": lot.id})


def remove_lots(lot_ids: list[str]) -> None:
    if lot_ids:
        PendingLot._get_collection().delete_many({"_id": {"$in": lot_ids}})


def _lots(events: list[Envelope], now: datetime) -> list[Lot]:
    return [Lot(f"lot-{uuid.uuid4().hex}", now, tuple((e.id, e.stream_key) for e in part))
            for part in (events[start:start + KEYS_AT_ONCE] for start in range(0, len(events), KEYS_AT_ONCE))]


_direct_relay: Callable[[list[Envelope], tuple[Lot, ...]], None] | None = None


def relay_directly(hint: Callable[[list[Envelope], tuple[Lot, ...]], None] | None) -> None:
    """From now on this process hands every stream it starts (its first event appended here) to `hint` once it is in
    the log, for its relay to publish from memory: no read of the outbox or the log before the publish. Only new
    streams: a later event of an existing stream waits behind its earlier ones in the scans, which keeps each
    stream in order. `hint` also gets the lots `append_many` listed the events in (none from `append`). A worker
    calls this with its relay's `hint`; the web processes do not."""
    global _direct_relay
    _direct_relay = hint


def _lane(envelopes: list[Envelope]) -> str | None:
    return DIRECT if _direct_relay is not None and envelopes and envelopes[0].stream.version == 1 else None


def _going(envelopes: list[Envelope], inserted: int, unpublished) -> list[Envelope]:
    """The first `inserted` envelopes of a new stream, the ones this call put in the log: an event found there
    already (an append done again) is left to the scans, which publish what the log holds, and so are those after
    it, to stay behind it."""
    return [e for e in envelopes[:inserted] if e.id not in unpublished]


def _hint(going: list[Envelope], lots: tuple[Lot, ...] = ()) -> None:
    if _direct_relay is not None and (going or lots):
        _direct_relay(going, lots)


class EventStore:
    def append(self, envelopes: list[Envelope], unpublished: set[str] = frozenset()) -> None:
        """Append consecutive events of one stream; the first one's version must be the stream's next. Events
        whose ids are `unpublished` get no outbox entry.

        Appending an event whose id is already at that place in the log is a no-op, so a consumer that derives
        its events' ids from the message it handles can append again after a crash without doubling anything.
        """
        if not envelopes:
            return
        now, lane = datetime.now(timezone.utc), _lane(envelopes)
        for e in envelopes:
            if e.id in unpublished:
                continue
            try:
                PendingEvent(event_id=e.id, key=e.stream_key, stream_id=e.stream.id, version=e.stream.version,
                             created_at=now, lane=lane).save(force_insert=True)
            except NotUniqueError:
                pass
        inserted = None
        for index, envelope in enumerate(envelopes):
            try:
                StoredEvent.from_envelope(envelope).save(force_insert=True)
            except NotUniqueError:
                inserted = index if inserted is None else inserted
                stored = self.get(envelope.stream_key)
                if stored is not None and stored.event_id == envelope.id:
                    continue
                for abandoned in envelopes[index:]:
                    PendingEvent.objects(event_id=abandoned.id, key=abandoned.stream_key).delete()
                if lane:
                    _hint(_going(envelopes, inserted, unpublished))
                raise ConcurrencyConflict(envelope.stream.id, envelope.stream.version - 1) from None
        if lane:
            _hint(_going(envelopes, len(envelopes) if inserted is None else inserted, unpublished))

    def append_many(self, streams: list[list[Envelope]], unpublished: set[str] = frozenset()) -> set[int]:
        """`append` for many streams at once, in one write per collection and round rather than one per event:
        the outbox entries of every stream first (as `append`, so no event is ever in the log unlisted; the new
        streams a worker starts get lots instead), then the streams' first events together, then their second
        events... each stream's next round only once the one before it went in. Answers the indexes of the
        streams that lost a race (another writer appended first): their outbox entries are removed (in a lot they
        stay listed: its writer's relay leaves them out, and the scans drop them if they break it up) and nothing of
        theirs stays in the log past the collision; the others are appended. An event already at its place in the
        log under the same id counts as appended."""
        now, lanes = datetime.now(timezone.utc), [_lane(envelopes) for envelopes in streams]
        listed = [(e, lane) for envelopes, lane in zip(streams, lanes) for e in envelopes if e.id not in unpublished]
        pending = [{"_id": e.id, "key": e.stream_key, "stream_id": e.stream.id, "version": e.stream.version,
                    "created_at": now} for e, lane in listed if not lane]
        lots = _lots([e for e, lane in listed if lane], now)
        insert_ignoring_duplicates(PendingLot._get_collection(), [lot.document() for lot in lots])
        insert_ignoring_duplicates(PendingEvent._get_collection(), pending)
        conflicts: dict[int, int] = {}
        inserted, found = [0] * len(streams), set()
        for round_ in range(max((len(envelopes) for envelopes in streams), default=0)):
            going = [(index, envelopes[round_]) for index, envelopes in enumerate(streams)
                     if len(envelopes) > round_ and index not in conflicts]
            duplicates = set(insert_ignoring_duplicates(
                StoredEvent._get_collection(),
                [event_document(envelope, now) for _, envelope in going]))
            for position, (index, envelope) in enumerate(going):
                if position not in duplicates:
                    inserted[index] += index not in found
                    continue
                found.add(index)
                stored = self.get(envelope.stream_key)
                if stored is None or stored.event_id != envelope.id:
                    conflicts[index] = round_
        abandoned = [e for index, round_ in conflicts.items() for e in streams[index][round_:]]
        if abandoned:
            PendingEvent._get_collection().delete_many({"_id": {"$in": [e.id for e in abandoned]},
                                                        "key": {"$in": [e.stream_key for e in abandoned]}})
        lost = {e.id for e in abandoned}
        _hint([e for index, envelopes in enumerate(streams) if lanes[index]
               for e in _going(envelopes, inserted[index], unpublished)],
              tuple(replace(lot, events=tuple(pair for pair in lot.events if pair[0] not in lost)) for lot in lots))
        return set(conflicts)

    def load(self, stream_id: str, after_version: int = 0) -> list[Envelope]:
        """Read a stream forward by point lookups on `_id`, the one filter FerretDB pushes down to SQLite. Most
        reads find nothing newer than a snapshot, so the lookup goes to the collection without building a query
        object first."""
        events = []
        version = after_version
        collection = StoredEvent._get_collection()
        while (document := collection.find_one({"_id": event_key(stream_id, version + 1)})) is not None:
            events.append(envelope_of(document))
            version += 1
        return events

    def has_version(self, stream_id: str, version: int) -> bool:
        return StoredEvent._get_collection().find_one({"_id": event_key(stream_id, version)}, {"_id": 1}) is not None

    def moved_past(self, versions: dict[str, int]) -> set[str]:
        """Which of these streams hold an event past the version given for each: those where the next version's
        key exists (a stream's versions have no gaps), asked by `_id: {$in: ...}` in a query per 500 streams, which
        our patched FerretDB (SQLite) answers from the primary key however long the streams are."""
        following = {event_key(stream_id, version + 1): stream_id for stream_id, version in versions.items()}
        keys, moved = list(following), set()
        for start in range(0, len(keys), KEYS_AT_ONCE):
            found = StoredEvent._get_collection().find({"_id": {"$in": keys[start:start + KEYS_AT_ONCE]}}, {"_id": 1})
            moved |= {following[document["_id"]] for document in found}
        return moved

    def get(self, key: str) -> StoredEvent | None:
        return StoredEvent.objects(key=key).first()

    def documents(self, keys: list[str]) -> dict[str, dict]:
        """The stored events at these keys ("<stream_id>:<version>") as raw documents by key, in one query
        (the patched FerretDB answers `_id` `$in` up to 500 strings from the index): for the relay."""
        if not keys:
            return {}
        return {document["_id"]: document for document in StoredEvent._get_collection().find({"_id": {"$in": keys}})}

    def stream_ids(self, stream_type: str):
        """Every stream of a type, by its first event: for a one-off pass over a whole log (a scan)."""
        for document in StoredEvent._get_collection().find({"stream_type": stream_type, "version": 1},
                                                           {"_id": 0, "stream_id": 1}):
            yield document["stream_id"]

    def replace_data(self, key: str, data: dict) -> None:
        """A migration's rewrite of a stored event's data (values sealed the old way sealed again): the log is
        otherwise never changed."""
        StoredEvent._get_collection().update_one({"_id": key}, {"$set": {"data": packed(data)}})


def envelope_of(document) -> Envelope:
    """The envelope a stored event's document holds, read without building a mongoengine document."""
    return Envelope(id=document["event_id"], type=document["type"], schema_version=document["schema_version"],
                    occurred_at=aware(document["occurred_at"]), producer=document["producer"],
                    stream=StreamRef(type=document["stream_type"], id=document["stream_id"],
                                     version=document["version"]),
                    area_code=document.get("area_code"), actor=Actor(**document["actor"]),
                    correlation_id=document.get("correlation_id"), causation_id=document.get("causation_id"),
                    data=unpacked(document.get("data")))


def event_document(envelope: Envelope, recorded_at: datetime) -> dict:
    """What `StoredEvent.from_envelope(envelope).to_mongo()` stores, built without mongoengine's conversions
    (a third of a batch's time in Python); tests/integration/test_eventstore_batches.py holds them equal."""
    document = {"_id": envelope.stream_key, "event_id": envelope.id, "type": envelope.type,
                "schema_version": envelope.schema_version, "occurred_at": envelope.occurred_at,
                "producer": envelope.producer, "stream_type": envelope.stream.type, "stream_id": envelope.stream.id,
                "version": envelope.stream.version, "area_code": envelope.area_code, "actor": asdict(envelope.actor),
                "correlation_id": envelope.correlation_id, "causation_id": envelope.causation_id,
                "data": packed(envelope.data), "recorded_at": recorded_at}
    return {name: value for name, value in document.items() if value is not None}


def insert_ignoring_duplicates(collection, documents: list[dict]) -> list[int]:
    """Insert all, unordered, in one round trip; answers the positions of those whose `_id` was taken."""
    if not documents:
        return []
    try:
        collection.insert_many(documents, ordered=False)
    except BulkWriteError as error:
        errors = error.details.get("writeErrors", [])
        if any(e.get("code") != 11000 for e in errors) or not errors:
            raise
        return [e["index"] for e in errors]
    return []


DOCUMENTS = (StoredEvent, PendingEvent, PendingLot)
