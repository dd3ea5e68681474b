"""What callers ask to read; service_layer answers through the read model (views.py)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Inbox:
    """The alerts of the caller's unit, newest first."""
    unacknowledged: bool = False
    first: int = 0
    limit: int = 50
