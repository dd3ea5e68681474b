"""The events notifications can route: every published event of cases and plans (version 1 of its contract), with
the fields its data carries. Rules and templates are checked against it, so neither can name what no event says."""
from __future__ import annotations

from functools import lru_cache

from services.cases.contracts import CONTRACTS as CASES
from services.plans.contracts import CONTRACTS as PLANS

ROUTABLE_VERSION = 1


@lru_cache(maxsize=1)
def _catalog() -> dict[str, frozenset[str]]:
    return {event_type: frozenset(schema().fields) for contracts in (CASES, PLANS)
            for (event_type, version), schema in contracts.items() if version == ROUTABLE_VERSION}


def event_types() -> tuple[str, ...]:
    return tuple(sorted(_catalog()))


def event_fields(event_type: str) -> set[str] | None:
    """The data fields of `event_type`, or None when no producer publishes it."""
    fields = _catalog().get(event_type)
    return None if fields is None else set(fields)
