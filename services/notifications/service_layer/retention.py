"""Retention. The delivery log: a finished delivery keeps its sealed address, rendered content and attempts for
`delivery_log_days`, then goes; the accounting of disclosures (which alert reached whom, by which channel) stays.
The resolving events kept for alerts raised after them (domain/resolutions.py): RESOLUTIONS_KEPT after they were
kept, far longer than a redelivered or parked event waits."""
from __future__ import annotations

from datetime import timedelta

from shared.clock import Clock

from services.notifications.domain.commands import ForgetResolutions, PurgeDeliveryLog
from services.notifications.service_layer.ports import DeliveryQueue, Resolutions

RESOLUTIONS_KEPT = timedelta(days=30)


def purge_delivery_log(command: PurgeDeliveryLog, principal, delivery_queue: DeliveryQueue, clock: Clock,
                       delivery_log_days: int) -> int:
    return delivery_queue.purge_finished(clock.now() - timedelta(days=delivery_log_days))


def forget_resolutions(command: ForgetResolutions, principal, resolutions: Resolutions, clock: Clock) -> int:
    return resolutions.forget_before(clock.now() - RESOLUTIONS_KEPT)


HANDLERS = {PurgeDeliveryLog: purge_delivery_log, ForgetResolutions: forget_resolutions}
