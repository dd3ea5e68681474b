"""Making the deliveries that are due: claim the attempt, send by the channel, record what the provider answered,
retry later with backoff or park it for a person to resend. Deliveries with the same group key (alerts about one
subject within a rule's window) go out as one message."""
from __future__ import annotations

import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from shared import areas
from shared.clock import Clock
from shared.errors import Conflict, NotAuthorised, NotFound

from services.notifications.domain.commands import DeliverDue, ResendDelivery
from services.notifications.domain.deliveries import CANCELLED, PARKED, SENT, Delivery, RetryPolicy, \
    after_attempt, due, without_address
from services.notifications.domain.messages import Outcome
from services.notifications.domain.queries import DeadLetters, DeliveryDetail
from services.notifications.service_layer.ports import Channels, DeliveryMetrics, DeliveryStore, Disclosures, \
    Endpoints, MessageContent

log = logging.getLogger(__name__)
OPERATORS = ("admin",)


class Dispatcher:
    """One per worker: `worker` names it in the attempts it claims; `parallel` sends at once (a slow receiver
    holds one sender, not the queue)."""

    def __init__(self, store: DeliveryStore, channels: Channels, content: MessageContent, endpoints: Endpoints,
                 disclosures: Disclosures, metrics: DeliveryMetrics, clock: Clock, retry: RetryPolicy,
                 worker: str, parallel: int = 8):
        self.store, self.channels, self.content, self.endpoints = store, channels, content, endpoints
        self.disclosures, self.metrics, self.clock, self.retry = disclosures, metrics, clock, retry
        self.worker = worker
        self.pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="deliver")

    def run(self) -> int:
        now = self.clock.now()
        groups: dict[str, list[Delivery]] = defaultdict(list)
        for delivery in self.store.queued(now):
            if due(delivery, now):
                groups[delivery.group_key or delivery.id].append(delivery)
        return sum(self.pool.map(self._send_group, groups.values()))

    def _send_group(self, group: list[Delivery]) -> int:
        claimed: list[Delivery] = []
        try:
            now = self.clock.now()
            claimed = [d for d in group if self.store.claim_attempt(d, self.worker, now)]
            if not claimed:
                return 0
            outcome = self._outcome(claimed)
            for delivery in claimed:
                self._record(delivery, outcome)
            return len(claimed)
        except Exception:  # noqa: BLE001 - one broken delivery must not stop the others; its lease expires
            log.exception("delivery of %s failed", [d.id for d in group])
            return 0

    def _outcome(self, claimed: list[Delivery]) -> Outcome:
        """What the attempt came to. A message that cannot be built fails for good (a template that does not
        render will not render better next time; an unreachable store is tried again): the delivery is parked in
        the dead-letter list, not retried at every lease."""
        try:
            message = self.content.message(claimed)
        except Exception as error:  # noqa: BLE001 - recorded as the attempt's outcome
            log.exception("the message of %s could not be built", [d.id for d in claimed])
            return Outcome("failed", f"the message could not be built: {type(error).__name__}: {error}",
                           permanent=not isinstance(error, OSError))
        if message is None:
            return Outcome("cancelled", "every alert of the delivery was resolved")
        return self.channels.get(claimed[0].channel).send(message)

    def _record(self, delivery: Delivery, outcome: Outcome) -> None:
        """The disclosure before the outcome: a crash between the two repeats the (keyed) disclosure, never
        loses it. The provider's answer is kept with the address masked."""
        now = self.clock.now()
        outcome = replace(outcome, answer=without_address(outcome.answer, delivery.channel, delivery.address))
        if outcome.status == "cancelled":
            delivery.status, delivery.last_answer = CANCELLED, outcome.answer
        else:
            after_attempt(delivery, outcome, now, self.retry)
        if delivery.status == SENT and delivery.names_case:
            for alert_id in delivery.alert_ids:
                self.disclosures.record(delivery.subject_id, delivery.target, delivery.channel, delivery.rule_id,
                                        alert_id, delivery.id, now)
        self.store.record_outcome(delivery, outcome, now)
        self.metrics.count(delivery.channel, delivery.status if delivery.status != "queued" else "retrying")
        if outcome.status == "gone" and delivery.target.startswith("endpoint:"):
            self.endpoints.disable(delivery.target.split(":", 1)[1], outcome.answer)


def deliver_due(command: DeliverDue, principal, dispatcher: Dispatcher) -> int:
    return dispatcher.run()


def _covered_units(principal, directory, units: set[str]) -> set[str]:
    """Those of `units` whose areas lie within the reader's own (an admin of province 56: the units of its
    communes)."""
    if not units:
        return set()
    return {e.unit_code for e in directory.named(sorted(units)) if any(areas.within_any(principal.areas, covered)
                                                                       for covered in e.covers)}


def _readable(delivery: Delivery, units: set[str]) -> bool:
    """A delivery planned before deliveries named their unit is left to every admin."""
    return delivery.unit is None or delivery.unit in units


def _scoped(delivery_id: str, principal, delivery_queue: DeliveryStore, directory) -> Delivery:
    delivery = delivery_queue.get(delivery_id)
    if delivery is None or not _readable(delivery, _covered_units(principal, directory, {delivery.unit} - {None})):
        raise NotFound(f"no delivery {delivery_id} in your areas")
    return delivery


def resend_delivery(command: ResendDelivery, principal, delivery_queue: DeliveryStore, clock: Clock,
                    directory) -> Delivery:
    """A person sends a parked delivery again, after fixing what made it fail (an address, an endpoint)."""
    if not principal.has_role(*OPERATORS):
        raise NotAuthorised("only an admin resends deliveries")
    delivery = _scoped(command.delivery_id, principal, delivery_queue, directory)
    if delivery.status != PARKED:
        raise Conflict(f"the delivery is {delivery.status}: only a parked delivery is resent")
    delivery_queue.requeue(delivery, clock.now())
    return delivery_queue.get(command.delivery_id)


def dead_letters(query: DeadLetters, principal, delivery_queue: DeliveryStore,
                 directory) -> tuple[list[Delivery], int]:
    """The parked deliveries of the units in the reader's areas: read by the indexed status, narrowed here."""
    if not principal.has_role(*OPERATORS):
        raise NotAuthorised("only an admin reads the dead-letter list")
    parked = delivery_queue.every_with_status(PARKED)
    units = _covered_units(principal, directory, {d.unit for d in parked} - {None})
    readable = [d for d in parked if _readable(d, units)]
    return readable[query.first:query.first + query.limit], len(readable)


def delivery_detail(query: DeliveryDetail, principal, delivery_queue: DeliveryStore,
                    directory) -> tuple[Delivery, list[dict]]:
    """A delivery with each attempt and what the provider answered."""
    if not principal.has_role(*OPERATORS):
        raise NotAuthorised("only an admin reads deliveries")
    delivery = _scoped(query.delivery_id, principal, delivery_queue, directory)
    return delivery, delivery_queue.attempts(delivery.id)


HANDLERS = {DeliverDue: deliver_due, ResendDelivery: resend_delivery, DeadLetters: dead_letters,
            DeliveryDetail: delivery_detail}
