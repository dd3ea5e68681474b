"""Command line of the cases service: `python -m services.cases.entrypoints.cli import REGISTER.xlsx ...`,
`erase-person P...`, `rewrap-keys` (after `python -m shared.keys rotate`), `reseal-legacy` (once, after upgrading
from a release before per-person keys)."""
from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from shared.auth import Principal
from shared.logs import configure_logging
from shared.settings import Settings, SettingsError

from services.cases.bootstrap import bootstrap
from services.cases.domain.commands import ErasePerson, RebuildCaseCounts, ResealLegacy
from services.cases.entrypoints.registers import read_register
from services.cases.service_layer.imports import CaseloadImport
from services.roles import ROLES


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.cases.entrypoints.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    importing = commands.add_parser("import", help="import a commune's caseload register (CSV or XLSX)")
    importing.add_argument("register")
    importing.add_argument("--subject", required=True, help="who imports: recorded in the audit and the events")
    importing.add_argument("--role", choices=ROLES, default="caseworker")
    importing.add_argument("--unit", required=True)
    importing.add_argument("--area", action="append", required=True)
    importing.add_argument("--check-only", action="store_true", help="report on every row, write nothing")
    erasing = commands.add_parser("erase-person", help="crypto-shred a person: destroy their data key")
    erasing.add_argument("person_code")
    erasing.add_argument("--subject", required=True, help="the administrator who erases: recorded in the audit")
    erasing.add_argument("--reason", required=True, help="why (the person's request, the retention period)")
    keys = commands.add_parser("rewrap-keys", help="wrap every person's data key with the current master key")
    commands.add_parser("rebuild-counts", help="count every case again from the snapshots (with the workers "
                                               "stopped: a system that had cases before the counts existed)")
    resealing = commands.add_parser("reseal-legacy", help="seal under each person's key what an older release sealed "
                                    "with the service-wide key or kept in the clear (once, with the services stopped)")
    resealing.add_argument("--subject", required=True, help="the administrator who runs it: recorded in the audit")
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    try:
        settings = Settings.from_env("cases")
    except SettingsError as error:
        console.print(f"[red]{error}[/red]")
        return 2
    configure_logging("cases-cli", "WARNING")
    if args.command == "erase-person":
        admin = Principal(subject=args.subject, roles=("admin",), unit=None, areas=())
        erased = bootstrap(settings).handle(ErasePerson(args.person_code, args.reason), admin)
        print(json.dumps({"person_code": args.person_code, "erased": erased}))
        return 0
    if args.command == "rewrap-keys":
        keys = bootstrap(settings).dependencies["people"].sealer.keys
        print(json.dumps({"rewrapped": keys.rewrap_all(), "master_keys_in_use": sorted(keys.kids_in_use())}))
        return 0
    if args.command == "reseal-legacy":
        admin = Principal(subject=args.subject, roles=("admin",), unit=None, areas=())
        print(json.dumps(bootstrap(settings).handle(ResealLegacy(), admin)))
        return 0
    if args.command == "rebuild-counts":
        print(json.dumps({"counted": bootstrap(settings).handle(RebuildCaseCounts())}))
        return 0
    principal = Principal(subject=args.subject, roles=(args.role,), unit=args.unit, areas=tuple(args.area))
    caseload = CaseloadImport(bootstrap(settings))
    rows = read_register(args.register)
    if args.check_only:
        report, _ = caseload.check(rows, principal)
    else:
        with Progress(TextColumn("Nhập hồ sơ / importing"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=console) as progress:
            task = progress.add_task("import", total=len(rows))
            report = caseload.run(rows, principal, lambda done, total: progress.update(task, completed=done,
                                                                                       total=total))
    print(json.dumps({"rows": report.rows, "created": report.created, "already_imported": report.already_imported,
                      "errors": {str(k): v for k, v in report.errors.items()}}, ensure_ascii=False, indent=2))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
