"""The outbox relay: publishes what `pending` lists, in stream order, with publisher confirms.

Runs in each service's worker. Several relays may run at once; a short lease taken by unique insert lets one of
them work at a time, and consumers' idempotency absorbs the rare overlap when a lease changes hands.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta, timezone
from itertools import groupby

from marshmallow import ValidationError
from prometheus_client import Counter
from tenacity import retry, stop_after_attempt, wait_exponential

from shared import once
from shared.bus import ConfirmingPublisher, events_exchange
from shared.clock import aware
from shared.contracts import Contracts, data_schema
from shared.envelope import Envelope
from shared.eventstore import EventStore, PendingEvent

log = logging.getLogger(__name__)
PUBLISHED = Counter("relay_published_total", "Events confirmed by the broker", ["service"])
UNROUTED = Counter("relay_unrouted_total", "Events no queue subscribes to", ["service"])
BROKEN = Counter("relay_contract_breaks_total", "Events held back because they break their contract", ["service"])
FAILED = Counter("relay_publish_failures_total", "Publish attempts that failed", ["service"])
LEASE_SECONDS = 5


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
                 store: EventStore | None = None, grace_seconds: float = 300.0, batch: int = 500):
        self.service = service
        self.contracts = contracts
        self.publisher = publisher
        self.store = store or EventStore()
        self.exchange = events_exchange(service)
        self.grace = timedelta(seconds=grace_seconds)
        self.batch = batch
        self.lease = Lease(f"relay:{service}")

    def run_once(self) -> int:
        """Publish what is pending now; returns how many events were confirmed."""
        if not self.lease.held():
            return 0
        entries = sorted(PendingEvent.objects.order_by("created_at").limit(self.batch),
                         key=lambda p: (p.stream_id, p.version))
        confirmed = 0
        for _, stream_entries in groupby(entries, key=lambda p: p.stream_id):
            for entry in stream_entries:
                outcome = self._relay_entry(entry)
                if outcome == "wait":
                    break
                confirmed += outcome == "published"
        return confirmed

    def _relay_entry(self, entry: PendingEvent) -> str:
        stored = self.store.get(entry.key)
        if stored is None or stored.event_id != entry.event_id:
            if stored is not None or datetime.now(timezone.utc) - aware(entry.created_at) > self.grace:
                entry.delete()
                return "dropped"
            return "wait"
        envelope = stored.to_envelope()
        try:
            message = public_message(envelope, self.contracts)
        except ValidationError as broken:
            BROKEN.labels(self.service).inc()
            log.error("event %s (%s) breaks its contract and is held back: %s", envelope.id, envelope.type,
                      broken.messages)
            return "wait"
        self._publish(envelope, message)
        entry.delete()
        return "published"

    @retry(stop=stop_after_attempt(3), wait=wait_exponential(multiplier=0.2, max=2), reraise=True)
    def _publish(self, envelope: Envelope, message: dict) -> None:
        try:
            routed = self.publisher.publish(self.exchange, envelope.type, message, envelope.id,
                                            headers={"correlation_id": envelope.correlation_id or ""})
        except Exception:
            FAILED.labels(self.service).inc()
            self.publisher.reset()
            raise
        PUBLISHED.labels(self.service).inc()
        if not routed:
            UNROUTED.labels(self.service).inc()
            log.debug("no queue subscribes to %s; it stays in the log", envelope.type)

    def run_forever(self, stop: threading.Event, poll_seconds: float) -> None:
        while not stop.is_set():
            try:
                published = self.run_once()
            except Exception:  # noqa: BLE001 - the relay outlives a broker or database outage and retries
                log.warning("relay pass failed; retrying", exc_info=True)
                stop.wait(1.0)
                continue
            if not published:
                stop.wait(poll_seconds)
