"""RabbitMQ topology and publishing with kombu (DESIGN.md section 4).

One durable topic exchange per producing service; each consumer owns quorum queues with a delivery limit and a
dead-letter exchange and queue both named "<queue>.dead", so a poison message is parked, never dropped.
"""
from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

from amqp.exceptions import NotFound
from kombu import Connection, Exchange, Producer, Queue

log = logging.getLogger(__name__)


def events_exchange(service: str, passive: bool = False) -> Exchange:
    """`passive` only checks that the exchange exists: a consumer binds to other services' exchanges, which its
    broker user may read but not declare (services/permissions.py)."""
    return Exchange(f"{service}.events", type="topic", durable=True, passive=passive)


@dataclass(frozen=True)
class Subscription:
    """A consumer's queue, the (service, routing key) pairs bound to it, and the producers' contracts its
    messages are validated with."""
    queue: str
    bindings: tuple[tuple[str, str], ...]
    contracts: Mapping = field(default_factory=dict, hash=False, compare=False, repr=False)
    delivery_limit: int = 5
    single_active_consumer: bool = False
    """One consumer at a time of all the workers': for a projection whose writes must not race (the broker hands
    the queue to another worker when that one goes)."""
    consumers: int = 1
    """How many consumers each worker runs on the queue, each on its thread with its own batches: more than one
    only where the handlers give the same result whatever order the messages are taken in."""

    def __post_init__(self):
        if self.consumers < 1 or (self.single_active_consumer and self.consumers != 1):
            raise ValueError(f"{self.queue}: {self.consumers} consumers")

    @property
    def dead_letter_name(self) -> str:
        return f"{self.queue}.dead"

    def dead_letter_exchange(self) -> Exchange:
        return Exchange(self.dead_letter_name, type="fanout", durable=True)

    def dead_letter_queue(self) -> Queue:
        return Queue(self.dead_letter_name, exchange=self.dead_letter_exchange(), routing_key="#", durable=True,
                     queue_arguments={"x-queue-type": "quorum"})

    def queue_arguments(self) -> dict:
        return {"x-queue-type": "quorum", "x-delivery-limit": self.delivery_limit,
                "x-dead-letter-exchange": self.dead_letter_name,
                **({"x-single-active-consumer": True} if self.single_active_consumer else {})}

    def kombu_queue(self) -> Queue:
        from kombu import binding
        return Queue(self.queue, durable=True, queue_arguments=self.queue_arguments(),
                     bindings=[binding(events_exchange(service, passive=True), routing_key=key)
                               for service, key in self.bindings])


def declare(connection: Connection, producers: list[str], subscriptions: list[Subscription]) -> None:
    """Declare the `producers`' exchanges, queues and dead-letter queues; safe to run again and from every process.
    Another service's exchange a queue is bound to is declared only if it does not exist yet, which a service's own
    broker user may not do (services/permissions.py): it fails, to retry once the topology or that service's
    worker has declared it."""
    channel = connection.default_channel
    for service in producers:
        events_exchange(service)(channel).declare()
    for subscription in subscriptions:
        for service, _ in subscription.bindings:
            if service not in producers and not _exists(connection, events_exchange(service, passive=True)):
                events_exchange(service)(channel).declare()
        subscription.dead_letter_exchange()(channel).declare()
        subscription.dead_letter_queue()(channel).declare()
        subscription.kombu_queue()(channel).declare()


def tls_options(url: str, ca_file: str | None = None) -> dict | None:
    """An amqps:// broker's certificate is checked against `ca_file` (else the system's authorities) and must name
    the host connected to; kombu's own default for amqps checks no host name. None for plain amqp://."""
    parsed = urlparse(url)
    if parsed.scheme != "amqps":
        return None
    options = {"cert_reqs": ssl.CERT_REQUIRED, "server_hostname": parsed.hostname}
    if ca_file:
        options["ca_certs"] = ca_file
    return options


def _exists(connection: Connection, exchange: Exchange) -> bool:
    """A passive declare, which needs no permission, on a channel of its own: a missing exchange closes it."""
    channel = connection.channel()
    try:
        exchange(channel).declare(passive=True)
        return True
    except NotFound:
        return False
    finally:
        try:
            channel.close()
        except Exception:  # noqa: BLE001 - the broker has closed it already
            pass


