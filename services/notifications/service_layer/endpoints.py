"""Agency systems' webhook endpoints, managed by the admins of the unit's areas (as the member directory's units
are): registered with a URL the endpoint URL policy accepts and a signing secret shown once, changed with
If-Match (re-enabling an endpoint a 410 Gone disabled is how it comes back), and their secret rotated with a grace
during which the old one signs too (Standard Webhooks sends every current signature)."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from shared.clock import Clock, aware
from shared.errors import Conflict, InvalidInput, NotAuthorised, NotFound, expect_version
from shared.refusals import domain_refusals, is_blank

from services.notifications.domain.commands import ChangeEndpoint, CreateEndpoint, RotateEndpointSecret
from services.notifications.domain.members import ADMIN
from services.notifications.domain.queries import ListEndpoints, ReadEndpoint
from services.notifications.service_layer.members import administers
from services.notifications.service_layer.ports import UnitDirectory

ACTIVE, DISABLED = "active", "disabled"
STATUSES = (ACTIVE, DISABLED)
MAX_GRACE_HOURS = 168


class EndpointRecord(Protocol):
    """A stored endpoint (adapters/endpoints.py EndpointDocument): `secrets` are sealed, each with its
    `created_at` and `expires_at` (None while it is the current one)."""
    id: str
    unit_code: str
    name: str
    url: str
    secrets: list[dict]
    status: str
    disabled_reason: str | None
    created_at: datetime
    version: int


class EndpointRecords(Protocol):
    def document(self, endpoint_id: str) -> EndpointRecord | None: ...

    def of_unit(self, unit_code: str) -> list[EndpointRecord]: ...

    def create(self, endpoint_id: str, unit_code: str, name: str, url: str, secret: str, now: datetime) -> None: ...

    def change(self, document: EndpointRecord, **fields) -> bool:
        """False when another writer changed the endpoint since `document` was read."""

    def rotated_secrets(self, document: EndpointRecord, secret: str, now: datetime,
                        old_expires_at: datetime) -> list[dict]: ...


class UrlPolicy(Protocol):
    def check(self, field_name: str, url: str) -> None:
        """Raises DecisionInvalid naming `field_name` for a URL that is not http(s) or reaches an internal
        address not allow-listed."""


@dataclass(frozen=True)
class SecretShown:
    created_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True)
class EndpointView:
    """An endpoint as admins see it: the secrets' times, never their values."""
    id: str
    unit_code: str
    name: str
    url: str
    status: str
    disabled_reason: str | None
    created_at: datetime
    version: int
    secrets: tuple[SecretShown, ...]

    @property
    def live_secrets(self) -> int:
        return len(self.secrets)


@dataclass(frozen=True)
class WithSecret:
    """The answer of a creation or a rotation: the one time the new secret is shown."""
    endpoint: EndpointView
    secret: str


def shown(record: EndpointRecord, now: datetime) -> EndpointView:
    live = tuple(SecretShown(aware(s["created_at"]), aware(s["expires_at"]) if s.get("expires_at") else None)
                 for s in record.secrets if not s.get("expires_at") or aware(s["expires_at"]) > now)
    return EndpointView(record.id, record.unit_code, record.name, record.url, record.status, record.disabled_reason,
                        aware(record.created_at), record.version, live)


def _admin(principal) -> None:
    if principal is None or not principal.has_role(ADMIN):
        raise NotAuthorised("only an admin manages agency webhook endpoints")


def _managed(endpoint_id: str, principal, endpoints: EndpointRecords, directory: UnitDirectory) -> EndpointRecord:
    _admin(principal)
    record = endpoints.document(endpoint_id)
    if record is None or not administers(principal, record.unit_code, directory):
        raise NotFound(f"no endpoint {endpoint_id} in your areas")
    return record


def _name(name: str) -> str:
    if is_blank(name):
        raise InvalidInput.field("name", "give the endpoint a name")
    return name.strip()


