"""The roll-up as a maintained projection: its rows are folded again from current state whenever something they
show may have changed (a report, an assignment, the plan, a computed indicator), never per request (the read is
rollup_read.py).

A refresh recomputes the affected rows from scratch, so it is idempotent and indifferent to the order events
arrive in. Two refreshes may run at once (the worker's consumers, several workers), and the slower one could write
what it read before the other's change: a unit's or an area's row is therefore written only over a row folded from
earlier state (its `as_of`, when its fold began reading; on FerretDB the check and the write are not one atomic
step, issue #3040, which narrows the window to one update instead of closing it, and the daily rebuild folds
everything again). The province total is the sum of the area rows, so it is summed again after it is written
until the sum stands.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from datetime import date

from shared import areas
from shared.auth import Principal
from shared.clock import Clock
from shared.ports import Repository
from shared.working_days import WorkingCalendar

from services.plans.domain.commands import RefreshRollup, RefreshStaleRollups
from services.plans.domain.periods import reporting_periods
from services.plans.domain.plan import LIVE
from services.plans.domain.rollup import (AREA, TOTAL, UNIT, Computed, Context, Fold, RollupRow, computed_by_area,
                                          fold, indicator_codes, total_row, works_of)
from services.plans.service_layer.ports import PlanState, PlanViews, RollupStore, StoredRollupRow

SETTLING_ROUNDS = 3
"""Folds after a write before a refresh gives up waiting for concurrent writers to settle (the next event or the
daily refresh folds again)."""


def _stream(aggregate) -> str:
    return f"{aggregate.stream_type}-{aggregate.id}"


def _task_ids(stored: list[StoredRollupRow]) -> list[str] | None:
    """The tasks the last rebuild folded, from the versions the total keeps; None before any rebuild."""
    total = next((s for s in stored if s.row.kind == TOTAL), None)
    if total is None or total.rebuilt_on is None:
        return None
    return [stream.removeprefix("task-") for stream in total.versions if stream.startswith("task-")]


def stored_computed(rows: list[RollupRow]) -> Computed:
    """The computed figures kept on area rows, as the fold takes them."""
    return {row.code: {period: {code: f.computed for code, f in figures.indicators.items() if f.computed}
                       for period, figures in row.periods.items()}
            for row in rows if row.kind == AREA}


def same(a, b) -> bool:
    """Equal rows, figures compared to a millionth (sums of the same figures in another order)."""
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, abs_tol=1e-6)
    if dataclasses.is_dataclass(a) and dataclasses.is_dataclass(b):
        return type(a) is type(b) and all(same(getattr(a, f.name), getattr(b, f.name))
                                          for f in dataclasses.fields(a))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


class RollupRefresher:
    """Folds a plan's rows from current state and keeps them (bootstrap wires it as `rollup`)."""

    def __init__(self, plans: Repository, state: PlanState, views: PlanViews, store: RollupStore, clock: Clock,
                 working_days: WorkingCalendar, current_code: Callable[[str], str] = areas.current_code,
                 former_codes: Callable[[str], list[str]] = areas.former_codes,
                 covers: Callable[[str, str], bool] = areas.covers):
        self.plans, self.state, self.views, self.store = plans, state, views, store
        self.clock, self.working_days = clock, working_days
        self.current_code, self.former_codes, self.covers = current_code, former_codes, covers

    def context(self, plan, tasks: list, units: dict[str, tuple[str, str]]) -> Context:
        periods = reporting_periods(plan.kind, plan.starts_on, plan.ends_on, plan.summary_report_due_on,
                                    self.working_days)
        return Context(plan, periods, self.clock.today(), self.current_code, self.covers,
                       {code: area for code, (_, area) in units.items()}, tuple(indicator_codes(plan, tasks)))

    def rebuild(self, plan_id: str, reflecting: tuple[str, int] | None = None) -> list[RollupRow]:
        """Every row of the plan from scratch; rows of units and areas with nothing left go."""
        if self.plans.read(plan_id) is None or self._reflected(plan_id, (TOTAL, ""), reflecting):
            return []
        started = self.clock.now()
        plan, tasks, context = self._load(plan_id)
        rows = fold(context, tasks, self.views.reports_of_plan(plan_id), self.views.computed_figures(plan_id))
        versions = self._versions(plan, tasks)
        parts = self._named([row for row in rows if row.kind != TOTAL])
        self.store.put(plan_id, [StoredRollupRow(row, started, versions) for row in parts])
        self.store.drop_except(plan_id, parts, folded_before=started)
        return [*parts, self._settle_total(plan_id, context, tasks, (versions, context.today))]

    def refresh_unit(self, plan_id: str, unit_code: str,
                     reflecting: tuple[str, int] | None = None) -> list[RollupRow]:
        """The unit's row, the rows of the areas it works, worked or reported in, and the total."""
        if self.plans.read(plan_id) is None or self._reflected(plan_id, (UNIT, unit_code), reflecting):
            return []
        started = self.clock.now()
        stored = self.store.rows(plan_id, (AREA, TOTAL))
        before = next((s.row.areas for s in self.store.rows_named(plan_id, [(UNIT, unit_code)])), [])
        plan, tasks, context = self._load(plan_id, [unit_code], _task_ids(stored))
        home = context.unit_areas.get(unit_code)
        area_codes = ({w.area_code for w in works_of(tasks, context) if w.unit_code == unit_code} | set(before)
                      | ({context.area_of(home)} if home else set()))
        rollup, fresh = self._fold_areas(plan_id, context, tasks, stored, area_codes)
        rows = self._named([*rollup.unit_rows([unit_code]).values(), *fresh.values()])
        self.store.put(plan_id, [StoredRollupRow(row, started, self._versions(plan, tasks)) for row in rows])
        return [*rows, self._settle_total(plan_id, context, tasks)]

    def refresh_area(self, plan_id: str, area_code: str | None) -> list[RollupRow]:
        """An area's row (a computed indicator moved there) and the total. Unit rows take their computed figures
        from the area rows when read."""
        if self.plans.read(plan_id) is None:
            return []
        started = self.clock.now()
        stored = self.store.rows(plan_id, (AREA, TOTAL))
        plan, tasks, context = self._load(plan_id, task_ids=_task_ids(stored))
        _, fresh = self._fold_areas(plan_id, context, tasks, stored, {context.area_of(area_code)})
        rows = self._named(list(fresh.values()))
        self.store.put(plan_id, [StoredRollupRow(row, started, self._versions(plan, tasks)) for row in rows])
        return [*rows, self._settle_total(plan_id, context, tasks)]

    def refresh_live_plans(self) -> int:
        """Rebuild every plan in force not rebuilt today: statuses and missing reports move with the calendar,
        not only with events."""
        rebuilt, today = 0, self.clock.today()
        for plan in self.views.plans():
            if plan.status in LIVE:
                total = self.store.rows_named(plan.id, [(TOTAL, "")])
                if not total or total[0].rebuilt_on is None or total[0].rebuilt_on < today:
                    self.rebuild(plan.id)
                    rebuilt += 1
        return rebuilt

    def _load(self, plan_id: str, units: list[str] = (), task_ids: list[str] | None = None):
        """The plan, its tasks (those of the last rebuild when `task_ids` says: listing them costs a read of every
        task snapshot on FerretDB, and a new task is folded by the rebuild its announcement asks for) and the
        context."""
        plan = self.plans.read(plan_id)
        tasks = self.state.tasks(plan_id, task_ids)
        leads = [t.lead_unit for t in tasks if not t.assignments]
        return plan, tasks, self.context(plan, tasks, self.state.units([*leads, *units]))

    def _fold_areas(self, plan_id: str, context: Context, tasks: list, stored: list[StoredRollupRow],
                    area_codes: set[str]) -> tuple[Fold, dict[str, RollupRow]]:
        """The rows of these areas folded afresh from their reports and their ledger entries (old codes of merged
        communes included); the other areas' computed figures as kept, since statuses look across areas. A unit's
        own reports lie in its areas, so the unit's row folds from the same reports."""
        recorded = sorted({old for code in area_codes for old in (code, *self.former_codes(code))})
        reports = self.views.reports_in_areas(plan_id, recorded) if recorded else []
        ledger = computed_by_area(self.views.computed_in_areas(plan_id, recorded), context) if recorded else {}
        computed = {**stored_computed([s.row for s in stored]), **{code: ledger.get(code, {}) for code in area_codes}}
        rollup = Fold(context, tasks, reports, computed)
        return rollup, rollup.area_rows(area_codes)

    def _settle_total(self, plan_id: str, context: Context, tasks: list,
                      stamp: tuple[dict[str, int], date] | None = None) -> RollupRow:
        """The total as the sum of the area rows kept now. Refreshes of other areas may write theirs meanwhile, so
        it is summed again after it is written, until what was written is what the rows add up to: the last
        writer has then seen every area row written before it."""
        written = None
        for _ in range(SETTLING_ROUNDS + 1):
            started = self.clock.now()
            stored = self.store.rows(plan_id, (AREA, TOTAL))
            total = self._named([total_row(context, tasks, [s.row for s in stored if s.row.kind == AREA])])[0]
            if written is not None and same(total, written):
                break
            before = next((s for s in stored if s.row.kind == TOTAL), None)
            versions, rebuilt_on = stamp or ((before.versions, before.rebuilt_on) if before else ({}, None))
            self.store.put(plan_id, [StoredRollupRow(total, started, versions, rebuilt_on)], over_newer=True)
            written = total
        return total

    def _named(self, rows: list[RollupRow]) -> list[RollupRow]:
        units = self.state.units([row.code for row in rows if row.kind == UNIT])
        for row in rows:
            row.name = units[row.code][0] if row.kind == UNIT and row.code in units else areas.name_of(row.code)
        return rows

    @staticmethod
    def _versions(plan, tasks: list) -> dict[str, int]:
        return {_stream(plan): plan.version, **{_stream(task): task.version for task in tasks}}

    def _reflected(self, plan_id: str, name: tuple[str, str], reflecting: tuple[str, int] | None) -> bool:
        """Was the row already folded from the event's stream version (a redelivery, or a burst of events one
        fold covered)? A unit's row, and the total as a rebuild left it, are folded whole, so they tell."""
        if reflecting is None:
            return False
        stream, version = reflecting
        found = self.store.rows_named(plan_id, [name])
        return bool(found) and found[0].versions.get(stream, 0) >= version


def refresh_rollup(command: RefreshRollup, principal: Principal, rollup: RollupRefresher) -> int:
    """How many rows were folded; none when they already reflect the event that asked."""
    if command.unit_code is None:
        return len(rollup.rebuild(command.plan_id, command.reflecting))
    return len(rollup.refresh_unit(command.plan_id, command.unit_code, command.reflecting))


def refresh_stale_rollups(command: RefreshStaleRollups, principal: Principal, rollup: RollupRefresher) -> int:
    """How many plans were rebuilt."""
    return rollup.refresh_live_plans()


HANDLERS = {RefreshRollup: refresh_rollup, RefreshStaleRollups: refresh_stale_rollups}
