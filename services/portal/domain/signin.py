"""An account's sign-in record: consecutive failures, the lockout they lead to, and the last one-time code's time
step (a code is good once). Every change is an event appended under the stream's next version, so two attempts at
once cannot both count from the same state: the second append collides and is retried on the new state
(compare-and-set on FerretDB's unique key, as shared/eventstore.py does)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from shared.aggregate import Aggregate, DomainEvent

from services.portal.domain.policy import LOCKOUT, MAX_FAILURES, SECOND_STEP_TIMEOUT


@dataclass(frozen=True)
class SignInFailed(DomainEvent):
    """`reason`: wrong_password, wrong_code (expired_code, replayed_code), or with a security key wrong_key,
    unknown_key, replayed_key."""
    type: ClassVar[str] = "portal.signin.failed"
    published: ClassVar[bool] = False
    reason: str
    at: datetime


@dataclass(frozen=True)
class SignedIn(DomainEvent):
    """`code_step`: the time step of the one-time code used (None for an account without a second factor, or one
    signed in with a security key: then `credential_id`, the `sign_count` its authenticator answered and the
    `challenge_hash`, SHA-256 of the challenge it answered)."""
    type: ClassVar[str] = "portal.signin.succeeded"
    published: ClassVar[bool] = False
    code_step: int | None
    at: datetime
    credential_id: str | None = None
    sign_count: int | None = None
    challenge_hash: str | None = None


@dataclass(eq=False)
class SignInRecord(Aggregate):
    id: str
    failures: int = 0
    locked_until: datetime | None = None
    last_code_step: int = -1
    last_signed_in_at: datetime | None = None
    key_counts: dict[str, int] = field(default_factory=dict)
    """The last signature counter each security key answered (by credential id)."""
    used_challenges: dict[str, datetime] = field(default_factory=dict)
    """The hashes of the challenges a key answered at sign-in, with when: kept as long as a challenge lives
    (SECOND_STEP_TIMEOUT), so an answer is taken once whatever the session's challenge store did."""
    stream_type: ClassVar[str] = "signin"
    event_types: ClassVar[dict] = {}

    def locked(self, now: datetime) -> datetime | None:
        """Until when the account is locked, or None."""
        return self.locked_until if self.locked_until and now < self.locked_until else None

    def code_is_fresh(self, step: int) -> bool:
        """A code is good once: only a time step after the last one used."""
        return step > self.last_code_step

    def key_count_is_fresh(self, credential_id: str, count: int, registered: int) -> bool:
        """A key's signature counter only goes up: a count not above the last one seen (or, before any sign-in,
        the one it registered with) is a cloned key or a replayed assertion. An authenticator without a counter
        answers 0 every time, which proves nothing and is allowed only while no count was ever seen."""
        known = max(registered, self.key_counts.get(credential_id, 0))
        return count > known or count == known == 0

    def challenge_is_fresh(self, challenge_hash: str) -> bool:
        """A challenge is answered once, as a code's time step is used once: a counterless key's second answer to
        the same challenge is otherwise indistinguishable from the first."""
        return challenge_hash not in self.used_challenges

    def succeed_with_key(self, credential_id: str, sign_count: int, at: datetime,
                         challenge_hash: str | None = None) -> None:
        self.record(SignedIn(code_step=None, at=at, credential_id=credential_id, sign_count=sign_count,
                             challenge_hash=challenge_hash))

    def fail(self, reason: str, at: datetime) -> None:
        if not self.locked(at):
            self.record(SignInFailed(reason=reason, at=at))

    def succeed(self, code_step: int | None, at: datetime) -> None:
        self.record(SignedIn(code_step=code_step, at=at))

    def _on_SignInFailed(self, event: SignInFailed) -> None:
        if self.locked_until and event.at >= self.locked_until:
            self.failures, self.locked_until = 0, None
        self.failures += 1
        if self.failures >= MAX_FAILURES:
            self.failures, self.locked_until = 0, event.at + LOCKOUT

    def _on_SignedIn(self, event: SignedIn) -> None:
        self.failures, self.locked_until, self.last_signed_in_at = 0, None, event.at
        if event.code_step is not None:
            self.last_code_step = max(self.last_code_step, event.code_step)
        if event.credential_id is not None:
            self.key_counts = {**self.key_counts, event.credential_id: event.sign_count or 0}
        if event.challenge_hash is not None:
            since = event.at - SECOND_STEP_TIMEOUT
            self.used_challenges = {**{h: at for h, at in self.used_challenges.items() if at >= since},
                                    event.challenge_hash: event.at}


SignInRecord.event_types = {e.type: e for e in (SignInFailed, SignedIn)}
