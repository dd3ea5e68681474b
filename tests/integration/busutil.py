"""Helpers for tests that drive the bus directly."""
from __future__ import annotations

import threading
import time
import uuid

from amqp.exceptions import NotFound
from kombu import Connection, Queue

from shared import bus
from shared.consumer import EventConsumer


def queue_messages(amqp_url: str, queue: str, limit: int = 1000) -> list[bytes]:
    """Take the raw bodies of the messages now in `queue` (the queue is the test's own)."""
    bodies = []
    with Connection(amqp_url) as connection:
        channel = connection.default_channel
        while len(bodies) < limit and (message := channel.basic_get(queue, no_ack=True)) is not None:
            bodies.append(message.body if isinstance(message.body, bytes) else message.body.encode())
    return bodies


def purge(amqp_url: str, *queues: str) -> None:
    """Empty queues of the slot's vhost that earlier tests in it may have left messages in (the tests run in
    several orders: each pytest-xdist worker takes its own share of the modules); a queue not declared yet is
    skipped."""
    with Connection(amqp_url) as connection:
        for queue in queues:
            channel = connection.channel()
            try:
                channel.queue_purge(queue)
            except NotFound:
                continue
            channel.close()


def collect(amqp_url: str, queue: str, count: int, timeout: float = 30.0) -> list[bytes]:
    """Wait until `count` messages have been taken from `queue`."""
    deadline = time.monotonic() + timeout
    bodies: list[bytes] = []
    while len(bodies) < count and time.monotonic() < deadline:
        bodies += queue_messages(amqp_url, queue)
        time.sleep(0.2)
    return bodies


def bind_probe(amqp_url: str, service: str, routing_key: str = "#") -> str:
    name = f"probe.{uuid.uuid4().hex[:8]}"
    with Connection(amqp_url) as connection:
        channel = connection.default_channel
        exchange = bus.events_exchange(service)(channel)
        exchange.declare()
        Queue(name, exchange=exchange, routing_key=routing_key, durable=True,
              queue_arguments={"x-queue-type": "quorum"})(channel).declare()
    return name


class RunningConsumer:
    def __init__(self, amqp_url, subscription, handlers, heartbeat=10, **kwargs):
        self.connection = Connection(amqp_url, heartbeat=heartbeat)
        with Connection(amqp_url) as declaring:
            bus.declare(declaring, [], [subscription])
        self.consumer = EventConsumer(self.connection, subscription, handlers, **kwargs)
        self.thread = threading.Thread(target=self.consumer.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.consumer.should_stop = True
        self.thread.join(10)
        self.connection.release()
