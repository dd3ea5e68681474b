"""Registering, removing and signing in with security keys (WebAuthn), beside the one-time code.

A challenge is kept with the web session, taken once and good for SECOND_STEP_TIMEOUT; a key's answer is verified
by the adapter, then the challenge it answered (its hash) and its signature counter are judged on the sign-in record
under the same compare-and-set as a code's time step, so a replayed assertion (even of a key without a counter) or a
cloned key is refused even when two arrive at once, whether or not the session store's take was atomic. A
registration needs no such record: the account refuses a credential id it already has, under its own version. A
refused answer at sign-in counts towards the lockout like a wrong code and is written to the login log; every
refusal names the field `credential` (or `name`) and stores nothing else.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from shared.envelope import Actor
from shared.errors import InvalidInput, NotAuthorised, NotFound, expect_version

from services.portal.domain.errors import SignInRefused, TooManyAttempts
from services.portal.domain.model import SecurityKey
from services.portal.domain.policy import SECOND_STEP_TIMEOUT
from services.portal.domain.commands import (BeginKeyRegistration, BeginKeySignIn, ConfirmKey, RegisterSecurityKey,
                                             RemoveSecurityKey)
from services.portal.domain.queries import ListSecurityKeys, ReadSecondFactors
from services.portal.domain.security_keys import (ADD_KEY_WITHIN, AUTHENTICATE, MAX_CREDENTIAL_BYTES, REGISTER,
                                                  key_name)
from services.portal.service_layer.ports import AWAITING_CODE, SIGNED_IN, CredentialRefused, PendingChallenge
from services.portal.service_layer.presenting import SignInStep
from services.portal.service_layer.signin import (active_account, changed_record, limit_attempts, pending_session,
                                                  refuse_failure, signed_in_step)


@dataclass(frozen=True)
class KeyView:
    credential_id: str
    name: str
    added_at: datetime
    transports: tuple[str, ...]


@dataclass(frozen=True)
class KeyAdded:
    key: KeyView
    version: int
    """The account's version after the key was added (the ETag of the answer)."""


@dataclass(frozen=True)
class KeyList:
    keys: tuple[KeyView, ...]
    version: int
    may_add: bool
    """Whether the session passed its second step recently enough to add a key (ADD_KEY_WITHIN)."""


def _view(key: SecurityKey) -> KeyView:
    return KeyView(key.credential_id, key.name, key.added_at, tuple(key.transports))


def _owner(accounts, sessions, token: str, now):
    """The session and account of a signed-in session (the web layer has judged its idle time)."""
    session = sessions.get(token) if token else None
    if session is None or session.stage != SIGNED_IN:
        raise SignInRefused("session_expired")
    return session, active_account(accounts, sessions, token, session.username)


def _may_add(session, now) -> bool:
    """A SIGNED_IN session is started when its second step is passed (signin.py `signed_in_step`)."""
    return now - session.created_at <= ADD_KEY_WITHIN


