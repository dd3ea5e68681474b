"""RabbitMQ topology and publishing with kombu (DESIGN.md section 4).

One durable topic exchange per producing service; each consumer owns quorum queues with a delivery limit and a
dead-letter exchange and queue both named "<queue>.dead", so a poison message is parked, never dropped.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from kombu import Connection, Exchange, Producer, Queue

log = logging.getLogger(__name__)


def events_exchange(service: str) -> Exchange:
    return Exchange(f"{service}.events", type="topic", durable=True)


@dataclass(frozen=True)
class Subscription:
    """A consumer's queue, the (service, routing key) pairs bound to it, and the producers' contracts its
    messages are validated with."""
    queue: str
    bindings: tuple[tuple[str, str], ...]
    contracts: Mapping = field(default_factory=dict, hash=False, compare=False, repr=False)
    delivery_limit: int = 5

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
                "x-dead-letter-exchange": self.dead_letter_name}

    def kombu_queue(self) -> Queue:
        from kombu import binding
        return Queue(self.queue, durable=True, queue_arguments=self.queue_arguments(),
                     bindings=[binding(events_exchange(service), routing_key=key) for service, key in self.bindings])


def declare(connection: Connection, producers: list[str], subscriptions: list[Subscription]) -> None:
    """Declare exchanges, queues and dead-letter queues; safe to run again and from every process."""
    channel = connection.default_channel
    for service in producers:
        events_exchange(service)(channel).declare()
    for subscription in subscriptions:
        for service, _ in subscription.bindings:
            events_exchange(service)(channel).declare()
        subscription.dead_letter_exchange()(channel).declare()
        subscription.dead_letter_queue()(channel).declare()
        subscription.kombu_queue()(channel).declare()


def connect(url: str, heartbeat: int = 30, confirm: bool = False) -> Connection:
    options = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
    if confirm:
        options["confirm_publish"] = True
    return Connection(url, heartbeat=heartbeat, connect_timeout=3, transport_options=options)


class Unroutable(Exception):
    """The broker returned a mandatory message: no queue is bound for its routing key."""


@dataclass
class ConfirmingPublisher:
    """Publishes persistent JSON messages and waits for the broker's confirm, with a timeout."""
    connection: Connection
    confirm_timeout: float = 5.0
    _returned: set = field(default_factory=set)
    _producer: Producer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _on_return(self, exception, exchange, routing_key, message):
        self._returned.add(message.properties.get("message_id"))

    def producer(self) -> Producer:
        if self._producer is None:
            self._producer = Producer(self.connection.default_channel, on_return=self._on_return)
        return self._producer

    def reset(self) -> None:
        """Drop a connection that failed; the next publish opens a new one."""
        self._producer = None
        broken, self.connection = self.connection, self.connection.clone()
        try:
            broken.close()
        except Exception:  # noqa: BLE001 - closing a broken connection may fail in many ways
            pass

    def publish(self, exchange: Exchange, routing_key: str, body: dict, message_id: str,
                headers: dict | None = None) -> bool:
        """Publish with confirm; False when the broker returned the message as unroutable."""
        with self._lock:
            self._returned.discard(message_id)
            self.producer().publish(
                body, exchange=exchange, routing_key=routing_key, serializer="json", delivery_mode=2,
                mandatory=True, message_id=message_id, headers=headers or {}, declare=[exchange],
                confirm_timeout=self.confirm_timeout, timeout=self.confirm_timeout)
            return message_id not in self._returned
