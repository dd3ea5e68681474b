"""Event-sourced aggregates in plain Python: state changes only by applying events, which are also recorded."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar


@dataclass(frozen=True)
class DomainEvent:
    """A fact in past tense; `type` is its routing key and `schema_version` its contract version."""
    type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    def data(self) -> dict:
        return asdict(self)


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

    def apply(self, event: DomainEvent) -> None:
        getattr(self, f"_on_{type(event).__name__}")(event)

    def snapshot(self) -> dict:
        raise NotImplementedError

    @classmethod
    def from_snapshot(cls, id: str, state: dict, version: int) -> "Aggregate":
        raise NotImplementedError
