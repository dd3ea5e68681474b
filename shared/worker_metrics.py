"""What a worker tells Prometheus beyond the relay's and consumers' own counters: how far behind its outbox is, what
waits in its dead-letter queues, whether its queues have consumers, that it is alive, and how its timers ran.

The gauges are sampled every SAMPLE_SECONDS by one thread of the worker. Under PROMETHEUS_MULTIPROC_DIR (the local
system: an API's /metrics also reads its worker's files) a killed worker's files stay behind, so the gauges keep
the value written most recently across processes (a restarted worker's fresh sample wins over a dead one's last),
and the heartbeat keeps the highest: a heartbeat that stops growing means no worker of the service is alive.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime, timezone

from prometheus_client import CollectorRegistry, Counter, Gauge, multiprocess, start_http_server

from shared.bus import Subscription
from shared.clock import aware
from shared.eventstore import PendingEvent, pending_lots

log = logging.getLogger(__name__)
SAMPLE_SECONDS = 5.0

OUTBOX_PENDING = Gauge("outbox_pending", "Events in the outbox the broker has not yet confirmed", ["service"],
                       multiprocess_mode="mostrecent")
OUTBOX_OLDEST_AGE = Gauge("outbox_oldest_age_seconds", "Age of the oldest event waiting in the outbox (0 when empty)",
                          ["service"], multiprocess_mode="mostrecent")
DEAD_LETTERS = Gauge("dead_letter_messages", "Messages parked in a queue's dead-letter queue", ["queue"],
                     multiprocess_mode="mostrecent")
QUEUE_CONSUMERS = Gauge("queue_consumers", "Consumers the broker counts on a queue", ["queue"],
                        multiprocess_mode="mostrecent")
QUEUE_MESSAGES = Gauge("queue_messages", "Messages ready in a queue", ["queue"], multiprocess_mode="mostrecent")
HEARTBEAT = Gauge("worker_heartbeat_timestamp_seconds", "When a worker of the service last sampled its metrics",
                  ["service"], multiprocess_mode="max")
TIMER_RUNS = Counter("worker_timer_runs_total", "Timer runs by outcome (ok, failed)", ["timer", "outcome"])


def count_timer_run(timer: str, ok: bool) -> None:
    TIMER_RUNS.labels(timer, "ok" if ok else "failed").inc()


def sample_outbox(service: str, now: datetime | None = None) -> None:
    """Outbox depth and age, counting each event a lot lists."""
    now = now or datetime.now(timezone.utc)
    lots = pending_lots()
    entries = PendingEvent.objects.count()
    oldest = PendingEvent.objects.order_by("created_at").only("created_at").first() if entries else None
    since = [aware(lot.created_at) for lot in lots] + ([aware(oldest.created_at)] if oldest else [])
    OUTBOX_PENDING.labels(service).set(entries + sum(len(lot.events) for lot in lots))
    OUTBOX_OLDEST_AGE.labels(service).set(max(0.0, (now - min(since)).total_seconds()) if since else 0.0)


def sample_queues(channel, subscriptions: list[Subscription]) -> None:
    """Passive declares: they read the broker's counts and create nothing."""
    for subscription in subscriptions:
        _, messages, consumers = channel.queue_declare(queue=subscription.queue, passive=True)
        QUEUE_MESSAGES.labels(subscription.queue).set(messages)
        QUEUE_CONSUMERS.labels(subscription.queue).set(consumers)
        _, dead, _ = channel.queue_declare(queue=subscription.dead_letter_name, passive=True)
        DEAD_LETTERS.labels(subscription.queue).set(dead)


class Sampler:
    """Samples until `stop`; a database or broker outage skips that part of a sample, never the heartbeat."""

    def __init__(self, service: str, subscriptions: list[Subscription], connect, every: float = SAMPLE_SECONDS):
        self.service, self.subscriptions, self.connect, self.every = service, subscriptions, connect, every
        self.connection = None

    def sample(self) -> None:
        HEARTBEAT.labels(self.service).set(time.time())
        try:
            sample_outbox(self.service)
        except Exception:  # noqa: BLE001 - the outbox is sampled again next time
            log.debug("cannot sample the outbox", exc_info=True)
        if self.subscriptions:
            try:
                if self.connection is None:
                    self.connection = self.connect()
                sample_queues(self.connection.default_channel, self.subscriptions)
            except Exception:  # noqa: BLE001 - reconnect on the next sample
                log.debug("cannot sample the queues", exc_info=True)
                self.close()

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.release()
            except Exception:  # noqa: BLE001 - it is being dropped anyway
                pass
            self.connection = None

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.sample()
            stop.wait(self.every)
        self.close()


def serve_if_asked(env=None) -> int | None:
    """WORKER_METRICS_PORT: the worker answers /metrics itself (a container of its own, where no API shares its
    PROMETHEUS_MULTIPROC_DIR), on WORKER_METRICS_ADDR, loopback unless told otherwise. Returns the port."""
    env = os.environ if env is None else env
    port = env.get("WORKER_METRICS_PORT")
    if not port:
        return None
    registry = None
    if env.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    server, _ = start_http_server(int(port), addr=env.get("WORKER_METRICS_ADDR", "127.0.0.1"),
                                  **({"registry": registry} if registry else {}))
    return server.server_port
