"""What operators ask to read about deliveries."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeadLetters:
    """Deliveries that failed every attempt (or were refused for good), newest first: each can be resent."""
    first: int = 0
    limit: int = 50


@dataclass(frozen=True)
class DeliveryDetail:
    delivery_id: str
