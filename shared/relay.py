"""The outbox relay: publishes what `pending` lists, in stream order, with publisher confirms.

Runs in each service's worker. Several relays may run at once; a short lease taken by unique insert lets one of
them scan the outbox at a time, and consumers' idempotency absorbs the rare overlap when a lease changes hands.
Each also publishes the new streams its own process appended, from memory, without the lease
(shared/eventstore.py `relay_directly`): the scans leave those to it for DIRECT_SECONDS.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import deque
from datetime import datetime, timedelta, timezone
from itertools import groupby
from operator import itemgetter

from marshmallow import ValidationError
from prometheus_client import Counter
from tenacity import retry, stop_after_attempt, wait_exponential

from shared import once
from shared.bus import ConfirmingPublisher, Outgoing, events_exchange
from shared.clock import aware
from shared.contracts import Contracts, data_schema
from shared.envelope import Envelope
from shared.eventstore import (DIRECT, EventStore, Lot, PendingEvent, StoredEvent, break_up, envelope_of,
                               pending_lots, remove_lots)

log = logging.getLogger(__name__)
PUBLISHED = Counter("relay_published_total", "Events confirmed by the broker", ["service"])
UNROUTED = Counter("relay_unrouted_total", "Events no queue subscribes to", ["service"])
BROKEN = Counter("relay_contract_breaks_total", "Events held back because they break their contract", ["service"])
FAILED = Counter("relay_publish_failures_total", "Publish attempts that failed", ["service"])
LEASE_SECONDS = 5
DIRECT_SECONDS = 10.0
"""How long the scans leave an entry its writer's relay publishes from memory: past that, the writer is taken to
have died (or lost the broker) first, and any relay publishes it from the log. A writer still publishing then (a
slow broker) sends a second copy, after the scans' first: consumers absorb it, and the first copies kept each
stream's order, since the scans stopped the stream at that entry until they took it over."""
LOT_CHECK_SECONDS = 1.0
"""How often a scan that found no entries still reads the lots, to break up those past DIRECT_SECONDS."""
BATCH = 500
"""Events relayed per pass: at most the 500 keys the patched FerretDB looks up from the `_id` index at once."""


