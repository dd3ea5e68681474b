"""Service clients of agency systems: created by an admin with a secret shown once, kept as a hash; they take
access tokens with the client credentials grant (entrypoints/oauth.py)."""
from __future__ import annotations

import secrets

from shared.envelope import Actor
from shared.errors import Conflict, NotFound, expect_version

from services.portal.domain.commands import AuthenticateClient, CreateClient, IssueClientToken, SetClientStatus
from services.portal.domain.model import ServiceClient
from services.portal.domain.policy import ACCESS_TOKEN_SECONDS, CLIENT_ID, CLIENT_ROLES
from services.portal.domain.queries import ListClients, ReadClient
from services.portal.domain.tokens import access_claims
from services.portal.service_layer import checks
from services.portal.service_layer.presenting import ClientView, client_view


def _client(clients, client_id: str, principal, expected_version: int | None = None) -> ServiceClient:
    client = clients.get(client_id) if CLIENT_ID.match(client_id or "") else None
    if client is None:
        raise NotFound(f"no service client {client_id!r}")
    checks.admin_over(principal, client.areas)
    expect_version(client.version, expected_version)
    return client


def create_client(command: CreateClient, principal, clients, hasher, clock) -> ClientView:
    client_id = checks.identifier(command.client_id, CLIENT_ID, "client_id")
    name = checks.name(command.name, "name")
    unit = checks.unit(command.unit)
    roles = checks.roles(command.roles, CLIENT_ROLES)
    areas = checks.areas(command.areas)
    checks.admin_over(principal, areas)
    if clients.exists(client_id):
        raise Conflict(f"the client {client_id!r} exists", errors={"client_id": ["already taken"]})
    secret = secrets.token_urlsafe(32)
    client = ServiceClient.create(client_id, name=name, unit=unit, roles=roles, areas=areas,
                                  secret_hash=hasher.hash(secret), at=clock.now())
    clients.save(client, Actor.of(principal))
    return client_view(client, secret)


def set_client_status(command: SetClientStatus, principal, clients, clock) -> ClientView:
    status, reason = checks.status(command.status, command.reason)
    client = _client(clients, command.client_id, principal, command.expected_version)
    client.set_status(status, reason, clock.now())
    clients.save(client, Actor.of(principal))
    return client_view(client)


def read_client(query: ReadClient, principal, clients) -> ClientView:
    return client_view(_client(clients, query.client_id, principal))


def list_clients(query: ListClients, principal, client_directory) -> list[ClientView]:
    """The clients whose areas lie within the admin's."""
    checks.admin_over(principal, ())
    return [client_view(client) for client in client_directory.clients() if checks.within(principal, client.areas)]


def authenticate_client(command: AuthenticateClient, principal, clients, hasher) -> bool:
    """Only an active client with the right secret; an unknown one costs the same time."""
    client = clients.get(command.client_id) if CLIENT_ID.match(command.client_id or "") else None
    if client is None:
        hasher.verify_nothing(command.secret)
        return False
    return hasher.verify(client.secret_hash, command.secret) and client.active


def issue_client_token(command: IssueClientToken, principal, clients, signer, clock) -> dict:
    client = clients.get(command.client_id)
    if client is None or not client.active:
        raise NotFound(f"no active service client {command.client_id!r}")
    claims = access_claims(subject=client.id, roles=client.roles, unit=client.unit, areas=client.areas,
                           audience=signer.audience, issuer=signer.issuer, now=clock.now(),
                           ttl_seconds=ACCESS_TOKEN_SECONDS)
    return {"access_token": signer.sign(claims), "token_type": "Bearer", "expires_in": ACCESS_TOKEN_SECONDS}


HANDLERS = {CreateClient: create_client, SetClientStatus: set_client_status, ReadClient: read_client,
            ListClients: list_clients,
            AuthenticateClient: authenticate_client, IssueClientToken: issue_client_token}
