"""Consuming events with kombu: manual ack after the effect is stored, retries with backoff, dead letters.

A handler must make its effect keyed by the event id (an insert under a unique `_id`), so a redelivery after a
crash between the effect and the ack finds the effect already there. The consumer also records handled ids and
skips those it has seen.

Messages that arrive together are taken together: a `BatchedHandlers` consumer stores their effects in one call;
any other still handles one event at a time, but looks up and records the handled marks of the lot in one round
trip each (two per message before, one of them a commit).
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable

from kombu import Connection
from kombu.mixins import ConsumerMixin
from marshmallow import ValidationError
from prometheus_client import Counter
from pymongo.errors import ConnectionFailure

from shared import once, runtime
from shared.bus import Subscription
from shared.envelope import Envelope, envelope_from_message
from shared.logs import correlated

log = logging.getLogger(__name__)
HANDLED = Counter("consumer_handled_total", "Events whose effect was stored", ["queue", "type"])
DUPLICATES = Counter("consumer_duplicates_total", "Deliveries of events already handled", ["queue"])
DEAD = Counter("consumer_dead_lettered_total", "Messages sent to the dead-letter queue", ["queue", "reason"])
RETRIED = Counter("consumer_retried_total", "Failed deliveries given back for another try", ["queue"])

Handler = Callable[[Envelope], None]
BATCH_WAIT_SECONDS = 0.02


class BatchedHandlers(dict):
    """Handlers by event type, and `batch`: one call for several events whose effects it stores together (a few
    round trips for the lot instead of a few per event). Every effect must be keyed by its event's id, as a batch
    redelivered after a crash is handled again whole. A batch that fails is handled again one event at a time, so
    a poison message is retried and dead-lettered alone."""

    def __init__(self, handlers: dict[str, Handler], batch: Callable[[list[Envelope]], None]):
        super().__init__(handlers)
        self.batch = batch


def backoff_seconds(delivery_count: int, base: float = 0.1, cap: float = 3.0) -> float:
    return min(cap, base * 2 ** max(0, delivery_count))


def _wait_for_database(limit_seconds: float = 300.0) -> None:
    """An outage is not the message's fault: hold it until the database answers, so a long outage spends one
    delivery of the queue's limit instead of all of them."""
    deadline = time.monotonic() + limit_seconds
    while time.monotonic() < deadline:
        try:
            runtime.database_ping()
            return
        except ConnectionFailure:
            time.sleep(1.0)


