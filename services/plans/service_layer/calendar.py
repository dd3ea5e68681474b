"""A unit's deadlines as a calendar people subscribe to by URL.

Calendar clients cannot send a bearer token, so the URL carries a secret of the unit's: minted by the unit's own
reporters or its area's coordinators, shown once, kept only as its SHA-256, and replaced whenever a new one is
minted (a URL that leaked stops working). A wrong or missing secret answers as if there were no such unit."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shared.auth import Principal
from shared.clock import Clock
from shared.errors import ConcurrencyConflict, Conflict, NotAuthorised, NotFound, expect_version
from shared.working_days import WorkingCalendar

from services.plans.domain.commands import MintCalendarToken
from services.plans.domain.deadlines import Deadline, may_mint_calendar_token, unit_deadlines
from services.plans.domain.plan import LIVE
from services.plans.domain.queries import ReadUnitCalendar
from services.plans.service_layer.ports import PlanViews
from services.plans.service_layer.unit_of_work import PlansUnitOfWork

TOKEN_BYTES = 32
NOWHERE = hashlib.sha256(b"no calendar token was minted").hexdigest()
"""Compared against when the unit has no token, so an answer takes as long whether it has one or not."""


class CalendarTokens(Protocol):
    """The units' calendar secrets, each kept as its SHA-256 hex digest (adapters/calendar_tokens.py)."""

    def digest_of(self, unit_code: str) -> str | None: ...

    def generation_of(self, unit_code: str) -> int:
        """How many secrets the unit has had (0: none yet)."""

    def replace(self, unit_code: str, digest: str, minted_at: datetime, minted_by: str) -> int:
        """Keep `digest` as the unit's only secret; returns how many the unit has had. Raises
        ConcurrencyConflict when another secret was minted since the current one was read."""


class CalendarFeed(Protocol):
    def render(self, unit_code: str, calendar_name: str, deadlines: list[Deadline],
               stamped_at: datetime) -> bytes: ...


@dataclass(frozen=True)
class MintedToken:
    unit_code: str
    token: str
    generation: int


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def mint_calendar_token(command: MintCalendarToken, principal: Principal, uow: PlansUnitOfWork,
                        calendar_tokens: CalendarTokens, clock: Clock) -> MintedToken:
    unit = uow.units.get(command.unit_code)
    if unit is None:
        raise NotFound(f"no unit {command.unit_code}")
    if not may_mint_calendar_token(principal, unit):
        raise NotAuthorised("only the unit's own reporters and its area's coordinators subscribe to its calendar")
    expect_version(calendar_tokens.generation_of(unit.id), command.expected_version)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    try:
        generation = calendar_tokens.replace(unit.id, digest(token), clock.now(), principal.subject)
    except ConcurrencyConflict:
        raise Conflict("another secret was minted for this unit at the same moment: mint again") from None
    return MintedToken(unit.id, token, generation)


def read_unit_calendar(query: ReadUnitCalendar, principal: Principal | None, uow: PlansUnitOfWork,
                       views: PlanViews, calendar_tokens: CalendarTokens, calendar_feed: CalendarFeed,
                       working_days: WorkingCalendar, clock: Clock) -> bytes:
    """The feed, to whoever holds the unit's current secret (no bearer token: `principal` is None)."""
    stored = calendar_tokens.digest_of(query.unit_code)
    matches = hmac.compare_digest(stored or NOWHERE, digest(query.token or ""))
    unit = uow.units.get(query.unit_code) if stored is not None and matches else None
    if unit is None:
        raise NotFound("no calendar at this address")
    plans = {plan.id: plan for plan in (uow.plans.get(row.id) for row in views.plans() if row.status in LIVE)
             if plan is not None}
    tasks = [task for plan_id in plans for task in views.plan_tasks(plan_id)
             if unit.id in task.units or unit.id in task.assignments]
    deadlines = unit_deadlines(unit, plans, tasks, working_days)
    return calendar_feed.render(unit.id, f"Hạn công việc phòng, chống ma túy - {unit.name}", deadlines, clock.now())


HANDLERS = {MintCalendarToken: mint_calendar_token, ReadUnitCalendar: read_unit_calendar}