class Lease:
    """Time-sliced leadership: whoever first inserts a slot's mark holds it; the holder pre-claims the next slot.

    The outcome for a slot is remembered, so a relay polling every few milliseconds touches the database once
    per slot, not once per poll.
    """

    def __init__(self, name: str, holder: str | None = None, seconds: int = LEASE_SECONDS):
        self.name, self.seconds = name, seconds
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        self._slot, self._mine, self._preclaimed = None, False, None

    def _key(self, slot: int) -> str:
        return f"lease:{self.name}:{slot}"

    def _decide(self, slot: int) -> bool:
        key = self._key(slot)
        owner = once.holder_of(key)
        if owner is None:
            owner = self.holder if once.claim(key, self.holder) else once.holder_of(key)
        if owner == self.holder and slot % 100 == 0:
            once.with_prefix(f"lease:{self.name}:").filter(
                created_at__lt=datetime.now(timezone.utc) - timedelta(minutes=5)).delete()
        return owner == self.holder

    def held(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        slot = int(now // self.seconds)
        if slot != self._slot:
            self._slot, self._mine = slot, self._decide(slot)
        if self._mine and self._preclaimed != slot + 1 and now - slot * self.seconds > 0.8 * self.seconds:
            once.claim(self._key(slot + 1), self.holder)
            self._preclaimed = slot + 1
        return self._mine


def public_message(envelope: Envelope, contracts: Contracts) -> dict:
    """The message as consumers may see it: the event's data cut down to its contract's fields."""
    contract = data_schema(contracts, envelope.type, envelope.schema_version)
    return {**envelope.to_message(), "data": contract.dump(contract.load(envelope.data))}


class Relay:
    def __init__(self, service: str, publisher: ConfirmingPublisher, contracts: Contracts,
                 store: EventStore | None = None, grace_seconds: float = 300.0, batch: int = BATCH):
        self.service = service
        self.contracts = contracts
        self.publisher = publisher
        self.store = store or EventStore()
        self.exchange = events_exchange(service)
        self.grace = timedelta(seconds=grace_seconds)
        self.batch = batch
        self.lease = Lease(f"relay:{service}")
        self.direct_grace = timedelta(seconds=DIRECT_SECONDS)
        self._hints: deque[tuple[list[Envelope], tuple[Lot, ...]]] = deque()
        self._hinted = threading.Event()
        self._lots_checked = 0.0

    def hint(self, envelopes: list[Envelope], lots: tuple[Lot, ...] = ()) -> None:
        """New streams this process just appended, and the lots that list them (shared/eventstore.py
        `relay_directly`); from any thread."""
        self._hints.append((envelopes, lots))
        self._hinted.set()

    def publish_hinted(self) -> int:
        """Publish the hinted streams from memory, in waves as `run_once` does (of at most `batch` events), and
        remove their entries; how many were confirmed. One try, so a wave takes at most one confirm wait: what fails
        (with all drained after it) or breaks its contract (the scans hold it back and say so) is left to the scans,
        which take it over after DIRECT_SECONDS; a stream stops at its first event left. A lot goes once all it
        lists is confirmed; what it lists that was not (nor handed over: an event the append found in the log
        already; or after a failed wave) is given entries of its own, DIRECT and as old as the lot, and left to the
        scans the same way."""
        streams: dict[str, list[Envelope]] = {}
        lots: list[Lot] = []
        while self._hints:
            envelopes, hinted_lots = self._hints.popleft()
            lots.extend(hinted_lots)
            for envelope in envelopes:
                streams.setdefault(envelope.stream.id, []).append(envelope)
        in_lots = {event_id for lot in lots for event_id, _ in lot.events}
        going, confirmed = [iter(events) for events in streams.values()], set()
        try:
            while going:
                wave, going = self._next_hinted_wave(going)
                for start in range(0, len(wave), self.batch):
                    part = wave[start:start + self.batch]
                    self._publish_once([outgoing for _, outgoing in part])
                    if own := [envelope.id for envelope, _ in part if envelope.id not in in_lots]:
                        PendingEvent._get_collection().delete_many({"_id": {"$in": own}})
                    confirmed.update(envelope.id for envelope, _ in part)
        finally:
            self._settle(lots, confirmed)
        return len(confirmed)

    @staticmethod
    def _settle(lots: list[Lot], confirmed: set[str]) -> None:
        done = []
        for lot in lots:
            if left := {event_id for event_id, _ in lot.events} - confirmed:
                break_up(lot, left)
            else:
                done.append(lot.id)
        remove_lots(done)

    def _next_hinted_wave(self, streams: list) -> tuple[list[tuple[Envelope, Outgoing]], list]:
        wave, going = [], []
        for stream in streams:
            envelope = next(stream, None)
            if envelope is None:
                continue
            try:
                wave.append((envelope, self._outgoing(envelope)))
            except ValidationError:
                continue
            going.append(stream)
        return wave, going

    def run_once(self) -> int:
        """Publish what is pending now; returns how many events were confirmed.

        In waves: the next event of every stream at once, confirmed together before any stream's following
        event goes, so each stream is published in order and a batch costs one wait for confirms a wave rather
        than one a message. A wave's entries are removed together once it is confirmed (one round trip, on a
        collection that holds only what is unpublished): a relay that dies before then publishes them again, and
        consumers' idempotency absorbs it. The lease is checked before each wave, so a relay that lost it stops
        (another has taken over) rather than publishing the rest of its pass again."""
        if not self.lease.held():
            return 0
        entries, held = self._entries()
        now = datetime.now(timezone.utc)
        left = {entry["_id"] for entry in entries
                if entry["stream_id"] in held
                or entry.get("lane") == DIRECT and now - aware(entry["created_at"]) < self.direct_grace}
        stored = self.store.documents([entry["key"] for entry in entries if entry["_id"] not in left])
        streams = [iter(list(stream)) for _, stream in groupby(entries, key=itemgetter("stream_id"))]
        confirmed = 0
        while streams and self.lease.held():
            done: list[str] = []
            wave, streams = self._next_wave(streams, stored, left, done)
            if wave:
                self._publish([outgoing for _, outgoing in wave])
                done.extend(entry["_id"] for entry, _ in wave)
                confirmed += len(wave)
            if done:
                PendingEvent._get_collection().delete_many({"_id": {"$in": done}})
        return confirmed

    def _entries(self) -> tuple[list[dict], set[str]]:
        """The oldest entries (up to `batch`) by stream and version, and the streams held by lots still left to
        their writers. Lots are read when there are entries, or once a LOT_CHECK_SECONDS; one past DIRECT_SECONDS
        is broken up. The entries are then read again, after the lots: a writer that broke up its lot in between
        had put the lot's entries in first, so a stream it held is never read without its earlier events."""
        if not self._oldest() and time.monotonic() - self._lots_checked < LOT_CHECK_SECONDS:
            return [], set()
        self._lots_checked = time.monotonic()
        now, held = datetime.now(timezone.utc), set()
        for lot in pending_lots():
            if now - aware(lot.created_at) >= self.direct_grace:
                break_up(lot)
            else:
                held |= lot.stream_ids
        return self._oldest(), held

    def _oldest(self) -> list[dict]:
        return sorted(PendingEvent._get_collection().find(
            {}, sort=[("created_at", 1), ("stream_id", 1), ("version", 1)], limit=self.batch),
            key=itemgetter("stream_id", "version"))

    def _next_wave(self, streams: list, stored: dict[str, dict], left: set[str],
                   done: list[str]) -> tuple[list, list]:
        """Each stream's next publishable event, and the streams that go on; entries whose event is not (or no
        longer) in the log are added to `done`, and a stream whose next event must wait (or is `left` to the
        process that wrote it, decided once a pass) stops here."""
        wave, going = [], []
        for stream in streams:
            for entry in stream:
                if entry["_id"] in left:
                    break
                outcome, outgoing = self._check(entry, stored.get(entry["key"]))
                if outcome == "dropped":
                    done.append(entry["_id"])
                    continue
                if outcome == "ready":
                    wave.append((entry, outgoing))
                    going.append(stream)
                break
        return wave, going

    def _check(self, entry: dict, stored: dict | None) -> tuple[str, Outgoing | None]:
        if stored is None or stored["event_id"] != entry["_id"]:
            if stored is not None or datetime.now(timezone.utc) - aware(entry["created_at"]) > self.grace:
                return "dropped", None
            return "wait", None
        try:
            return "ready", self._outgoing(envelope_of(stored))
        except ValidationError:
            return "wait", None

    def _outgoing(self, envelope: Envelope) -> Outgoing:
        """The message to publish; ValidationError (counted and logged) when the event breaks its contract."""
        try:
            message = public_message(envelope, self.contracts)
        except ValidationError as broken:
            BROKEN.labels(self.service).inc()
            log.error("event %s (%s) breaks its contract and is held back: %s", envelope.id, envelope.type,
                      broken.messages)
            raise
        return Outgoing(envelope.type, message, envelope.id, {"correlation_id": envelope.correlation_id or ""})

    @retry(stop=stop_after_attempt(3), wait=wait_exponential(multiplier=0.2, max=2), reraise=True)
    def _publish(self, outgoing: list[Outgoing]) -> None:
        self._publish_once(outgoing)

    def _publish_once(self, outgoing: list[Outgoing]) -> None:
        try:
            returned = self.publisher.publish_many(self.exchange, outgoing)
        except Exception:
            FAILED.labels(self.service).inc()
            raise
        PUBLISHED.labels(self.service).inc(len(outgoing))
        if returned:
            UNROUTED.labels(self.service).inc(len(returned))
            log.debug("no queue subscribes to %d of them; they stay in the log", len(returned))

    def run_forever(self, stop: threading.Event, poll_seconds: float) -> None:
        """Until `stop`: the hinted streams, then a scan; a pass that published nothing waits for a hint or the
        poll interval."""
        while not stop.is_set():
            self._hinted.clear()
            try:
                published = self.publish_hinted()
                published += self.run_once()
            except Exception:  # noqa: BLE001 - the relay outlives a broker or database outage and retries
                log.warning("relay pass failed; retrying", exc_info=True)
                stop.wait(1.0)
                continue
            if not published:
                self._hinted.wait(poll_seconds)


def republish(service: str, event_type: str, publisher: ConfirmingPublisher, contracts: Contracts,
              batch: int = BATCH) -> int:
    """Publish again every stored event of `event_type`, oldest first, as the relay did: for a consumer added after
    they were first published (a new service's copy of the unit directory). Consumers' idempotency absorbs those
    they already had. How many were published."""
    documents = list(StoredEvent._get_collection().find({"type": event_type}).sort([("stream_id", 1), ("version", 1)]))
    exchange = events_exchange(service)
    for start in range(0, len(documents), batch):
        envelopes = [envelope_of(d) for d in documents[start:start + batch]]
        publisher.publish_many(exchange, [Outgoing(e.type, public_message(e, contracts), e.id,
                                                   {"correlation_id": e.correlation_id or ""}) for e in envelopes])
    return len(documents)
