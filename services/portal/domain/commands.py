"""What callers ask the portal to do: imperative, frozen dataclasses."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CreateAccount:
    username: str
    full_name: str
    unit: str | None
    roles: tuple[str, ...]
    areas: tuple[str, ...]
    password: str


@dataclass(frozen=True)
class SetAccountStatus:
    """Disabling ends the account's sessions at once; its access tokens die within their 5 minutes."""
    username: str
    status: str
    reason: str
    expected_version: int | None = None


@dataclass(frozen=True)
class ResetPassword:
    username: str
    password: str
    expected_version: int | None = None


@dataclass(frozen=True)
class ResetSecondFactor:
    """The account enrols a new authenticator at its next sign-in."""
    username: str
    expected_version: int | None = None


@dataclass(frozen=True)
class EnrolSecondFactorDirectly:
    """Set a new TOTP secret without the web enrolment (the demo's accounts, printed by run.sh); answers it."""
    username: str


@dataclass(frozen=True)
class CreateClient:
    client_id: str
    name: str
    unit: str | None
    roles: tuple[str, ...]
    areas: tuple[str, ...]


@dataclass(frozen=True)
class SetClientStatus:
    client_id: str
    status: str
    reason: str
    expected_version: int | None = None


@dataclass(frozen=True)
class SignInWithPassword:
    """The first step; answers the next step and a new session token."""
    username: str
    password: str
    address: str


@dataclass(frozen=True)
class ConfirmCode:
    """The second step: the one-time code of the authenticator the account enrolled."""
    session_token: str
    code: str
    address: str


@dataclass(frozen=True)
class BeginEnrolment:
    """An account that needs a second factor and has none: a new secret kept with the session until confirmed."""
    session_token: str


@dataclass(frozen=True)
class ConfirmEnrolment:
    session_token: str
    code: str
    address: str


@dataclass(frozen=True)
class EndSession:
    session_token: str


@dataclass(frozen=True)
class RefreshAccessToken:
    """A new access token for a signed-in session: refused once the session ended or the account is disabled."""
    session_token: str


@dataclass(frozen=True)
class AuthenticateClient:
    client_id: str
    secret: str


@dataclass(frozen=True)
class IssueClientToken:
    client_id: str


@dataclass(frozen=True)
class AcknowledgeFromInbox:
    """`version` is the alert's version the page showed: sent as If-Match, so an alert that changed meanwhile is
    not acknowledged unseen."""
    access_token: str
    alert_id: str
    version: int
