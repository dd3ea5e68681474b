"""Accounts of people and service clients of agency systems: event-sourced, their events never published (they
hold password hashes and sealed second-factor secrets)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from shared.aggregate import Aggregate, DomainEvent
from shared.errors import Conflict, NotFound

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
    """Ends the TOTP secret and every security key."""
    type: ClassVar[str] = "portal.account.second_factor_reset"
    published: ClassVar[bool] = False
    at: datetime


MAX_SECURITY_KEYS = 10


@dataclass(frozen=True)
class SecurityKey:
    """A WebAuthn credential (a security key or passkey) as its authenticator registered it: ids and the public
    key base64url; `sign_count` the counter it registered with (later counts: the sign-in record's)."""
    credential_id: str
    public_key: str
    sign_count: int
    transports: list[str]
    name: str
    added_at: datetime


@dataclass(frozen=True)
class SecurityKeyAdded(DomainEvent):
    """`user_handle`: the account's WebAuthn user id (base64url) the key was registered under; the first one kept
    on the account for all its keys to come."""
    type: ClassVar[str] = "portal.account.security_key_added"
    published: ClassVar[bool] = False
    key: SecurityKey
    at: datetime
    user_handle: str | None = None


@dataclass(frozen=True)
class SecurityKeyRemoved(DomainEvent):
    type: ClassVar[str] = "portal.account.security_key_removed"
    published: ClassVar[bool] = False
    credential_id: str
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
    security_keys: list[SecurityKey] = field(default_factory=list)
    user_handle: str | None = None
    """The WebAuthn user id of the account's keys, random (never the user name), kept once its first key is added
    and through removals and resets."""
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
        if self.sealed_secret is not None or self.security_keys:
            self.record(SecondFactorReset(at=at))

    def security_key(self, credential_id: str) -> SecurityKey | None:
        return next((k for k in self.security_keys if k.credential_id == credential_id), None)

    def add_security_key(self, key: SecurityKey, at: datetime, user_handle: str | None = None) -> None:
        """A credential is registered once (an authenticator asked again answers the same id); at most
        MAX_SECURITY_KEYS, so the options of a sign-in stay small."""
        if self.security_key(key.credential_id) is not None:
            raise Conflict("this security key is already registered", errors={"credential": ["already registered"]})
        if len(self.security_keys) >= MAX_SECURITY_KEYS:
            raise Conflict(f"at most {MAX_SECURITY_KEYS} security keys",
                           errors={"credential": [f"at most {MAX_SECURITY_KEYS} security keys"]})
        self.record(SecurityKeyAdded(key=key, at=at, user_handle=user_handle))

    def remove_security_key(self, credential_id: str, at: datetime) -> None:
        if self.security_key(credential_id) is None:
            raise NotFound("no such security key on this account")
        self.record(SecurityKeyRemoved(credential_id=credential_id, at=at))

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
        self.sealed_secret, self.security_keys, self.changed_at = None, [], event.at

    def _on_SecurityKeyAdded(self, event: SecurityKeyAdded) -> None:
        self.security_keys, self.changed_at = [*self.security_keys, event.key], event.at
        self.user_handle = self.user_handle or event.user_handle

    def _on_SecurityKeyRemoved(self, event: SecurityKeyRemoved) -> None:
        self.security_keys = [k for k in self.security_keys if k.credential_id != event.credential_id]
        self.changed_at = event.at


Account.event_types = {e.type: e for e in (AccountCreated, AccountStatusChanged, PasswordReset,
                                           SecondFactorEnrolled, SecondFactorReset, SecurityKeyAdded,
                                           SecurityKeyRemoved)}


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
