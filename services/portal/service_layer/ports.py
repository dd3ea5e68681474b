"""What the portal's handlers need from the outside, as protocols; adapters/ implements them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

SIGNED_IN, AWAITING_CODE, AWAITING_ENROLMENT = "signed_in", "code", "enrol"
ENDED = "ended"
"""The stage `ReadSession` answers for a session it has just ended (idle, account disabled): it names the account
only, so a form posted with it is kept for that account alone."""


@dataclass(frozen=True)
class WebSession:
    username: str
    stage: str
    created_at: datetime
    last_seen: datetime
    pending_secret: str | None = None


class Sessions(Protocol):
    """Server-side sessions; the browser holds only a random token, the store only its hash."""

    def start(self, username: str, stage: str, now: datetime) -> str: ...
    def get(self, token: str) -> WebSession | None: ...
    def touch(self, token: str, now: datetime) -> None: ...
    def keep_pending_secret(self, token: str, sealed_secret: str) -> None: ...
    def end(self, token: str) -> None: ...
    def end_all(self, username: str) -> None: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...
    def verify_nothing(self, password: str) -> None:
        """Spend the time of a verification when there is no account, so timing does not tell which exist."""


class CommonPasswords(Protocol):
    def __contains__(self, lowered: str) -> bool: ...


@dataclass(frozen=True)
class CodeMatch:
    """`outcome`: good (a code of the current window, at `step`), expired (of a recent past step), wrong."""
    outcome: str
    step: int | None = None


class SecondFactor(Protocol):
    def new_secret(self) -> str: ...
    def provisioning_uri(self, secret: str, username: str) -> str: ...
    def qr_svg_data_uri(self, uri: str) -> str: ...
    def match(self, secret: str, code: str, now: datetime) -> CodeMatch: ...


class Sealer(Protocol):
    """Secrets kept at rest encrypted, bound to the account they belong to."""

    def seal(self, secret: str, username: str) -> str: ...
    def open(self, sealed: str, username: str) -> str: ...


class RateLimiter(Protocol):
    def hit(self, bucket: str, limit: int, now: datetime) -> int | None:
        """Count an attempt in `bucket`'s current window; the seconds until the window ends if over `limit`."""


class LoginLog(Protocol):
    def record(self, username: str, address: str, outcome: str, at: datetime) -> None: ...
    def recent(self, username: str, limit: int) -> list[dict]: ...


class TokenSigner(Protocol):
    issuer: str
    audience: str

    def sign(self, claims: dict) -> str: ...


class CredentialRefused(Exception):
    """A WebAuthn answer that does not verify (garbled, forged, for another challenge, origin or key); the message
    says why, without anything of the person."""


@dataclass(frozen=True)
class RegisteredKey:
    credential_id: str
    public_key: str
    sign_count: int
    transports: list[str]


class SecurityKeys(Protocol):
    """WebAuthn for the portal's relying party (adapters/webauthn_keys.py); ids and keys base64url, challenges
    bytes; the options JSON-ready for the browser's script."""

    def registration_options(self, username: str, exclude: list[str], user_handle: str) -> tuple[dict, bytes]:
        """`user_handle` (base64url) is the account's WebAuthn user id: the same for every key of the account, so
        an authenticator registering again replaces its credential rather than adding a second."""
    def verify_registration(self, credential: dict, challenge: bytes) -> RegisteredKey: ...
    def authentication_options(self, keys: list[tuple[str, list[str]]]) -> tuple[dict, bytes]: ...
    def credential_id(self, credential: dict) -> str: ...
    def verify_authentication(self, credential: dict, challenge: bytes, public_key: str) -> int:
        """The signature counter the authenticator answered; the caller judges whether it went up."""


@dataclass(frozen=True)
class PendingChallenge:
    purpose: str
    challenge: bytes
    issued_at: datetime
    user_handle: str | None = None
    """The WebAuthn user id a registration's options named (base64url)."""


class Challenges(Protocol):
    """The one pending WebAuthn challenge of a web session, kept in its session document."""

    def keep(self, session_token: str, purpose: str, challenge: bytes, now: datetime,
             user_handle: str | None = None) -> None: ...
    def take(self, session_token: str) -> PendingChallenge | None:
        """The pending challenge, removed in the same step: a second take answers None."""
