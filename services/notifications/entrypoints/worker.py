"""The notifications worker: relays its event log, raises alerts and keeps the unit directory; its timers make
the deliveries that are due, escalate unacknowledged alerts (also at the moment the next one falls due), send the
daily digests and remove the finished deliveries past the delivery log's retention and the resolving events kept
past theirs."""
from shared import worker

from services.notifications.adapters.config import NotifySettings
from services.notifications.bootstrap import bootstrap
from services.notifications.contracts import CONTRACTS
from services.notifications.domain.commands import (DeliverDue, EscalateDueAlerts, ForgetResolutions,
                                                    NextEscalationDue, PurgeDeliveryLog, SendDigests)
from services.notifications.entrypoints.consumers import handlers


def timers(bus, settings):
    notify = NotifySettings.from_env()
    return [worker.Timer("deliveries", notify.delivery_poll_seconds, lambda: bus.handle(DeliverDue())),
            worker.Timer("escalations", notify.escalation_poll_seconds, lambda: bus.handle(EscalateDueAlerts()),
                         next_due_in=lambda: bus.handle(NextEscalationDue())),
            worker.Timer("digests", settings.timer_interval_seconds, lambda: bus.handle(SendDigests())),
            worker.Timer("delivery-log", 3600.0, lambda: bus.handle(PurgeDeliveryLog())),
            worker.Timer("resolutions", 3600.0, lambda: bus.handle(ForgetResolutions()))]


if __name__ == "__main__":
    worker.main("notifications", bootstrap, CONTRACTS, handlers, timers=timers)
