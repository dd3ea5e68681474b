"""Prometheus counters of deliveries, per channel and outcome (sent, retrying, parked, cancelled)."""
from __future__ import annotations

from prometheus_client import Counter

DELIVERIES = Counter("notifications_deliveries_total", "Delivery attempts by channel and what came of them",
                     ["channel", "outcome"])


class DeliveryCounters:
    def count(self, channel: str, outcome: str) -> None:
        DELIVERIES.labels(channel=channel, outcome=outcome).inc()
