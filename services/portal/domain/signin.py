"""An account's sign-in record: consecutive failures, the lockout they lead to, and the last one-time code's time
step (a code is good once). Every change is an event appended under the stream's next version, so two attempts at
once cannot both count from the same state: the second append collides and is retried on the new state
(compare-and-set on FerretDB's unique key, as shared/eventstore.py does)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from shared.aggregate import Aggregate, DomainEvent

from services.portal.domain.policy import LOCKOUT, MAX_FAILURES


@dataclass(frozen=True)
class SignInFailed(DomainEvent):
    """`reason`: wrong_password or wrong_code."""
    type: ClassVar[str] = "portal.signin.failed"
    published: ClassVar[bool] = False
    reason: str
    at: datetime


@dataclass(frozen=True)
class SignedIn(DomainEvent):
    """`code_step`: the time step of the one-time code used (None for an account without a second factor)."""
    type: ClassVar[str] = "portal.signin.succeeded"
    published: ClassVar[bool] = False
    code_step: int | None
    at: datetime


@dataclass(eq=False)
class SignInRecord(Aggregate):
    id: str
    failures: int = 0
    locked_until: datetime | None = None
    last_code_step: int = -1
    last_signed_in_at: datetime | None = None
    stream_type: ClassVar[str] = "signin"
    event_types: ClassVar[dict] = {}

    def locked(self, now: datetime) -> datetime | None:
        """Until when the account is locked, or None."""
        return self.locked_until if self.locked_until and now < self.locked_until else None

    def code_is_fresh(self, step: int) -> bool:
        """A code is good once: only a time step after the last one used."""
        return step > self.last_code_step

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


SignInRecord.event_types = {e.type: e for e in (SignInFailed, SignedIn)}
