"""A service's worker process: the outbox relay, its consumers and its timers, each on a thread, until SIGTERM."""
from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from shared import bus, eventstore, idempotency, runtime, worker_metrics
from shared.bus import ConfirmingPublisher, Subscription
from shared.consumer import EventConsumer, Handler
from shared.contracts import Contracts
from shared.relay import Relay
from shared.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Timer:
    """A periodic job; it must be safe to run from several workers at once (see shared.once). `next_due_in`, when
    given, answers the seconds until the earliest thing the job knows falls due (None: nothing known): the job then
    also runs at that moment, not only at its rate."""
    name: str
    every_seconds: float
    run: Callable[[], int]
    next_due_in: Callable[[], float | None] | None = None


WAKE_AFTER_DUE_SECONDS = 0.005
"""A wake for a due time comes this much after it: a run that starts just before the moment finds nothing due."""


@dataclass
class WorkerSpec:
    """`contracts` are the service's own: its relay publishes only their fields."""
    settings: Settings
    contracts: Contracts
    subscriptions: dict[Subscription, dict[str, Handler]] = field(default_factory=dict)
    timers: list[Timer] = field(default_factory=list)


def _consume(spec: WorkerSpec, subscription: Subscription, handlers, stop: threading.Event) -> None:
    settings = spec.settings
    while not stop.is_set():
        try:
            with runtime.broker_connection(settings) as connection:
                EventConsumer(connection, subscription, handlers, prefetch=settings.consumer_prefetch,
                              batch_size=settings.consumer_batch,
                              fault_delay_after_effect_ms=settings.fault_delay_after_effect_ms, stop=stop).run()
        except Exception:  # noqa: BLE001 - reconnect after any broker failure
            log.warning("consumer %s stopped; reconnecting", subscription.queue, exc_info=True)
            stop.wait(1.0)


def _tick(timer: Timer, stop: threading.Event) -> None:
    """At a fixed rate: a run starts every `every_seconds` (at once after one that took longer), so what falls due
    is acted on within one interval however long the runs before took; and at the due time `next_due_in` names,
    if that comes first."""
    scheduled = time.monotonic() + timer.every_seconds
    wake = scheduled
    while not stop.wait(max(0.0, wake - time.monotonic())):
        if time.monotonic() >= scheduled:
            scheduled = max(scheduled + timer.every_seconds, time.monotonic())
        try:
            timer.run()
        except Exception:  # noqa: BLE001 - a timer failure is retried on the next tick
            worker_metrics.count_timer_run(timer.name, ok=False)
            log.warning("timer %s failed", timer.name, exc_info=True)
        else:
            worker_metrics.count_timer_run(timer.name, ok=True)
        wake = min(scheduled, _next_due(timer))


def _next_due(timer: Timer) -> float:
    """The monotonic time of the job's next known due moment, or infinity (also for one already past: the run just
    made was for it, and the fixed rate retries what it could not do)."""
    if timer.next_due_in is None:
        return float("inf")
    try:
        seconds = timer.next_due_in()
    except Exception:  # noqa: BLE001 - the fixed rate still runs the job
        log.warning("timer %s could not tell its next due time", timer.name, exc_info=True)
        return float("inf")
    if seconds is None or seconds <= 0:
        return float("inf")
    return time.monotonic() + seconds + WAKE_AFTER_DUE_SECONDS


def _declare(spec: WorkerSpec, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            with runtime.broker_connection(spec.settings) as connection:
                bus.declare(connection, [spec.settings.service], list(spec.subscriptions))
            return
        except Exception:  # noqa: BLE001 - the broker may not be up yet
            log.warning("cannot declare the broker topology yet; retrying", exc_info=True)
            stop.wait(2.0)


MECHANISM_TIMERS = [Timer("idempotency-expiry", 3600.0, idempotency.purge_expired)]
"""Every service's worker also removes the Idempotency-Key answers older than a day."""


def run(spec: WorkerSpec) -> None:
    settings = spec.settings
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    _declare(spec, stop)
    publisher = ConfirmingPublisher(runtime.broker_connection(settings),
                                    confirm_timeout=settings.confirm_timeout_seconds)
    relay = Relay(settings.service, publisher, spec.contracts, grace_seconds=settings.relay_grace_seconds)
    eventstore.relay_directly(relay.hint)
    threads = [threading.Thread(target=relay.run_forever, args=(stop, settings.relay_poll_seconds), name="relay")]
    threads += [threading.Thread(target=_consume, args=(spec, s, h, stop), name=f"{s.queue}-{number}")
                for s, h in spec.subscriptions.items() for number in range(1, s.consumers + 1)]
    threads += [threading.Thread(target=_tick, args=(t, stop), name=t.name) for t in spec.timers]
    sampler = worker_metrics.Sampler(settings.service, list(spec.subscriptions),
                                     lambda: bus.connect(settings.amqp_url, heartbeat=0, ca_file=settings.amqp_ca_file))
    threads.append(threading.Thread(target=sampler.run_forever, args=(stop,), name="metrics"))
    worker_metrics.serve_if_asked()
    for thread in threads:
        thread.start()
    log.info("worker running: relay, %d consumers, %d timers", sum(s.consumers for s in spec.subscriptions),
             len(spec.timers))
    while not stop.wait(0.5):
        pass
    for thread in threads:
        thread.join(timeout=10)
    publisher.reset()


def main(service: str, bootstrap, contracts: Contracts, subscriptions=lambda service_layer: {},
         timers=lambda service_layer, s: []) -> None:
    """Entry point of `python -m services.<service>.entrypoints.worker`."""
    from shared.logs import configure_logging

    settings = Settings.from_env(service)
    configure_logging(f"{service}-worker", settings.log_level)
    service_layer = bootstrap(settings)
    run(WorkerSpec(settings=settings, contracts=contracts, subscriptions=subscriptions(service_layer),
                   timers=[*timers(service_layer, settings), *MECHANISM_TIMERS]))