def _adding_owner(accounts, sessions, token: str, now):
    """The account of a signed-in session that may add a key now; refused naming `session` otherwise."""
    session, account = _owner(accounts, sessions, token, now)
    if not _may_add(session, now):
        minutes = int(ADD_KEY_WITHIN.total_seconds() // 60)
        raise NotAuthorised(f"a key is added only within {minutes} minutes of signing in: sign in again",
                            errors={"session": [f"signed in more than {minutes} minutes ago: sign in again"]})
    return account


def _listed(account, session, now) -> KeyList:
    return KeyList(tuple(_view(k) for k in account.security_keys), account.version, _may_add(session, now))


def _sized(credential) -> dict:
    if not isinstance(credential, dict):
        raise InvalidInput.field("credential", "must be the PublicKeyCredential the browser answered, as JSON")
    if len(repr(credential)) > MAX_CREDENTIAL_BYTES:
        raise InvalidInput.field("credential", f"must be at most {MAX_CREDENTIAL_BYTES} bytes")
    return credential


def _challenge(challenges, token: str, purpose: str, now) -> PendingChallenge | None:
    """The session's pending challenge for `purpose`, taken; None if there is none, it was issued for something
    else or it is older than the second step's timeout."""
    pending = challenges.take(token)
    if pending is None or pending.purpose != purpose or now - pending.issued_at > SECOND_STEP_TIMEOUT:
        return None
    return pending


def _limit_options(limiter, limits, token: str, address: str, now) -> None:
    """Options cost a challenge written to the session each: limited per session (as an account's attempts) and
    per address, in buckets of their own so asking does not spend a person's sign-in attempts."""
    session = hashlib.sha256(token.encode("utf-8")).hexdigest()
    waits = [limiter.hit(f"key-options:session:{session}", limits.per_account, now),
             limiter.hit(f"key-options:address:{address}", limits.per_address, now)]
    wait = max((w for w in waits if w), default=None)
    if wait:
        raise TooManyAttempts(wait)


def _new_user_handle() -> str:
    """64 random bytes, base64url, as WebAuthn asks of a user handle: it names no one."""
    return base64.urlsafe_b64encode(secrets.token_bytes(64)).rstrip(b"=").decode("ascii")


def begin_key_registration(command: BeginKeyRegistration, principal, accounts, sessions, security_keys, challenges,
                           limiter, limits, clock) -> dict:
    now = clock.now()
    account = _adding_owner(accounts, sessions, command.session_token, now)
    _limit_options(limiter, limits, command.session_token, command.address, now)
    handle = account.user_handle or _new_user_handle()
    options, challenge = security_keys.registration_options(
        account.id, [key.credential_id for key in account.security_keys], handle)
    challenges.keep(command.session_token, REGISTER, challenge, now, handle)
    return options


def register_security_key(command: RegisterSecurityKey, principal, accounts, sessions, security_keys, challenges,
                          login_log, clock) -> KeyAdded:
    now = clock.now()
    account = _adding_owner(accounts, sessions, command.session_token, now)
    name = key_name(command.name)
    credential = _sized(command.credential)
    pending = _challenge(challenges, command.session_token, REGISTER, now)
    if pending is None:
        raise InvalidInput.field("credential", "no registration is pending for this session (or it expired): "
                                               "ask for new options")
    try:
        registered = security_keys.verify_registration(credential, pending.challenge)
    except CredentialRefused as refused:
        raise InvalidInput.field("credential", str(refused)) from None
    key = SecurityKey(registered.credential_id, registered.public_key, registered.sign_count,
                      list(registered.transports), name, now)
    account.add_security_key(key, now, pending.user_handle)
    accounts.save(account, Actor(id=account.id, role="self"))
    login_log.record(account.id, command.address, "security_key_added", now)
    return KeyAdded(_view(key), account.version)


def remove_security_key(command: RemoveSecurityKey, principal, accounts, sessions, login_log, clock) -> KeyList:
    now = clock.now()
    session, account = _owner(accounts, sessions, command.session_token, now)
    if command.expected_version is None:
        raise InvalidInput.field("version", "the version of the keys this removal was read from is required")
    if account.security_key(command.credential_id or "") is None:
        raise NotFound("no such security key on this account")
    expect_version(account.version, command.expected_version)
    account.remove_security_key(command.credential_id, now)
    accounts.save(account, Actor(id=account.id, role="self"))
    login_log.record(account.id, command.address, "security_key_removed", now)
    return _listed(account, session, now)


def list_security_keys(query: ListSecurityKeys, principal, accounts, sessions, clock) -> KeyList:
    now = clock.now()
    session, account = _owner(accounts, sessions, query.session_token, now)
    return _listed(account, session, now)


def begin_key_sign_in(command: BeginKeySignIn, principal, accounts, sessions, security_keys, challenges, limiter,
                      limits, clock) -> dict:
    now = clock.now()
    session = pending_session(sessions, command.session_token, AWAITING_CODE, now)
    _limit_options(limiter, limits, command.session_token, command.address, now)
    account = active_account(accounts, sessions, command.session_token, session.username)
    if not account.security_keys:
        raise InvalidInput.field("credential", "this account has no security key: enter the code")
    options, challenge = security_keys.authentication_options(
        [(key.credential_id, list(key.transports)) for key in account.security_keys])
    challenges.keep(command.session_token, AUTHENTICATE, challenge, now)
    return options


def _refuse_key(signins, login_log, username, address, reason: str, now, why: str):
    """Counted like a wrong code; the attempt ends if that locked the account."""
    refusal = refuse_failure(signins, login_log, username, address, reason, now, reason)
    if refusal.reason == "locked":
        return refusal
    return InvalidInput.field("credential", why)


def confirm_key(command: ConfirmKey, principal, accounts, signins, sessions, security_keys, challenges, limiter,
                limits, login_log, clock) -> SignInStep:
    now = clock.now()
    token = command.session_token
    session = pending_session(sessions, token, AWAITING_CODE, now)
    limit_attempts(limiter, limits, login_log, session.username, command.address, now)
    account = active_account(accounts, sessions, token, session.username)
    credential = _sized(command.credential)
    pending = _challenge(challenges, token, AUTHENTICATE, now)
    challenge = pending.challenge if pending else None

    def refuse(reason: str, why: str):
        return _refuse_key(signins, login_log, account.id, command.address, reason, now, why)
    if challenge is None:
        raise refuse("wrong_key", "no sign-in with a key is pending for this session (or it expired): try again")
    try:
        key = account.security_key(security_keys.credential_id(credential))
        if key is None:
            raise refuse("unknown_key", "this security key is not registered to this account")
        count = security_keys.verify_authentication(credential, challenge, key.public_key)
    except CredentialRefused as refused:
        raise refuse("wrong_key", str(refused)) from None

    answered = hashlib.sha256(challenge).hexdigest()

    def use(record):
        if record.locked(now):
            return "locked"
        if not record.challenge_is_fresh(answered):
            return "reused"
        if not record.key_count_is_fresh(key.credential_id, count, key.sign_count):
            return "replayed"
        record.succeed_with_key(key.credential_id, count, now, answered)
        return "good"
    record, outcome = changed_record(signins, account.id, use)
    if outcome == "locked":
        login_log.record(account.id, command.address, "locked", now)
        raise SignInRefused("locked", record.locked(now))
    if outcome == "reused":
        raise refuse("replayed_key", "this answer to the challenge was already used: a replayed answer")
    if outcome == "replayed":
        raise refuse("replayed_key", "the key's signature counter did not go up: a copied key or a replayed answer")
    login_log.record(account.id, command.address, "signed_in", now)
    return signed_in_step(sessions, accounts, token, account, now)


def read_second_factors(query: ReadSecondFactors, principal, accounts, sessions, clock) -> tuple[bool, bool]:
    session = pending_session(sessions, query.session_token, AWAITING_CODE, clock.now())
    account = active_account(accounts, sessions, query.session_token, session.username)
    return bool(account.sealed_secret), bool(account.security_keys)


HANDLERS = {BeginKeyRegistration: begin_key_registration, RegisterSecurityKey: register_security_key,
            RemoveSecurityKey: remove_security_key, ListSecurityKeys: list_security_keys,
            BeginKeySignIn: begin_key_sign_in, ConfirmKey: confirm_key, ReadSecondFactors: read_second_factors}
