"""Event-sourced aggregates in plain Python: state changes only by applying events, which are also recorded.

An aggregate is a dataclass whose fields are its state, declared once: the snapshot stored beside the log and its
reading back follow from the field types (dates as ISO strings, nested dataclasses as dicts).
"""
from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import ClassVar


@dataclass(frozen=True)
class DomainEvent:
    """A fact in past tense; `type` is its routing key and `schema_version` its contract version. An event that
    is not `published` (clinical detail, say) stays in its service's log and never reaches the relay."""
    type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    published: ClassVar[bool] = True
    sealed_fields: ClassVar[tuple[str, ...]] = ()
    """Fields stored encrypted in the log under their owner's data key (a repository given a `sealer`): free text,
    declared drugs; erasing the owner leaves them unreadable there too."""

    def data(self) -> dict:
        """The event as stored in the log: JSON-ready, dates as ISO strings. May hold more than its contract;
        the relay publishes only the contract's fields."""
        return plain(self)

    @classmethod
    def from_data(cls, data: dict) -> "DomainEvent":
        return parsed(cls, data)

    @classmethod
    def stored(cls, event_type: str, data: dict) -> "DomainEvent":
        """The event of a stored `event_type` and `data`."""
        return cls.from_data(data)


@dataclass(frozen=True)
class VariantEvent(DomainEvent):
    """One class for several event types (each workflow step, say): every instance names its own type."""
    event_type: str

    @property
    def type(self) -> str:
        return self.event_type

    def data(self) -> dict:
        data = super().data()
        del data["event_type"]
        return data

    @classmethod
    def stored(cls, event_type: str, data: dict) -> "DomainEvent":
        return cls.from_data({**data, "event_type": event_type})


_SCALARS = frozenset({str, int, float, bool})
"""Types `plain` answers as they are, checked first by exact type (every snapshot passes through `plain`, value
by value)."""


def plain(value):
    """`value` as JSON-ready data: dates as ISO strings, dataclasses as dicts, tuples as lists."""
    kind = type(value)
    if value is None or kind in _SCALARS:
        return value
    if kind is dict:
        return {k: plain(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(kind, "__dataclass_fields__") and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def parsed(cls, data: dict):
    """A dataclass `cls` from plain `data`, each field read back as its declared type; absent fields keep their
    defaults, so state stored before a field existed still loads."""
    hints = _type_hints(cls)
    return cls(**{f.name: _parse(hints[f.name], data[f.name]) for f in fields(cls) if f.init and f.name in data})


@functools.cache
def _type_hints(cls) -> dict:
    """Resolving a class's annotations costs more than reading a whole snapshot: once per class."""
    return typing.get_type_hints(cls)


def _parse(hint, value):
    if value is None:
        return None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        return _parse(options[0], value) if len(options) == 1 else _parse_scalar(options, value)
    if origin is dict and args:
        return {k: _parse(args[1], v) for k, v in value.items()}
    if origin is list and args:
        return [_parse(args[0], v) for v in value]
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return parsed(hint, value)
    return _parse_scalar((hint,), value)


def _parse_scalar(options, value):
    if isinstance(value, str):
        if datetime in options:
            return datetime.fromisoformat(value)
        if date in options:
            return date.fromisoformat(value)
    return value


class Aggregate:
    """Subclasses are dataclasses (`eq=False`: an aggregate is its identity) whose first field is `id`."""
    stream_type: ClassVar[str]
    event_types: ClassVar[dict[str, type[DomainEvent]]] = {}

    def __post_init__(self):
        self.version = 0
        self.pending: list[DomainEvent] = []

    @property
    def area_code(self) -> str | None:
        return None

    def record(self, event: DomainEvent) -> None:
        self.apply(event)
        self.version += 1
        self.pending.append(event)

    def apply(self, event: DomainEvent) -> None:
        getattr(self, f"_on_{type(event).__name__}")(event)

    def snapshot(self) -> dict:
        return {f.name: plain(getattr(self, f.name)) for f in fields(self) if f.name != "id"}

    @classmethod
    def from_snapshot(cls, id: str, state: dict, version: int) -> "Aggregate":
        aggregate = parsed(cls, {**state, "id": id})
        aggregate.version = version
        return aggregate
