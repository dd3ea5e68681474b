"""What callers ask to read; service_layer answers through the read model (views.py)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ListUnits:
    first: int = 0
    limit: int = 50


@dataclass(frozen=True)
class ListPlans:
    first: int = 0
    limit: int = 50


@dataclass(frozen=True)
class ReadPlan:
    plan_id: str


@dataclass(frozen=True)
class ListTasks:
    plan_id: str
    first: int = 0
    limit: int = 50


@dataclass(frozen=True)
class ReadDirection:
    """The direction measures of an area for the quarters `first` to `last` ("2026Q1"), as the caller wrote them."""
    area_code: str
    first: str
    last: str
