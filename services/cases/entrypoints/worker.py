"""The cases worker: relays the cases event log and notices due dates coming near or passing."""
from shared import worker

from services.cases.bootstrap import bootstrap


def timers(service, settings):
    return [worker.Timer("due-dates", settings.timer_interval_seconds, service.notice_due_dates)]


if __name__ == "__main__":
    worker.main("cases", bootstrap, timers=timers)
