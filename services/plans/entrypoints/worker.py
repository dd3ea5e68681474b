"""The plans worker: relays the plans event log, counts case events toward indicators, announces the tasks of
issued plans and runs the daily deadline timer."""
from shared import worker

from services.plans.bootstrap import bootstrap
from services.plans.contracts import CONTRACTS
from services.plans.domain.commands import NoticeDeadlines, RefreshStaleRollups
from services.plans.entrypoints.consumers import handlers


def timers(bus, settings):
    return [worker.Timer("deadlines", settings.timer_interval_seconds, lambda: bus.handle(NoticeDeadlines())),
            worker.Timer("rollups", settings.timer_interval_seconds, lambda: bus.handle(RefreshStaleRollups()))]


if __name__ == "__main__":
    worker.main("plans", bootstrap, CONTRACTS, handlers, timers=timers)