def _url(url: str, url_policy: UrlPolicy) -> str:
    with domain_refusals():
        url_policy.check("url", url)
    return url


def _written(record: EndpointRecord, endpoints: EndpointRecords, fields: dict) -> None:
    if not endpoints.change(record, **fields):
        raise Conflict("the endpoint was changed at the same moment: read it again")


def create_endpoint(command: CreateEndpoint, principal, endpoints: EndpointRecords, directory: UnitDirectory,
                    url_policy: UrlPolicy, new_webhook_secret: Callable[[], str], clock: Clock) -> WithSecret:
    _admin(principal)
    if not directory.named([command.unit_code]):
        raise InvalidInput.field("unit_code", "not a unit this service knows")
    if not administers(principal, command.unit_code, directory):
        raise NotAuthorised("the unit lies outside your areas")
    name, url = _name(command.name), _url(command.url, url_policy)
    endpoint_id, secret, now = uuid.uuid4().hex, new_webhook_secret(), clock.now()
    endpoints.create(endpoint_id, command.unit_code, name, url, secret, now)
    return WithSecret(shown(endpoints.document(endpoint_id), now), secret)


def change_endpoint(command: ChangeEndpoint, principal, endpoints: EndpointRecords, directory: UnitDirectory,
                    url_policy: UrlPolicy, clock: Clock) -> EndpointView:
    record = _managed(command.endpoint_id, principal, endpoints, directory)
    expect_version(record.version, command.expected_version)
    fields = {}
    if command.name is not None:
        fields["name"] = _name(command.name)
    if command.url is not None and command.url != record.url:
        fields["url"] = _url(command.url, url_policy)
    if command.status is not None and command.status not in STATUSES:
        raise InvalidInput.field("status", f"one of {', '.join(STATUSES)}")
    if command.status == ACTIVE:
        fields.update(status=ACTIVE, disabled_reason=None)
    elif command.status == DISABLED and record.status != DISABLED:
        fields.update(status=DISABLED, disabled_reason=f"disabled by {principal.subject}")
    _written(record, endpoints, fields)
    return shown(endpoints.document(record.id), clock.now())


def rotate_endpoint_secret(command: RotateEndpointSecret, principal, endpoints: EndpointRecords,
                           directory: UnitDirectory, new_webhook_secret: Callable[[], str],
                           clock: Clock) -> WithSecret:
    record = _managed(command.endpoint_id, principal, endpoints, directory)
    if not 0 <= command.grace_hours <= MAX_GRACE_HOURS:
        raise InvalidInput.field("grace_hours", f"from 0 to {MAX_GRACE_HOURS} hours")
    expect_version(record.version, command.expected_version)
    secret, now = new_webhook_secret(), clock.now()
    _written(record, endpoints, {"secrets": endpoints.rotated_secrets(
        record, secret, now, now + timedelta(hours=command.grace_hours))})
    return WithSecret(shown(endpoints.document(record.id), now), secret)


def list_endpoints(query: ListEndpoints, principal, endpoints: EndpointRecords, directory: UnitDirectory,
                   clock: Clock) -> tuple[list[EndpointView], int]:
    _admin(principal)
    if not administers(principal, query.unit_code, directory):
        raise NotAuthorised("only an admin of the unit's areas lists its endpoints")
    found, now = endpoints.of_unit(query.unit_code), clock.now()
    return [shown(record, now) for record in found[query.first:query.first + query.limit]], len(found)


def read_endpoint(query: ReadEndpoint, principal, endpoints: EndpointRecords, directory: UnitDirectory,
                  clock: Clock) -> EndpointView:
    return shown(_managed(query.endpoint_id, principal, endpoints, directory), clock.now())


HANDLERS = {CreateEndpoint: create_endpoint, ChangeEndpoint: change_endpoint,
            RotateEndpointSecret: rotate_endpoint_secret, ListEndpoints: list_endpoints,
            ReadEndpoint: read_endpoint}
