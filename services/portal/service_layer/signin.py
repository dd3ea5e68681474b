"""Signing in with a password and a one-time code, enrolling an authenticator, and the session that follows.

Every attempt is counted against the account and the address first (429 over the limit), logged (never with the
password or code), and every failure counts towards the account's lockout; the sign-in record is changed by
compare-and-set (domain/signin.py), retried on a concurrent change, so no failure is lost.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from shared.envelope import Actor
from shared.errors import ConcurrencyConflict, Conflict

from services.portal.domain.commands import (BeginEnrolment, ConfirmCode, ConfirmEnrolment, EndSession,
                                             IssuePageToken, RefreshAccessToken, SignInWithPassword)
from services.portal.domain.errors import SignInRefused, TooManyAttempts
from services.portal.domain.policy import (ACCESS_TOKEN_SECONDS, IDLE_TIMEOUT, MAX_PASSWORD_LENGTH,
                                           SECOND_STEP_TIMEOUT, USERNAME, needs_second_factor)
from services.portal.domain.queries import ReadSession
from services.portal.domain.signin import SignInRecord
from services.portal.domain.tokens import access_claims
from services.portal.service_layer.ports import AWAITING_CODE, AWAITING_ENROLMENT, ENDED, SIGNED_IN
from services.portal.service_layer.presenting import Enrolment, SessionView, SignInStep

TOUCH_EVERY = timedelta(seconds=60)
"""A session's last use is written at most this often: the idle timeout is exact to within it."""
ATTEMPTS = 8


@dataclass(frozen=True)
class SignInLimits:
    """Attempts allowed per window (RateLimiter), per account and per client address."""
    per_account: int = 10
    per_address: int = 30


def limit_attempts(limiter, limits: SignInLimits, login_log, username: str, address: str, now) -> None:
    waits = [limiter.hit(f"address:{address}", limits.per_address, now),
             limiter.hit(f"account:{username}", limits.per_account, now)]
    wait = max((w for w in waits if w), default=None)
    if wait:
        login_log.record(username, address, "rate_limited", now)
        raise TooManyAttempts(wait)


def changed_record(signins, username: str, change):
    """Apply `change` to the account's sign-in record and append what it recorded, again on the newer state if
    another attempt appended first. Answers the record and what `change` returned."""
    for _ in range(ATTEMPTS):
        record = signins.get(username) or SignInRecord(username)
        outcome = change(record)
        if not record.pending:
            return record, outcome
        try:
            signins.save(record, Actor(id=username, role="self"))
            return record, outcome
        except ConcurrencyConflict:
            continue
    raise Conflict("too many sign-in attempts at once for this account; try again")


def refuse_failure(signins, login_log, username, address, reason: str, now, refusal: str):
    record, _ = changed_record(signins, username, lambda r: r.fail(reason, now))
    login_log.record(username, address, reason, now)
    until = record.locked(now)
    return SignInRefused("locked", until) if until else SignInRefused(refusal)


def sign_in_with_password(command: SignInWithPassword, principal, accounts, signins, sessions, hasher, limiter,
                          limits, login_log, clock) -> SignInStep:
    now = clock.now()
    username = (command.username or "").strip().lower()[:64]
    limit_attempts(limiter, limits, login_log, username, command.address, now)
    account = accounts.get(username) if USERNAME.match(username) else None
    if account is None or len(command.password) > MAX_PASSWORD_LENGTH:
        hasher.verify_nothing(command.password[:MAX_PASSWORD_LENGTH])
        login_log.record(username, command.address, "unknown_account", now)
        raise SignInRefused("wrong_credentials")
    until = (signins.get(username) or SignInRecord(username)).locked(now)
    if until:
        login_log.record(username, command.address, "locked", now)
        raise SignInRefused("locked", until)
    if not hasher.verify(account.password_hash, command.password):
        raise refuse_failure(signins, login_log, username, command.address, "wrong_password", now,
                              "wrong_credentials")
    if not account.active:
        login_log.record(username, command.address, "disabled", now)
        raise SignInRefused("disabled")
    if account.sealed_secret or account.security_keys:
        stage = AWAITING_CODE
    elif needs_second_factor(account.roles):
        stage = AWAITING_ENROLMENT
    else:
        changed_record(signins, username, lambda r: r.succeed(None, now))
        stage = SIGNED_IN
    token = _started(sessions, accounts, account, stage, now)
    login_log.record(username, command.address, "signed_in" if stage == SIGNED_IN else "password_ok", now)
    return SignInStep(stage, token)


def _started(sessions, accounts, account, stage: str, now) -> str:
    """A session for `account` as this sign-in checked it. The session is started first and the account read again
    after: a disable or reset saved before that read is seen here and the session ended; one saved after it ends
    the session itself (`end_all` follows its save). So no session outlives a change it raced."""
    token = sessions.start(account.id, stage, now)
    current = accounts.read(account.id)
    if current is None or current.version != account.version or not current.active:
        sessions.end(token)
        raise SignInRefused("session_expired")
    return token


def pending_session(sessions, token: str, stage: str, now):
    session = sessions.get(token) if token else None
    if session is None or session.stage != stage or now - session.created_at > SECOND_STEP_TIMEOUT:
        raise SignInRefused("session_expired")
    return session


def active_account(accounts, sessions, token: str, username: str):
    account = accounts.get(username)
    if account is None or not account.active:
        sessions.end(token)
        raise SignInRefused("disabled")
    return account


