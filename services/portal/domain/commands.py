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
class StartHeader:
    """Start reading what a signed-in page's header shows (the inbox counts) beside the page's own reads, unless
    the person's counts were read a few seconds ago and the page may show those (`fresh` False)."""
    access_token: str
    username: str | None = None
    fresh: bool = False


@dataclass(frozen=True)
class IssuePageToken:
    """The access token a page calls the services with, for the person whose session the same request has just
    read as signed in (ReadSession): the session is not read a second time."""
    username: str
    unit: str | None
    roles: tuple[str, ...]
    areas: tuple[str, ...]


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


@dataclass(frozen=True)
class ActOnCase:
    """One of the case page's forms posted (domain/case_actions.py): `action` is STEP_FORM (with `transition`),
    VISIT_FORM, DRUG_TEST_FORM, FOLLOW_UP_FORM or SUPPORT_FORM; `posted` the form's (name, values) pairs; `version`
    the case version the form was rendered from (If-Match); `idempotency_key` the form's own, sent where the API
    takes one (its POSTs)."""
    access_token: str
    case_id: str
    action: str
    version: int
    posted: tuple[tuple[str, tuple[str, ...]], ...]
    idempotency_key: str = ""
    transition: str = ""


@dataclass(frozen=True)
class KeepForm:
    """Keep a form posted after its sign-in ended (domain/kept_forms.py) under the browser's random `handle`."""
    handle: str
    page: str
    """The page the form was on (a path of the portal), where the person is brought back."""
    fields: tuple[tuple[str, tuple[str, ...]], ...]
    owner: str
    """The account whose sign-in ended: only a session of that account gets the form back."""


@dataclass(frozen=True)
class TakeKeptForm:
    """The kept form's fields if it belongs to `page` and to the account of the session `session_token`, removing
    it (one-shot); else None."""
    handle: str
    page: str
    session_token: str


@dataclass(frozen=True)
class SubmitReportFromPortal:
    """Save the figures as the report's draft (at `version`, 0 when there is none yet), then submit it."""
    access_token: str
    task_id: str
    unit_code: str
    period: str
    values: tuple[tuple[str, float], ...]
    narrative: str
    version: int
    idempotency_key: str


@dataclass(frozen=True)
class ReviewReportFromPortal:
    access_token: str
    task_id: str
    unit_code: str
    period: str
    outcome: str
    comments: str
    version: int
    idempotency_key: str


@dataclass(frozen=True)
class ImportRegisterFromPortal:
    """Send an uploaded register to the cases API with the form's own Idempotency-Key (register_pages.py)."""
    access_token: str
    filename: str
    content: bytes
    idempotency_key: str


@dataclass(frozen=True)
class ActOnTherapy:
    """One of the methadone page's forms posted (domain/clinic_pages.py): `action` is DOSE_FORM, PHASE_FORM,
    BREACH_FORM or DISMISS_FORM (with `proposal_id`); `posted` the form's (name, values) pairs; `version` the case
    version it was rendered from (If-Match); `idempotency_key` the form's own, sent where the API takes one."""
    access_token: str
    case_id: str
    action: str
    version: int
    posted: tuple[tuple[str, tuple[str, ...]], ...]
    idempotency_key: str = ""
    proposal_id: str = ""


@dataclass(frozen=True)
class ShareFromCasePage:
    """A referral or transfer asked for, or an open one answered, from the case page's forms (domain/clinic_pages.py:
    `action` is REFERRAL_FORM, TRANSFER_FORM or DECISION_FORM with `share_id`), with the case version the form was
    rendered from as If-Match."""
    access_token: str
    case_id: str
    action: str
    version: int
    posted: tuple[tuple[str, tuple[str, ...]], ...]
    share_id: str = ""


@dataclass(frozen=True)
class BeginKeyRegistration:
    """The options of `navigator.credentials.create` for the signed-in session's account; their challenge is
    kept with the session, good once. Limited per session and `address`."""
    session_token: str
    address: str = ""


@dataclass(frozen=True)
class RegisterSecurityKey:
    """`credential`: the `PublicKeyCredential` the browser answered, as JSON (base64url fields)."""
    session_token: str
    name: str
    credential: dict
    address: str


@dataclass(frozen=True)
class RemoveSecurityKey:
    session_token: str
    credential_id: str
    expected_version: int | None
    address: str


@dataclass(frozen=True)
class BeginKeySignIn:
    """The options of `navigator.credentials.get` for a session awaiting its second step: the account's keys.
    Limited per session and `address`."""
    session_token: str
    address: str = ""


@dataclass(frozen=True)
class ConfirmKey:
    """The second step with a security key: answers the next step and a new session token, as ConfirmCode."""
    session_token: str
    credential: dict
    address: str
