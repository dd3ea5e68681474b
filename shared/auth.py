"""Verifying callers' JWTs, and a local issuer (key pair + CLI) for development and tests.

Production points OIDC_DISCOVERY_URL at the province's OpenID Connect provider; its JWKS is fetched and cached.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.settings import environment_of

ALLOWED_ALGORITHMS = ["EdDSA", "ES256", "RS256"]
ROLE_NAME = re.compile(r"^[a-z][a-z_]{1,63}$")


class AuthError(Exception):
    """The caller is not authenticated; the message says why without echoing the token."""


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: tuple[str, ...]
    unit: str | None
    areas: tuple[str, ...]

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)


class DiscoveryRefused(ValueError):
    """The identity provider cannot be trusted as configured: the services refuse to start."""


LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _trusted_url(url: str) -> str:
    """Keys and the provider's description travel over https; plain http only to this machine (tests, a local
    provider behind the same host)."""
    parsed = urlparse(url)
    if parsed.scheme != "https" and not (parsed.scheme == "http" and parsed.hostname in LOOPBACK):
        raise DiscoveryRefused(f"{url!r} is not https (plain http is for loopback only)")
    return url


def _discovery(url: str, wait_seconds: float) -> dict:
    """The provider's description. A provider may be starting beside this service (the portal under the same
    supervisor): refusing connections, holding them while its workers boot, or answering an error page. Each of
    these is waited out for up to `wait_seconds`; a worker that gave up sooner would stop its whole gunicorn."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            answer = requests.get(url, timeout=5)
            answer.raise_for_status()
            return answer.json()
        except requests.RequestException:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


class TokenVerifier:
    """`roles` are those the identity provider issues (services/roles.py): a token naming another is refused."""

    def __init__(self, audience: str, issuer: str, public_key_file: str | None = None,
                 discovery_url: str | None = None, *, roles, discovery_wait_seconds: float = 60.0):
        self.audience, self.issuer, self.roles = audience, issuer, frozenset(roles)
        self._key = Path(public_key_file).read_bytes() if public_key_file else None
        self._jwks = None
        if discovery_url:
            config = _discovery(_trusted_url(discovery_url), discovery_wait_seconds)
            if config.get("issuer") != issuer:
                raise DiscoveryRefused(f"the provider names itself {config.get('issuer')!r}, not the configured "
                                       f"issuer {issuer!r}")
            self._jwks = jwt.PyJWKClient(_trusted_url(config.get("jwks_uri") or ""), cache_keys=True, lifespan=3600)

    def _signing_key(self, token: str):
        if self._jwks is not None:
            return self._jwks.get_signing_key_from_jwt(token).key
        return self._key

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(token, self._signing_key(token), algorithms=ALLOWED_ALGORITHMS,
                                audience=self.audience, issuer=self.issuer,
                                options={"require": ["exp", "iat", "sub", "aud", "iss"]})
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {exc}") from None
        roles = claims.get("roles") or []
        areas = claims.get("areas") or []
        if not isinstance(roles, list) or not all(r in self.roles for r in roles):
            raise AuthError("invalid token: roles must be a list of known roles")
        if not isinstance(areas, list) or not all(isinstance(a, str) for a in areas):
            raise AuthError("invalid token: areas must be a list of area codes")
        if claims.get("unit") is not None and not isinstance(claims["unit"], str):
            raise AuthError("invalid token: unit must be a string")
        return Principal(subject=str(claims["sub"]), roles=tuple(roles), unit=claims.get("unit"),
                         areas=tuple(areas))


def generate_keys(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    private, public = directory / "jwt-private.pem", directory / "jwt-public.pem"
    if private.exists() and public.exists():
        return
    key = Ed25519PrivateKey.generate()
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    private.chmod(0o600)
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))


def mint(private_key_file: str, *, subject: str, roles, unit: str | None = None, areas=(), audience="donghanh",
         issuer="donghanh-local", ttl_seconds: int = 3600, not_before: int | None = None) -> str:
    now = int(time.time())
    claims = {"sub": subject, "roles": list(roles), "unit": unit, "areas": list(areas), "aud": audience,
              "iss": issuer, "iat": now, "nbf": not_before if not_before is not None else now,
              "exp": now + ttl_seconds, "jti": str(uuid.uuid4())}
    return jwt.encode(claims, Path(private_key_file).read_bytes(), algorithm="EdDSA")


def _role_name(value: str) -> str:
    if not ROLE_NAME.match(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a role name")
    return value


def main(argv=None) -> int:

    parser = argparse.ArgumentParser(prog="python -m shared.auth", description="Local JWT issuer for dev and tests")
    sub = parser.add_subparsers(dest="command", required=True)
    keygen = sub.add_parser("keygen", help="create an Ed25519 key pair unless one exists")
    keygen.add_argument("--dir", default="var/keys")
    minting = sub.add_parser("mint", help="print a signed token")
    minting.add_argument("--key", default="var/keys/jwt-private.pem")
    minting.add_argument("--sub", required=True)
    minting.add_argument("--role", action="append", required=True, type=_role_name)
    minting.add_argument("--unit")
    minting.add_argument("--area", action="append", default=[])
    minting.add_argument("--ttl", type=int, default=8 * 3600)
    minting.add_argument("--audience", default="donghanh")
    minting.add_argument("--issuer", default="donghanh-local")
    args = parser.parse_args(argv)
    if args.command == "keygen":
        generate_keys(Path(args.dir))
        print(json.dumps({"keys": args.dir}))
        return 0
    try:
        environment = environment_of()
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    if environment != "development":
        print("minting tokens is for development only (DONGHANH_ENV=development); sign in at the portal or use "
              "a service client", file=sys.stderr)
        return 2
    print(mint(args.key, subject=args.sub, roles=args.role, unit=args.unit, areas=args.area, audience=args.audience,
               issuer=args.issuer, ttl_seconds=args.ttl))
    return 0


if __name__ == "__main__":
    sys.exit(main())


def verifier_from(settings, roles) -> TokenVerifier:
    return TokenVerifier(settings.jwt_audience, settings.jwt_issuer, settings.jwt_public_key_file,
                         settings.oidc_discovery_url, roles=roles)
