"""The one routine of every change in the plans service: load once, check that the caller may see and change
the aggregate and that it is still at the version the caller read, let the domain decide (its refusals become the
answers callers get, shared/refusals.py), save. New units, plans, tasks and reports are added under their stream;
an id that exists (a unit's code, a report's assignment and period) collides and answers 409."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from shared.auth import Principal
from shared.envelope import Actor
from shared.errors import ConcurrencyConflict, Conflict, NotAuthorised, NotFound, expect_version
from shared.ports import Repository
from shared.refusals import domain_refusals


class PlansUnitOfWork:
    def __init__(self, **repositories: Repository):
        """One repository per stream type: `units`, `plans`, `tasks`, `reports`, `hotspots`, `budget_lines`..."""
        self.repositories = repositories
        for name, repository in repositories.items():
            setattr(self, name, repository)

    def _repository_of(self, stream_type: str) -> Repository:
        return self.repositories[f"{stream_type}s"]

    def visible(self, stream_type: str, aggregate_id: str, principal: Principal,
                may_see: Callable[[Principal, object], bool]):
        """The aggregate, if the caller may see it; otherwise 404 as if there were none."""
        aggregate = self._repository_of(stream_type).get(aggregate_id)
        _check_seen(stream_type, aggregate_id, aggregate, principal, may_see)
        return aggregate

    def check_change(self, stream_type: str, aggregate_id: str, aggregate, principal: Principal,
                     expected_version: int | None, may_see: Callable[[Principal, object], bool],
                     may_change: Callable[[Principal, object], bool]) -> None:
        """The checks of `changing` on an aggregate read beforehand (None if there is none), for batches that
        read many at once: 404, 403 or 412."""
        _check_seen(stream_type, aggregate_id, aggregate, principal, may_see)
        _check_change(stream_type, aggregate, principal, expected_version, may_change)

    @contextmanager
    def changing(self, stream_type: str, aggregate_id: str, principal: Principal, expected_version: int | None,
                 may_see: Callable[[Principal, object], bool],
                 may_change: Callable[[Principal, object], bool]) -> Iterator[object]:
        """The aggregate to change inside the block, saved when the block ends without an error: 404 unless the
        caller may see it, 403 unless they may change it, 412 unless it is at `expected_version` (If-Match)."""
        aggregate = self.visible(stream_type, aggregate_id, principal, may_see)
        _check_change(stream_type, aggregate, principal, expected_version, may_change)
        with domain_refusals():
            yield aggregate
        self.save(aggregate, principal)

    def save(self, aggregate, principal: Principal | None) -> None:
        """Saved as the caller, or as the plans worker (timers, consumers) when there is none."""
        try:
            self._repository_of(aggregate.stream_type).save(aggregate, _actor(principal))
        except ConcurrencyConflict:
            raise Conflict(f"the {aggregate.stream_type.replace('_', ' ')} {aggregate.id} changed meanwhile; "
                           "read it again") from None

    def save_each(self, stream_type: str, aggregates: list, principal: Principal | None) -> dict[str, Conflict]:
        """Save many aggregates of one type together (the repository's `save_many`): answers the refusal of each
        that another writer changed meanwhile, by id; the others are saved."""
        if not aggregates:
            return {}
        conflicts = self._repository_of(stream_type).save_many(aggregates, _actor(principal))
        return {the_id: Conflict(f"the {stream_type.replace('_', ' ')} {the_id} changed meanwhile; read it again")
                for the_id in conflicts}

    def add(self, aggregate, principal: Principal | None) -> None:
        try:
            self._repository_of(aggregate.stream_type).save(aggregate, _actor(principal))
        except ConcurrencyConflict:
            raise Conflict(f"{aggregate.stream_type.replace('_', ' ')} {aggregate.id} already exists") from None


def _check_seen(stream_type: str, aggregate_id: str, aggregate, principal: Principal,
                may_see: Callable[[Principal, object], bool]) -> None:
    if aggregate is None or not may_see(principal, aggregate):
        raise NotFound(f"no {stream_type.replace('_', ' ')} {aggregate_id} visible to you")


def _check_change(stream_type: str, aggregate, principal: Principal, expected_version: int | None,
                  may_change: Callable[[Principal, object], bool]) -> None:
    if not may_change(principal, aggregate):
        raise NotAuthorised(f"you may not change this {stream_type.replace('_', ' ')}")
    expect_version(aggregate.version, expected_version)


def _actor(principal: Principal | None) -> Actor:
    return Actor.of(principal) if principal is not None else Actor.system("plans")
