"""Admins create, disable and reset accounts. A disabled or reset account's sessions end at once."""
from __future__ import annotations

from shared.envelope import Actor
from shared.errors import Conflict, NotFound, expect_version

from services.portal.domain.commands import (CreateAccount, EnrolSecondFactorDirectly, ResetPassword,
                                             ResetSecondFactor, SetAccountStatus)
from services.portal.domain.model import DISABLED, Account
from services.portal.domain.policy import HUMAN_ROLES, USERNAME
from services.portal.domain.queries import ListAccounts, ReadAccount, SignInLog
from services.portal.service_layer import checks
from services.portal.service_layer.presenting import AccountView, account_view


def _account(accounts, username: str, principal, expected_version: int | None = None) -> Account:
    account = accounts.get(username) if USERNAME.match(username or "") else None
    if account is None:
        raise NotFound(f"no account {username!r}")
    checks.admin_over(principal, account.areas)
    expect_version(account.version, expected_version)
    return account


def create_account(command: CreateAccount, principal, accounts, hasher, common_passwords, clock) -> AccountView:
    username = checks.identifier(command.username, USERNAME, "username")
    full_name = checks.name(command.full_name, "full_name")
    unit = checks.unit(command.unit)
    roles = checks.roles(command.roles, HUMAN_ROLES)
    areas = checks.areas(command.areas)
    checks.admin_over(principal, areas)
    password = checks.password(command.password, username, common_passwords)
    if accounts.exists(username):
        raise Conflict(f"the account {username!r} exists", errors={"username": ["already taken"]})
    account = Account.create(username, full_name=full_name, unit=unit, roles=roles, areas=areas,
                             password_hash=hasher.hash(password), at=clock.now())
    accounts.save(account, Actor.of(principal))
    return account_view(account)


def set_account_status(command: SetAccountStatus, principal, accounts, sessions, clock) -> AccountView:
    status, reason = checks.status(command.status, command.reason)
    account = _account(accounts, command.username, principal, command.expected_version)
    account.set_status(status, reason, clock.now())
    accounts.save(account, Actor.of(principal))
    if status == DISABLED:
        sessions.end_all(account.id)
    return account_view(account)


def reset_password(command: ResetPassword, principal, accounts, sessions, hasher, common_passwords,
                   clock) -> AccountView:
    account = _account(accounts, command.username, principal, command.expected_version)
    password = checks.password(command.password, account.id, common_passwords)
    account.reset_password(hasher.hash(password), clock.now())
    accounts.save(account, Actor.of(principal))
    sessions.end_all(account.id)
    return account_view(account)


def reset_second_factor(command: ResetSecondFactor, principal, accounts, sessions, clock) -> AccountView:
    account = _account(accounts, command.username, principal, command.expected_version)
    account.reset_second_factor(clock.now())
    accounts.save(account, Actor.of(principal))
    sessions.end_all(account.id)
    return account_view(account)


def enrol_directly(command: EnrolSecondFactorDirectly, principal, accounts, sessions, second_factor, sealer,
                   clock) -> str:
    account = _account(accounts, command.username, principal)
    secret = second_factor.new_secret()
    account.enrol_second_factor(sealer.seal(secret, account.id), clock.now())
    accounts.save(account, Actor.of(principal))
    sessions.end_all(account.id)
    return secret


def read_account(query: ReadAccount, principal, accounts) -> AccountView:
    return account_view(_account(accounts, query.username, principal))


def list_accounts(query: ListAccounts, principal, directory) -> list[AccountView]:
    """The accounts (of a unit) whose areas lie within the admin's."""
    checks.admin_over(principal, ())
    return [account_view(account) for account in directory.accounts(query.unit)
            if checks.within(principal, account.areas)]


def sign_in_log(query: SignInLog, principal, accounts, login_log) -> list[dict]:
    _account(accounts, query.username, principal)
    return login_log.recent(query.username, query.limit)


HANDLERS = {CreateAccount: create_account, SetAccountStatus: set_account_status, ResetPassword: reset_password,
            ResetSecondFactor: reset_second_factor, EnrolSecondFactorDirectly: enrol_directly,
            ReadAccount: read_account, ListAccounts: list_accounts, SignInLog: sign_in_log}
