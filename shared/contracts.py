"""Contracts of the events that cross services: the mechanism. Each service owns the schemas of the events it
publishes (`services/<service>/contracts.py`, a mapping of (type, schema_version) to a schema); its relay
publishes only their fields and its consumers validate with the producers' mappings.
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from marshmallow import EXCLUDE, Schema, ValidationError, validate

AREA_CODE = validate.Regexp(r"^\d{2}(\d{3})?$", error="must be a 2-digit province or 5-digit commune code")

Contracts = Mapping[tuple[str, int], type[Schema]]


class EventData(Schema):
    """An event's data as consumers may rely on it: unknown fields are dropped, not refused."""

    class Meta:
        unknown = EXCLUDE


def data_schema(contracts: Contracts, event_type: str, schema_version: int) -> Schema:
    try:
        return _instance(contracts[(event_type, schema_version)])
    except KeyError:
        raise ValidationError(f"no contract for {event_type} v{schema_version}", field_name="type") from None


@cache
def _instance(schema: type[Schema]) -> Schema:
    """One instance per contract, shared by every message and thread: building a schema costs more than the
    load it serves, and marshmallow 4 schemas keep no per-call state."""
    return schema()


def combined(*contract_maps: Contracts) -> dict[tuple[str, int], type[Schema]]:
    """The contracts of several producers, as one consumer validates with them."""
    return {key: schema for contracts in contract_maps for key, schema in contracts.items()}
