"""The delivery log's retention: a finished delivery keeps its sealed address, rendered content and attempts for
`delivery_log_days`, then goes; the accounting of disclosures (which alert reached whom, by which channel) stays."""
from __future__ import annotations

from datetime import timedelta

from shared.clock import Clock

from services.notifications.domain.commands import PurgeDeliveryLog
from services.notifications.service_layer.ports import DeliveryQueue


def purge_delivery_log(command: PurgeDeliveryLog, principal, delivery_queue: DeliveryQueue, clock: Clock,
                       delivery_log_days: int) -> int:
    return delivery_queue.purge_finished(clock.now() - timedelta(days=delivery_log_days))


HANDLERS = {PurgeDeliveryLog: purge_delivery_log}