def _accept_code(signins, login_log, second_factor, username, address, secret, code, now) -> None:
    match = second_factor.match(secret, code, now)
    if match.outcome != "good":
        raise refuse_failure(signins, login_log, username, address, f"{match.outcome}_code", now,
                              f"{match.outcome}_code")

    def use(record):
        if record.locked(now):
            return "locked"
        if not record.code_is_fresh(match.step):
            return "replayed"
        record.succeed(match.step, now)
        return "good"
    record, outcome = changed_record(signins, username, use)
    if outcome == "locked":
        login_log.record(username, address, "locked", now)
        raise SignInRefused("locked", record.locked(now))
    if outcome == "replayed":
        raise refuse_failure(signins, login_log, username, address, "replayed_code", now, "replayed_code")
    login_log.record(username, address, "signed_in", now)


def signed_in_step(sessions, accounts, token: str, account, now) -> SignInStep:
    """A new session token once signed in (the one of the first step is dropped: no session fixation), for the
    account as the second step checked it (`_started`)."""
    sessions.end(token)
    return SignInStep(SIGNED_IN, _started(sessions, accounts, account, SIGNED_IN, now))


def confirm_code(command: ConfirmCode, principal, accounts, signins, sessions, second_factor, sealer, limiter,
                 limits, login_log, clock) -> SignInStep:
    now = clock.now()
    session = pending_session(sessions, command.session_token, AWAITING_CODE, now)
    limit_attempts(limiter, limits, login_log, session.username, command.address, now)
    account = active_account(accounts, sessions, command.session_token, session.username)
    if not account.sealed_secret:
        raise refuse_failure(signins, login_log, account.id, command.address, "wrong_code", now, "wrong_code")
    secret = sealer.open(account.sealed_secret, account.id)
    _accept_code(signins, login_log, second_factor, account.id, command.address, secret, command.code, now)
    return signed_in_step(sessions, accounts, command.session_token, account, now)


def begin_enrolment(command: BeginEnrolment, principal, accounts, sessions, second_factor, sealer,
                    clock) -> Enrolment:
    session = pending_session(sessions, command.session_token, AWAITING_ENROLMENT, clock.now())
    if session.pending_secret:
        secret = sealer.open(session.pending_secret, session.username)
    else:
        secret = second_factor.new_secret()
        sessions.keep_pending_secret(command.session_token, sealer.seal(secret, session.username))
    uri = second_factor.provisioning_uri(secret, session.username)
    return Enrolment(secret, uri, second_factor.qr_svg_data_uri(uri))


def confirm_enrolment(command: ConfirmEnrolment, principal, accounts, signins, sessions, second_factor, sealer,
                      limiter, limits, login_log, clock) -> SignInStep:
    now = clock.now()
    session = pending_session(sessions, command.session_token, AWAITING_ENROLMENT, now)
    if not session.pending_secret:
        raise SignInRefused("session_expired")
    limit_attempts(limiter, limits, login_log, session.username, command.address, now)
    account = active_account(accounts, sessions, command.session_token, session.username)
    secret = sealer.open(session.pending_secret, account.id)
    _accept_code(signins, login_log, second_factor, account.id, command.address, secret, command.code, now)
    account.enrol_second_factor(session.pending_secret, now)
    accounts.save(account, Actor(id=account.id, role="self"))
    return signed_in_step(sessions, accounts, command.session_token, account, now)


def end_session(command: EndSession, principal, sessions) -> None:
    if command.session_token:
        sessions.end(command.session_token)


def read_session(query: ReadSession, principal, session_accounts, sessions, clock) -> SessionView | None:
    """None unless the session exists; one idle past its timeout or whose account is not active is ended here and
    answered as ENDED, naming only its account. `session_accounts` (views.SignedInAccounts) may answer an account
    read a few seconds ago: what must end a session at once ends it in the store."""
    now = clock.now()
    session = sessions.get(query.session_token) if query.session_token else None
    if session is None:
        return None
    idle = IDLE_TIMEOUT if session.stage == SIGNED_IN else SECOND_STEP_TIMEOUT
    account = session_accounts.read(session.username)
    if now - session.last_seen > idle or account is None or not account.active:
        sessions.end(query.session_token)
        return SessionView(session.username, "", None, (), (), ENDED)
    if now - session.last_seen > TOUCH_EVERY:
        sessions.touch(query.session_token, now)
    return SessionView(account.id, account.full_name, account.unit, tuple(account.roles), tuple(account.areas),
                       session.stage)


def refresh_access_token(command: RefreshAccessToken, principal, session_accounts, sessions, signer,
                         clock) -> dict:
    view = read_session(ReadSession(command.session_token), None, session_accounts, sessions, clock)
    if view is None or view.stage != SIGNED_IN:
        raise SignInRefused("session_expired")
    return issue_page_token(IssuePageToken(view.username, view.unit, view.roles, view.areas), None, signer, clock)


def issue_page_token(command: IssuePageToken, principal, signer, clock) -> dict:
    claims = access_claims(subject=command.username, roles=command.roles, unit=command.unit, areas=command.areas,
                           audience=signer.audience, issuer=signer.issuer, now=clock.now(),
                           ttl_seconds=ACCESS_TOKEN_SECONDS)
    return {"access_token": signer.sign(claims), "token_type": "Bearer", "expires_in": ACCESS_TOKEN_SECONDS}


HANDLERS = {SignInWithPassword: sign_in_with_password, ConfirmCode: confirm_code, BeginEnrolment: begin_enrolment,
            ConfirmEnrolment: confirm_enrolment, EndSession: end_session, ReadSession: read_session,
            RefreshAccessToken: refresh_access_token, IssuePageToken: issue_page_token}
