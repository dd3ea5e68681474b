"""The notifications worker: relays its event log, raises alerts and keeps the unit directory."""
from shared import worker

from services.notifications.bootstrap import bootstrap
from services.notifications.contracts import CONTRACTS
from services.notifications.entrypoints.consumers import handlers
from services.notifications.domain.commands import SendDigests


def timers(bus, settings):
    return [worker.Timer("digests", settings.timer_interval_seconds, lambda: bus.handle(SendDigests()))]


if __name__ == "__main__":
    worker.main("notifications", bootstrap, CONTRACTS, handlers, timers=timers)
