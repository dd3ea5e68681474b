"""Saving the plans service's new units, plans and tasks, each under its stream; a unit's code is its id, so a
second registration of it collides and answers 409."""
from __future__ import annotations

from shared.auth import Principal
from shared.envelope import Actor
from shared.errors import ConcurrencyConflict, Conflict
from shared.ports import Repository


class PlansUnitOfWork:
    def __init__(self, units: Repository, plans: Repository, tasks: Repository):
        self.units, self.plans, self.tasks = units, plans, tasks

    def add(self, aggregate, principal: Principal) -> None:
        repository = {"unit": self.units, "plan": self.plans, "task": self.tasks}[aggregate.stream_type]
        try:
            repository.save(aggregate, Actor.of(principal))
        except ConcurrencyConflict:
            raise Conflict(f"{aggregate.stream_type} {aggregate.id} already exists") from None
