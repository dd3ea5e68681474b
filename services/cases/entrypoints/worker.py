"""The cases worker: relays the cases event log, notes the steps of alerts about cases, and notices due dates
coming near or passing."""
from shared import worker

from services.cases.bootstrap import bootstrap
from services.cases.contracts import CONTRACTS
from services.cases.domain.commands import NoticeDueDates
from services.cases.entrypoints.consumers import handlers


def timers(bus, settings):
    return [worker.Timer("due-dates", settings.timer_interval_seconds, lambda: bus.handle(NoticeDueDates()))]


if __name__ == "__main__":
    worker.main("cases", bootstrap, CONTRACTS, handlers, timers=timers)
