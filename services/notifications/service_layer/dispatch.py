"""Making the deliveries that are due: claim the attempt, send by the channel, record what the provider answered,
retry later with backoff or park it for a person to resend. Deliveries with the same group key (alerts about one
subject within a rule's window) go out as one message."""
from __future__ import annotations

import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from shared.clock import Clock
from shared.errors import Conflict, NotAuthorised, NotFound

from services.notifications.domain.commands import DeliverDue, ResendDelivery
from services.notifications.domain.deliveries import CANCELLED, PARKED, SENT, Delivery, RetryPolicy, \
    after_attempt, due
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
        for delivery in self.store.queued():
            if due(delivery, now):
                groups[delivery.group_key or delivery.id].append(delivery)
        return sum(self.pool.map(self._send_group, groups.values()))

    def _send_group(self, group: list[Delivery]) -> int:
        try:
            now = self.clock.now()
            claimed = [d for d in group if self.store.claim_attempt(d, self.worker, now)]
            if not claimed:
                return 0
            message = self.content.message(claimed)
            outcome = (self.channels.get(claimed[0].channel).send(message) if message is not None
                       else Outcome("cancelled", "every alert of the delivery was resolved"))
            for delivery in claimed:
                self._record(delivery, outcome)
            return len(claimed)
        except Exception:  # noqa: BLE001 - one broken delivery must not stop the others; its lease expires
            log.exception("delivery of %s failed", [d.id for d in group])
            return 0

    def _record(self, delivery: Delivery, outcome: Outcome) -> None:
        now = self.clock.now()
        if outcome.status == "cancelled":
            delivery.status, delivery.last_answer = CANCELLED, outcome.answer
        else:
            after_attempt(delivery, outcome, now, self.retry)
        self.store.record_outcome(delivery, outcome, now)
        self.metrics.count(delivery.channel, delivery.status if delivery.status != "queued" else "retrying")
        if delivery.status == SENT and delivery.names_case:
            for alert_id in delivery.alert_ids:
                self.disclosures.record(delivery.subject_id, delivery.target, delivery.channel, delivery.rule_id,
                                        alert_id, delivery.id, now)
        if outcome.status == "gone" and delivery.target.startswith("endpoint:"):
            self.endpoints.disable(delivery.target.split(":", 1)[1], outcome.answer)


def deliver_due(command: DeliverDue, principal, dispatcher: Dispatcher) -> int:
    return dispatcher.run()


def resend_delivery(command: ResendDelivery, principal, delivery_queue: DeliveryStore, clock: Clock) -> Delivery:
    """A person sends a parked delivery again, after fixing what made it fail (an address, an endpoint)."""
    if not principal.has_role(*OPERATORS):
        raise NotAuthorised("only an admin resends deliveries")
    delivery = delivery_queue.get(command.delivery_id)
    if delivery is None:
        raise NotFound(f"no delivery {command.delivery_id}")
    if delivery.status != PARKED:
        raise Conflict(f"the delivery is {delivery.status}: only a parked delivery is resent")
    delivery_queue.requeue(delivery, clock.now())
    return delivery_queue.get(command.delivery_id)


def dead_letters(query: DeadLetters, principal, delivery_queue: DeliveryStore) -> tuple[list[Delivery], int]:
    if not principal.has_role(*OPERATORS):
        raise NotAuthorised("only an admin reads the dead-letter list")
    return delivery_queue.with_status(PARKED, query.first, query.limit)


def delivery_detail(query: DeliveryDetail, principal, delivery_queue: DeliveryStore) -> tuple[Delivery, list[dict]]:
    """A delivery with each attempt and what the provider answered."""
    if not principal.has_role(*OPERATORS):
        raise NotAuthorised("only an admin reads deliveries")
    delivery = delivery_queue.get(query.delivery_id)
    if delivery is None:
        raise NotFound(f"no delivery {query.delivery_id}")
    return delivery, delivery_queue.attempts(delivery.id)


HANDLERS = {DeliverDue: deliver_due, ResendDelivery: resend_delivery, DeadLetters: dead_letters,
            DeliveryDetail: delivery_detail}