def connect(url: str, heartbeat: int = 30, ca_file: str | None = None) -> Connection:
    options = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
    return Connection(url, heartbeat=heartbeat, connect_timeout=3, transport_options=options,
                      ssl=tls_options(url, ca_file) or False)


@dataclass(frozen=True)
class Outgoing:
    routing_key: str
    body: dict
    message_id: str
    headers: dict = field(default_factory=dict)


class Unconfirmed(Exception):
    """The broker nacked a message of a batch, or its confirms did not all come in time: none of the batch counts
    as published (some may have been; consumers' idempotency absorbs publishing them again)."""


@dataclass
class ConfirmingPublisher:
    """Publishes persistent JSON messages, many at a time, and waits for the broker's confirms of all of them,
    with a timeout: one wait for a batch instead of a round trip a message. Needs a connection opened without
    kombu's `confirm_publish` (which would wait after each message); it selects confirms on its channel itself."""
    connection: Connection
    confirm_timeout: float = 5.0
    _returned: set = field(default_factory=set)
    _producer: Producer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _published: int = 0
    _unconfirmed: set = field(default_factory=set)
    _nacked: bool = False

    def __post_init__(self):
        if (self.connection.transport_options or {}).get("confirm_publish"):
            raise ValueError("ConfirmingPublisher waits for confirms itself: open its connection without confirm")

    def _on_return(self, exception, exchange, routing_key, message):
        self._returned.add(message.properties.get("message_id"))

    def _on_ack(self, delivery_tag, multiple):
        if multiple:
            self._unconfirmed = {tag for tag in self._unconfirmed if tag > delivery_tag}
        else:
            self._unconfirmed.discard(delivery_tag)

    def _on_nack(self, delivery_tag, multiple):
        self._nacked = True
        self._on_ack(delivery_tag, multiple)

    def producer(self) -> Producer:
        if self._producer is None:
            channel = self.connection.default_channel
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            self._producer = Producer(channel, on_return=self._on_return)
            self._published, self._unconfirmed, self._nacked = 0, set(), False
        return self._producer

    def reset(self) -> None:
        """Drop a connection that failed; the next publish opens a new one."""
        self._producer = None
        broken, self.connection = self.connection, self.connection.clone()
        try:
            broken.close()
        except Exception:  # noqa: BLE001 - closing a broken connection may fail in many ways
            pass

    def publish_many(self, exchange: Exchange, messages: list[Outgoing]) -> set[str]:
        """Publish all, then wait until the broker has confirmed every one; answers the ids of those it returned
        as unroutable (no queue bound). Raises Unconfirmed on a nack or when the confirms take longer than
        `confirm_timeout`, which also bounds each write (a broker that stops reading, as in a memory alarm, does
        not hang the caller). After a failure the connection is dropped: the next call opens a fresh one, whose
        channel numbers its messages from 1 again."""
        with self._lock:
            ids = {m.message_id for m in messages}
            self._returned -= ids
            self._nacked = False
            deadline = time.monotonic() + self.confirm_timeout
            try:
                producer = self.producer()
                for message in messages:
                    producer.publish(message.body, exchange=exchange, routing_key=message.routing_key,
                                     serializer="json", delivery_mode=2, mandatory=True,
                                     message_id=message.message_id, headers=message.headers, declare=[exchange],
                                     timeout=max(0.1, deadline - time.monotonic()))
                    self._published += 1
                    self._unconfirmed.add(self._published)
                self._await_confirms(deadline)
            except Exception:
                self.reset()
                raise
            returned = ids & self._returned
            self._returned -= ids
            return returned

    def _await_confirms(self, deadline: float) -> None:
        while self._unconfirmed and not self._nacked:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Unconfirmed(f"{len(self._unconfirmed)} messages unconfirmed after {self.confirm_timeout} s")
            try:
                self.connection.drain_events(timeout=remaining)
            except socket.timeout:
                continue
        if self._nacked:
            raise Unconfirmed("the broker nacked a message")

    def publish(self, exchange: Exchange, routing_key: str, body: dict, message_id: str,
                headers: dict | None = None) -> bool:
        """Publish one with confirm; False when the broker returned it as unroutable."""
        return not self.publish_many(exchange, [Outgoing(routing_key, body, message_id, headers or {})])
