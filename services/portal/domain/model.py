"""Accounts of people and service clients of agency systems: event-sourced, their events never published (they
hold password hashes and sealed second-factor secrets)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from shared.aggregate import Aggregate, DomainEvent

ACTIVE, DISABLED = "active", "disabled"
STATUSES = (ACTIVE, DISABLED)


@dataclass(frozen=True)
class AccountCreated(DomainEvent):
    type: ClassVar[str] = "portal.account.created"
    published: ClassVar[bool] = False
    full_name: str
    unit: str | None
    roles: list[str]
    areas: list[str]
    password_hash: str
    at: datetime


@dataclass(frozen=True)
class AccountStatusChanged(DomainEvent):
    type: ClassVar[str] = "portal.account.status_changed"
    published: ClassVar[bool] = False
    status: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class PasswordReset(DomainEvent):
    type: ClassVar[str] = "portal.account.password_reset"
    published: ClassVar[bool] = False
    password_hash: str
    at: datetime


@dataclass(frozen=True)
class SecondFactorEnrolled(DomainEvent):
    """`sealed_secret` is the TOTP secret encrypted at rest (adapters/secrets.py, CipherSealer)."""
    type: ClassVar[str] = "portal.account.second_factor_enrolled"
    published: ClassVar[bool] = False
    sealed_secret: str
    at: datetime


@dataclass(frozen=True)
class SecondFactorReset(DomainEvent):
    type: ClassVar[str] = "portal.account.second_factor_reset"
    published: ClassVar[bool] = False
    at: datetime


@dataclass(eq=False)
class Account(Aggregate):
    """A person who signs in; `id` is the user name, the `sub` of the tokens issued to them."""
    id: str
    full_name: str = ""
    unit: str | None = None
    roles: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    status: str = ACTIVE
    password_hash: str = ""
    sealed_secret: str | None = None
    created_at: datetime | None = None
    changed_at: datetime | None = None
    stream_type: ClassVar[str] = "account"
    event_types: ClassVar[dict] = {}

    @classmethod
    def create(cls, username: str, *, full_name: str, unit: str | None, roles, areas, password_hash: str,
               at: datetime) -> "Account":
        account = cls(username)
        account.record(AccountCreated(full_name=full_name, unit=unit, roles=list(roles), areas=list(areas),
                                      password_hash=password_hash, at=at))
        return account

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    def set_status(self, status: str, reason: str, at: datetime) -> None:
        if status != self.status:
            self.record(AccountStatusChanged(status=status, reason=reason, at=at))

    def reset_password(self, password_hash: str, at: datetime) -> None:
        self.record(PasswordReset(password_hash=password_hash, at=at))

    def enrol_second_factor(self, sealed_secret: str, at: datetime) -> None:
        self.record(SecondFactorEnrolled(sealed_secret=sealed_secret, at=at))

    def reset_second_factor(self, at: datetime) -> None:
        if self.sealed_secret is not None:
            self.record(SecondFactorReset(at=at))

    def _on_AccountCreated(self, event: AccountCreated) -> None:
        self.full_name, self.unit, self.roles, self.areas = event.full_name, event.unit, event.roles, event.areas
        self.password_hash, self.created_at, self.changed_at = event.password_hash, event.at, event.at

    def _on_AccountStatusChanged(self, event: AccountStatusChanged) -> None:
        self.status, self.changed_at = event.status, event.at

    def _on_PasswordReset(self, event: PasswordReset) -> None:
        self.password_hash, self.changed_at = event.password_hash, event.at

    def _on_SecondFactorEnrolled(self, event: SecondFactorEnrolled) -> None:
        self.sealed_secret, self.changed_at = event.sealed_secret, event.at

    def _on_SecondFactorReset(self, event: SecondFactorReset) -> None:
        self.sealed_secret, self.changed_at = None, event.at


Account.event_types = {e.type: e for e in (AccountCreated, AccountStatusChanged, PasswordReset,
                                           SecondFactorEnrolled, SecondFactorReset)}


@dataclass(frozen=True)
class ClientCreated(DomainEvent):
    type: ClassVar[str] = "portal.client.created"
    published: ClassVar[bool] = False
    name: str
    unit: str | None
    roles: list[str]
    areas: list[str]
    secret_hash: str
    at: datetime


@dataclass(frozen=True)
class ClientStatusChanged(DomainEvent):
    type: ClassVar[str] = "portal.client.status_changed"
    published: ClassVar[bool] = False
    status: str
    reason: str
    at: datetime


@dataclass(eq=False)
class ServiceClient(Aggregate):
    """An agency system that takes tokens with the client credentials grant; `id` is its client_id and the `sub`
    of its tokens."""
    id: str
    name: str = ""
    unit: str | None = None
    roles: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    status: str = ACTIVE
    secret_hash: str = ""
    created_at: datetime | None = None
    stream_type: ClassVar[str] = "client"
    event_types: ClassVar[dict] = {}

    @classmethod
    def create(cls, client_id: str, *, name: str, unit: str | None, roles, areas, secret_hash: str,
               at: datetime) -> "ServiceClient":
        client = cls(client_id)
        client.record(ClientCreated(name=name, unit=unit, roles=list(roles), areas=list(areas),
                                    secret_hash=secret_hash, at=at))
        return client

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    def set_status(self, status: str, reason: str, at: datetime) -> None:
        if status != self.status:
            self.record(ClientStatusChanged(status=status, reason=reason, at=at))

    def _on_ClientCreated(self, event: ClientCreated) -> None:
        self.name, self.unit, self.roles, self.areas = event.name, event.unit, event.roles, event.areas
        self.secret_hash, self.created_at = event.secret_hash, event.at

    def _on_ClientStatusChanged(self, event: ClientStatusChanged) -> None:
        self.status = event.status


ServiceClient.event_types = {e.type: e for e in (ClientCreated, ClientStatusChanged)}
