"""What the handlers answer: accounts and clients without their hashes and secrets."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.portal.domain.model import Account, ServiceClient
from services.portal.domain.policy import needs_second_factor


@dataclass(frozen=True)
class AccountView:
    username: str
    full_name: str
    unit: str | None
    roles: tuple[str, ...]
    areas: tuple[str, ...]
    status: str
    second_factor: str
    """enrolled, required (enrolled at the next sign-in) or not_required."""
    created_at: datetime | None
    version: int


def account_view(account: Account) -> AccountView:
    second = ("enrolled" if account.sealed_secret or account.security_keys else
              "required" if needs_second_factor(account.roles) else "not_required")
    return AccountView(account.id, account.full_name, account.unit, tuple(account.roles), tuple(account.areas),
                       account.status, second, account.created_at, account.version)


@dataclass(frozen=True)
class ClientView:
    client_id: str
    name: str
    unit: str | None
    roles: tuple[str, ...]
    areas: tuple[str, ...]
    status: str
    created_at: datetime | None
    version: int
    client_secret: str | None = None
    """Only in the answer that created it: kept nowhere but as a hash."""


def client_view(client: ServiceClient, secret: str | None = None) -> ClientView:
    return ClientView(client.id, client.name, client.unit, tuple(client.roles), tuple(client.areas), client.status,
                      client.created_at, client.version, secret)


@dataclass(frozen=True)
class SessionView:
    username: str
    full_name: str
    unit: str | None
    roles: tuple[str, ...]
    areas: tuple[str, ...]
    stage: str


@dataclass(frozen=True)
class SignInStep:
    """Where the browser goes next (code, enrol or signed_in) with the session token it now holds."""
    next: str
    session_token: str


@dataclass(frozen=True)
class Enrolment:
    secret: str
    provisioning_uri: str
    qr_data_uri: str
