"""`python -m services.plans.entrypoints.cli rebuild-rollup [--plan ID]`: fold a plan's roll-up (or every plan's)
again from scratch, for an operator after a restore, a change of the merged-communes table, or a new roll-up
version. Safe while the worker runs: every refresh folds from current state."""
from __future__ import annotations

import time

from rich.console import Console

from shared.logs import configure_logging
from shared.settings import Settings

from services.plans.bootstrap import bootstrap
from services.plans.domain.commands import RefreshRollup


def add_parser(commands) -> None:
    rebuild = commands.add_parser("rebuild-rollup", help="fold the roll-up of a plan (or of every plan) again from "
                                                         "its tasks, reports and the indicator ledger")
    rebuild.add_argument("--plan", help="only this plan (its id)")


def rebuild_rollup(args, console: Console) -> int:
    settings = Settings.from_env("plans")
    configure_logging("plans-cli", "WARNING")
    bus = bootstrap(settings)
    plan_ids = [args.plan] if args.plan else [plan.id for plan in bus.dependencies["views"].plans()]
    for plan_id in plan_ids:
        started = time.perf_counter()
        rows = bus.handle(RefreshRollup(plan_id))
        if not rows and args.plan:
            console.print(f"[red]no plan {plan_id}[/red]")
            return 2
        console.print(f"{plan_id}: {rows} rows in {time.perf_counter() - started:.1f} s", highlight=False)
    return 0
