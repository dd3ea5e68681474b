"""Command line of the plans service: `python -m services.plans.entrypoints.cli recount-indicators [--plan ID]
[--fix]` recounts the indicators computed from case events from the cases event log and reports any difference
with the ledger (exit status 1 when there is one); `rebuild-rollup [--plan ID]` folds the roll-up again from
scratch (entrypoints/rollup_cli.py); `republish-units` publishes every unit registration again (a service whose
copy of the directory began after them: the cases service's, added later)."""
from __future__ import annotations

import argparse
import sys

from rich.console import Console
from rich.table import Table

from shared import runtime
from shared.bus import ConfirmingPublisher
from shared.errors import NotFound
from shared.logs import configure_logging
from shared.relay import republish
from shared.settings import Settings, SettingsError

from services.plans.bootstrap import bootstrap
from services.plans.contracts import CONTRACTS
from services.plans.domain.commands import RecountIndicators
from services.plans.entrypoints import rollup_cli


def _table(results) -> Table:
    table = Table(title="Chỉ tiêu tính từ hồ sơ / indicators computed from case events")
    for heading in ("plan", "indicator", "ledger", "recounted", "difference", "missing", "extra", "changed",
                    "fixed"):
        table.add_column(heading, justify="left" if heading in ("plan", "indicator") else "right")
    for r in results:
        table.add_row(r.plan_id, r.indicator_code, str(r.ledger_total), str(r.recounted_total),
                      f"{r.difference:+d}" if r.difference else "0", str(len(r.missing)), str(len(r.extra)),
                      str(len(r.changed)), str(r.fixed), style=None if r.agrees else "bold red")
    return table


def _keys(console: Console, results) -> None:
    """Every contribution key that differs, so an operator can trace it to its event."""
    for r in results:
        for c in r.missing:
            console.print(f"missing {r.plan_id} {r.indicator_code} key={c.key} amount={c.amount} "
                          f"event={c.event_id}" + (" (added)" if r.fixed else ""), highlight=False)
        for c in r.extra:
            console.print(f"extra {r.plan_id} {r.indicator_code} key={c.key} amount={c.amount} event={c.event_id} "
                          "(kept: the recount never deletes)", highlight=False)
        for found, expected in r.changed:
            console.print(f"changed {r.plan_id} {r.indicator_code} key={found.key} ledger={found.amount} "
                          f"recounted={expected.amount}", highlight=False)


def recount_indicators(args, console: Console) -> int:
    settings = Settings.from_env("plans")
    configure_logging("plans-cli", "WARNING")
    try:
        results = bootstrap(settings).handle(RecountIndicators(plan_id=args.plan, fix=args.fix))
    except NotFound as error:
        console.print(f"[red]{error.detail}[/red]")
        return 2
    console.print(_table(results))
    _keys(console, results)
    agree = all(r.agrees_after_fix if args.fix else r.agrees for r in results)
    added = sum(r.fixed for r in results)
    console.print(("the ledger agrees with the case event log" if agree else
                   "the ledger differs from the case event log")
                  + (f" ({added} missing contributions added)" if added else ""), highlight=False)
    return 0 if agree else 1


def republish_units(console: Console) -> int:
    settings = Settings.from_env("plans")
    configure_logging("plans-cli", "WARNING")
    runtime.connect_database(settings)
    publisher = ConfirmingPublisher(runtime.broker_connection(settings), settings.confirm_timeout_seconds)
    try:
        count = republish("plans", "plans.unit.registered", publisher, CONTRACTS)
    finally:
        publisher.reset()
    console.print(f"{count} unit registrations published again", highlight=False)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.plans.entrypoints.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    recount = commands.add_parser("recount-indicators",
                                  help="recount the indicators computed from case events from the cases event log "
                                       "and report every difference with the ledger")
    recount.add_argument("--plan", help="only this plan (its id)")
    recount.add_argument("--fix", action="store_true",
                         help="add the contributions the ledger misses; extras are listed, never deleted")
    rollup_cli.add_parser(commands)
    commands.add_parser("republish-units", help="publish every unit registration again, for a service whose copy "
                                                "of the directory started after them")
    args = parser.parse_args(argv)
    console = Console(width=max(Console().width, 140))
    try:
        if args.command == "rebuild-rollup":
            return rollup_cli.rebuild_rollup(args, console)
        if args.command == "republish-units":
            return republish_units(console)
        return recount_indicators(args, console)
    except SettingsError as error:
        Console(stderr=True).print(f"[red]{error}[/red]")
        return 2


if __name__ == "__main__":
    sys.exit(main())
