"""Command line of the portal, for operators on the server: `python -m services.portal.entrypoints.cli
create-account lan.nguyen --name "Nguyễn Thị Lan" --unit UBX-22366 --role caseworker --area 22366`.

It acts as an admin of the whole province (whoever runs it on the server can read the database anyway).
Passwords are read from standard input (`--password-stdin`) or asked for, never taken as arguments (they would
show in the process list and the shell history)."""
from __future__ import annotations

import argparse
import getpass
import json
import sys

from shared.auth import Principal
from shared.errors import ServiceError
from shared.logs import configure_logging
from shared.settings import SettingsError

from services.portal.bootstrap import bootstrap
from services.portal.domain.commands import (CreateAccount, CreateClient, EnrolSecondFactorDirectly, ResetPassword,
                                             ResetSecondFactor, SetAccountStatus)
from services.portal.domain.policy import CLIENT_ROLES, HUMAN_ROLES
from services.portal.settings import PortalSettings


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first, second = getpass.getpass("Mật khẩu / password: "), getpass.getpass("Nhập lại / again: ")
    if first != second:
        raise SystemExit("the two passwords differ")
    return first


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.portal.entrypoints.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-account", help="create a person's account")
    create.add_argument("username")
    create.add_argument("--name", required=True, help="full name, with its diacritics")
    create.add_argument("--unit")
    create.add_argument("--role", action="append", required=True, choices=HUMAN_ROLES)
    create.add_argument("--area", action="append", required=True, help="province or commune code")
    create.add_argument("--password-stdin", action="store_true")
    create.add_argument("--enrol-totp", action="store_true",
                        help="set the authenticator secret now and print it (demo accounts); otherwise the account "
                             "enrols at its first sign-in")
    for name, help_ in (("disable", "disable an account: its sessions end at once"),
                        ("enable", "enable a disabled account")):
        status = commands.add_parser(name, help=help_)
        status.add_argument("username")
        status.add_argument("--reason", required=True)
    reset = commands.add_parser("reset-password", help="set a new password (its sessions end)")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")
    totp = commands.add_parser("reset-totp", help="forget the authenticator: enrolled again at the next sign-in")
    totp.add_argument("username")
    client = commands.add_parser("create-client", help="create a service client of an agency system")
    client.add_argument("client_id")
    client.add_argument("--name", required=True)
    client.add_argument("--unit")
    client.add_argument("--role", action="append", required=True, choices=CLIENT_ROLES)
    client.add_argument("--area", action="append", required=True)
    return parser


def _run(args, bus, operator) -> dict:
    ask = lambda message: bus.handle(message, operator)  # noqa: E731
    if args.command == "create-account":
        view = ask(CreateAccount(args.username, args.name, args.unit, tuple(args.role), tuple(args.area),
                                 _password(args)))
        answer = {"username": view.username, "second_factor": view.second_factor}
        if args.enrol_totp:
            secret = ask(EnrolSecondFactorDirectly(view.username))
            answer.update(second_factor="enrolled", totp_secret=secret)
        return answer
    if args.command in ("disable", "enable"):
        view = ask(SetAccountStatus(args.username, "disabled" if args.command == "disable" else "active",
                                    args.reason))
        return {"username": view.username, "status": view.status}
    if args.command == "reset-password":
        return {"username": ask(ResetPassword(args.username, _password(args))).username, "password": "reset"}
    if args.command == "reset-totp":
        return {"username": ask(ResetSecondFactor(args.username)).username, "second_factor": "required"}
    view = ask(CreateClient(args.client_id, args.name, args.unit, tuple(args.role), tuple(args.area)))
    return {"client_id": view.client_id, "client_secret": view.client_secret}


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = PortalSettings.from_env()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    configure_logging("portal-cli", "WARNING")
    operator = Principal(subject=f"cli:{getpass.getuser()}", roles=("admin",), unit=None,
                         areas=(settings.base.province_code,))
    try:
        answer = _run(args, bootstrap(settings), operator)
    except ServiceError as error:
        print(json.dumps({"status": error.status, "detail": error.detail, "errors": error.errors},
                         ensure_ascii=False), file=sys.stderr)
        return 1
    print(json.dumps(answer, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
