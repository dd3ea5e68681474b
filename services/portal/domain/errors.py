"""Refusals of the sign-in that are not in shared/errors.py."""
from __future__ import annotations

from shared.errors import ServiceError


class TooManyAttempts(ServiceError):
    """Too many sign-in attempts for an account or from an address in the window: answered 429 with
    Retry-After."""
    status, title = 429, "Too many requests"

    def __init__(self, retry_after: int):
        super().__init__(f"too many attempts; retry in {retry_after} seconds")
        self.retry_after = retry_after


class SignInRefused(ServiceError):
    """A sign-in step refused. `reason` (wrong_credentials, locked, disabled, wrong_code, expired_code,
    replayed_code, session_expired) chooses the message people read; `until` is when a lock ends."""
    status, title = 401, "Unauthorized"

    def __init__(self, reason: str, until=None):
        super().__init__(f"sign-in refused: {reason}")
        self.reason, self.until = reason, until
