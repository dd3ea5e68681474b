"""The cases worker: relays the cases event log, notes the steps of alerts about cases and the units of the
directory, notices due dates coming near or passing, and erases people past retention."""
from shared import worker

from services.cases.bootstrap import bootstrap
from services.cases.contracts import CONTRACTS
from services.cases.domain.commands import NoticeDueDates, PurgeExpired
from services.cases.entrypoints.consumers import handlers


RETENTION_EVERY_SECONDS = 6 * 3600.0


def timers(bus, settings):
    return [worker.Timer("due-dates", settings.timer_interval_seconds, lambda: bus.handle(NoticeDueDates())),
            worker.Timer("retention", RETENTION_EVERY_SECONDS, lambda: bus.handle(PurgeExpired()))]


if __name__ == "__main__":
    worker.main("cases", bootstrap, CONTRACTS, handlers, timers=timers)
