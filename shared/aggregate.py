"""Event-sourced aggregates in plain Python: state changes only by applying events, which are also recorded."""
from __future__ import annotations

import typing
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime
from typing import ClassVar


@dataclass(frozen=True)
class DomainEvent:
    """A fact in past tense; `type` is its routing key and `schema_version` its contract version. An event that
    is not `published` (clinical detail, say) stays in its service's log and never reaches the relay."""
    type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    published: ClassVar[bool] = True

    def data(self) -> dict:
        """The event as stored in the log: JSON-ready, dates as ISO strings. May hold more than its contract;
        the relay publishes only the contract's fields."""
        return {k: _json_ready(v) for k, v in asdict(self).items()}

    @classmethod
    def from_data(cls, data: dict) -> "DomainEvent":
        hints = typing.get_type_hints(cls)
        values = {}
        for f in fields(cls):
            if f.name in data:
                values[f.name] = _parse(hints[f.name], data[f.name])
        return cls(**values)


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


def _json_ready(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    return value


def _parse(hint, value):
    """Turn an ISO string back into the date or datetime the field is declared as."""
    if isinstance(value, str):
        options = typing.get_args(hint) or (hint,)
        if datetime in options:
            return datetime.fromisoformat(value)
        if date in options:
            return date.fromisoformat(value)
    return value


class Aggregate:
    stream_type: ClassVar[str]
    event_types: ClassVar[dict[str, type[DomainEvent]]] = {}

    def __init__(self, id: str):
        self.id = id
        self.version = 0
        self.pending: list[DomainEvent] = []

    @property
    def area_code(self) -> str | None:
        return None

    def record(self, event: DomainEvent) -> None:
        self.apply(event)
        self.version += 1
        self.pending.append(event)

    @classmethod
    def event_from(cls, event_type: str, data: dict) -> DomainEvent:
        return cls.event_types[event_type].from_data(data)

    def apply(self, event: DomainEvent) -> None:
        getattr(self, f"_on_{type(event).__name__}")(event)

    def snapshot(self) -> dict:
        raise NotImplementedError

    @classmethod
    def from_snapshot(cls, id: str, state: dict, version: int) -> "Aggregate":
        raise NotImplementedError
