"""What every service's use cases need from the mechanisms in shared/, as protocols: the service layers depend on
these, and bootstrap.py wires the implementations (shared/repository.py, shared/audit.py)."""
from __future__ import annotations

from typing import Protocol

from shared.envelope import Actor, Envelope


class Repository(Protocol):
    """Event-sourced aggregates by id."""

    def get(self, aggregate_id: str): ...

    def read(self, aggregate_id: str):
        """The aggregate for reading only (never to be changed or saved): a caching repository may answer with
        its cached instance, saving the copy `get` makes."""

    def save(self, aggregate, actor: Actor, causation_id: str | None = None,
             event_ids: list[str] | None = None) -> list[Envelope]:
        """Raises shared.errors.ConcurrencyConflict if another writer appended first."""

    def exists(self, aggregate_id: str) -> bool: ...

    def get_many(self, aggregate_ids, where: list[dict] = ()) -> dict:
        """The aggregates of these ids that exist, by id, each the caller's own, read together; `where`: queries
        on list fields whose answers hold them (e.g. a unit's reports of a period), saving a lookup each."""

    def save_many(self, aggregates: list, actor: Actor) -> set[str]:
        """Save many aggregates of this type together; answers the ids of those another writer changed first,
        which are not saved (the others are)."""

    def ids(self):
        """Every aggregate's id (a scan of the log): for one-off passes."""

    def rewrite_log(self, aggregate_id: str, rewrite) -> int:
        """A migration's rewrite of the aggregate's stored events (shared/repository.py); how many changed."""


class AuditTrail(Protocol):
    """Who read or changed what, written before the answer leaves (shared/audit.py); raises
    shared.errors.Unavailable when it cannot be written, so the request fails."""

    def record(self, principal, action: str, resource_type: str, resource_id: str, sections=(),
               outcome: str = "allowed", purpose: str | None = None, intent: str | None = None,
               rows: int | None = None) -> str:
        """The entry's id. A change is recorded twice: outcome "intended" before it is saved, then "allowed" or
        "failed" with `intent` naming the first."""

    def entries(self, resource_id: str | None = None, subject: str | None = None, action: str | None = None,
                since=None, until=None, after: str | None = None, limit: int = 100) -> tuple[list[dict], str | None]:
        """A page of stored entries and the cursor of the next (None at the end)."""

    def record_many(self, principal, action: str, resource_type: str, resource_ids, sections=()) -> None:
        """One entry per resource; with no resources (a search that found nothing), one entry of the search."""