class EventConsumer(ConsumerMixin):
    def __init__(self, connection: Connection, subscription: Subscription, handlers: dict[str, Handler],
                 prefetch: int = 20, fault_delay_after_effect_ms: int = 0, stop: threading.Event | None = None,
                 batch_size: int = 100):
        self.connection = connection
        self.subscription = subscription
        self.handlers = handlers
        self.prefetch = prefetch
        self.fault_delay = fault_delay_after_effect_ms / 1000
        self.stop = stop or threading.Event()
        self.batch = getattr(handlers, "batch", None)
        self.batch_size = batch_size
        self.buffered: list[tuple[Envelope, object]] = []
        self.last_received = 0.0
        self.consuming: Connection | None = None
        """The connection `consume` reads from (ConsumerMixin's clone of `connection`), whose heartbeats a long
        batch keeps going."""

    def consume(self, limit=None, timeout=None, safety_interval=1, **kwargs):
        """ConsumerMixin's loop, waiting for the broker at most BATCH_WAIT_SECONDS while messages are held (so
        they wait no longer than that once the messages stop coming), and otherwise `safety_interval` or, with
        short heartbeats, a quarter of the heartbeat: each frame read, the broker's own heartbeats included (sent
        every half heartbeat), starts the wait again, so a longer wait would never time out, ours would never be
        sent, and the broker would close the connection."""
        with self.consumer_context(**kwargs) as (connection, _, _):
            self.consuming = connection
            heartbeat = connection.get_heartbeat_interval() or 0
            quiet_wait = min(safety_interval, heartbeat / 4) if heartbeat else safety_interval
            while not self.should_stop:
                self.on_iteration()
                try:
                    connection.drain_events(timeout=BATCH_WAIT_SECONDS if self.buffered else quiet_wait)
                except socket.timeout:
                    connection.heartbeat_check()
                except OSError:
                    if not self.should_stop:
                        raise
                else:
                    yield

    def on_iteration(self):
        if self.buffered and (len(self.buffered) >= self.flush_size
                              or time.monotonic() - self.last_received >= BATCH_WAIT_SECONDS):
            if self.batch is not None:
                self._flush()
            else:
                self._flush_each()

    @property
    def flush_size(self) -> int:
        """Half the window, so the next messages are on their way while these are handled."""
        return max(1, min(self.batch_size, self.window // 2))

    def on_consume_end(self, connection, channel):
        """The channel is gone: what it delivered and nobody acknowledged is delivered again on the next one."""
        self.buffered = []

    @property
    def should_stop(self) -> bool:
        """ConsumerMixin's loops poll this; the worker's stop event ends them."""
        return self.stop.is_set()

    @should_stop.setter
    def should_stop(self, value: bool) -> None:
        if value:
            self.stop.set()

    def get_consumers(self, consumer_cls, channel):
        return [consumer_cls(queues=[self.subscription.kombu_queue()], callbacks=[self.on_message], accept=["json"],
                             prefetch_count=self.window, on_decode_error=self.on_decode_error, no_ack=False)]

    @property
    def window(self) -> int:
        """Unacknowledged messages the broker may send ahead: a batching consumer asks for two batches, so the
        next batch is on its way while one is handled (with one, it would wait for the broker after each)."""
        return self.batch_size * 2 if self.batch is not None else self.prefetch

    def on_decode_error(self, message, exc):
        log.error("undecodable message on %s: %s", self.subscription.queue, exc)
        DEAD.labels(self.subscription.queue, "decode").inc()
        message.reject(requeue=False)

    def handled_key(self, envelope_id: str) -> str:
        return f"handled:{self.subscription.queue}:{envelope_id}"

    def on_message(self, body, message):
        try:
            envelope = envelope_from_message(body, self.subscription.contracts)
        except ValidationError as exc:
            log.error("message on %s breaks its contract: %s", self.subscription.queue, exc.messages)
            DEAD.labels(self.subscription.queue, "contract").inc()
            message.reject(requeue=False)
            return
        if not self.from_its_producer(envelope, message):
            return
        self.buffered.append((envelope, message))
        self.last_received = time.monotonic()

    def from_its_producer(self, envelope: Envelope, message) -> bool:
        """An envelope may name any producer; only the exchange it came through says who published it, since each
        service's broker user may publish to its own exchange only (services/permissions.py). The event's type
        must be the producer's too (`<producer>.…`) and the routing key it was bound by, or a service could carry
        another's event type through its own exchange under one of its own routing keys. One that fails is
        dead-lettered, never handled."""
        delivery = message.delivery_info or {}
        exchange, routing_key = delivery.get("exchange"), delivery.get("routing_key")
        if exchange == f"{envelope.producer}.events" and envelope.type.startswith(f"{envelope.producer}.") \
                and routing_key == envelope.type:
            return True
        log.error("message %s on %s (type %s, routing key %r) names producer %s but came through exchange %r; "
                  "refused", envelope.id, self.subscription.queue, envelope.type, routing_key, envelope.producer,
                  exchange)
        DEAD.labels(self.subscription.queue, "producer").inc()
        message.reject(requeue=False)
        return False

    def _flush(self) -> None:
        """Handle the buffered messages in one batch and acknowledge them; on a failure, each one alone (`_handle`,
        with its retries and dead letters), keeping the connection's heartbeats going between them (nothing else
        reads from the broker meanwhile, and a hundred retries with their backoff outlast a heartbeat). Batched
        effects are keyed by their events' ids, so no handled marks are kept for them."""
        buffered, self.buffered = self.buffered, []
        try:
            fresh = [envelope for envelope, _ in buffered if envelope.type in self.handlers]
            if fresh:
                self.batch(fresh)
            if self.fault_delay:
                time.sleep(self.fault_delay)
        except Exception:  # noqa: BLE001 - each message is then handled alone, with its own retries
            log.warning("a batch of %d on %s failed; handling each alone", len(buffered), self.subscription.queue,
                        exc_info=True)
            for envelope, message in buffered:
                self.consuming.heartbeat_check()
                with correlated(envelope.correlation_id):
                    self._handle(envelope, message)
            return
        for envelope, message in buffered:
            HANDLED.labels(self.subscription.queue, envelope.type).inc()
            message.ack()

    def _flush_each(self) -> None:
        """Handle the buffered messages one at a time, in order; the handled marks of the lot are looked up before
        and recorded after, and the handled messages then acknowledged. A message seen twice in the lot is
        handled once."""
        buffered, self.buffered = self.buffered, []
        keys = [self.handled_key(envelope.id) for envelope, _ in buffered]
        try:
            seen = once.claimed_among(keys)
        except ConnectionFailure:
            log.warning("database unreachable before handling %d messages; waiting for it", len(buffered))
            _wait_for_database()
            for _, message in buffered:
                message.requeue()
            return
        handled: list[tuple[Envelope, object]] = []
        for key, (envelope, message) in zip(keys, buffered):
            self.consuming.heartbeat_check()
            with correlated(envelope.correlation_id):
                self._handle(envelope, message, claimed=key in seen, handled=handled)
            seen.add(key)
        if handled and self.fault_delay:
            time.sleep(self.fault_delay)
        self._record_handled(handled)

    def _record_handled(self, handled: list[tuple[Envelope, object]]) -> None:
        """The marks, then the acknowledgements. A database gone meanwhile is waited for once; if the marks still
        cannot be written, the error ends this connection and the broker delivers the lot again (each effect is
        keyed by its event, so handling it again adds nothing)."""
        keys = [self.handled_key(envelope.id) for envelope, _ in handled]
        try:
            once.claim_all(keys)
        except ConnectionFailure:
            log.warning("database unreachable while marking %d messages handled; waiting for it", len(keys))
            _wait_for_database()
            once.claim_all(keys)
        for envelope, message in handled:
            HANDLED.labels(self.subscription.queue, envelope.type).inc()
            log.info("handled %s %s", envelope.type, envelope.id)
            message.ack()

    def _handle(self, envelope: Envelope, message, claimed: bool | None = None,
                handled: list | None = None) -> None:
        """One message: its effect, then its mark and acknowledgement, or with `handled` given, the message added
        to it for `_record_handled`. `claimed` is what a lookup of its mark said already."""
        queue = self.subscription.queue
        try:
            if once.is_claimed(self.handled_key(envelope.id)) if claimed is None else claimed:
                DUPLICATES.labels(queue).inc()
                message.ack()
                return
            handler = self.handlers.get(envelope.type)
            if handler is not None:
                handler(envelope)
            if handled is not None:
                handled.append((envelope, message))
                return
            if self.fault_delay:
                time.sleep(self.fault_delay)
            once.claim(self.handled_key(envelope.id))
        except ConnectionFailure:
            log.warning("database unreachable while handling %s; waiting for it before retrying", envelope.id)
            _wait_for_database()
            message.requeue()
            return
        except Exception:  # noqa: BLE001 - any failure is retried, then dead-lettered by the delivery limit
            attempts = int((message.headers or {}).get("x-delivery-count") or 0)
            log.warning("handling %s %s failed (attempt %s)", envelope.type, envelope.id, attempts + 1,
                        exc_info=True)
            RETRIED.labels(queue).inc()
            time.sleep(backoff_seconds(attempts))
            message.requeue()
            return
        HANDLED.labels(queue, envelope.type).inc()
        log.info("handled %s %s", envelope.type, envelope.id)
        message.ack()
