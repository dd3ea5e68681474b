"""Errors the service layers raise; the API layer turns each into an application/problem+json response."""
from __future__ import annotations


class ServiceError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, errors: dict[str, list[str]] | None = None, **extra):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}
        self.extra = extra


class InvalidInput(ServiceError):
    """Input that is well-formed but breaks a rule; `errors` names each field."""
    status, title = 422, "Unprocessable input"

    @classmethod
    def field(cls, name: str, message: str) -> "InvalidInput":
        return cls(f"{name}: {message}", errors={name: [message]})


class NotAuthorised(ServiceError):
    status, title = 403, "Forbidden"


class NotFound(ServiceError):
    status, title = 404, "Not found"


class Conflict(ServiceError):
    status, title = 409, "Conflict"


class Erased(Conflict):
    """The owner's data key was destroyed: what it sealed is gone for good, and nothing new is sealed for them."""

    def __init__(self, owner: str):
        super().__init__(f"the personal data of {owner} was erased; nothing more is recorded about them")


class PreconditionFailed(ServiceError):
    status, title = 412, "Precondition failed"


def expect_version(current: int, expected: int | None) -> None:
    """Optimistic concurrency: a write names the version it read (`If-Match`); another version answers 412."""
    if expected is not None and current != expected:
        raise PreconditionFailed(f"the resource is at version {current}, not {expected}", current_version=current)


class TooManyRequests(ServiceError):
    """A limit per caller and period is reached; `retry_after` seconds until it resets (Retry-After)."""
    status, title = 429, "Too many requests"

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail, retry_after=retry_after)
        self.retry_after = retry_after


class Unavailable(ServiceError):
    """Something the request depends on cannot be reached; retrying later may succeed."""
    status, title = 503, "Service unavailable"


class ConcurrencyConflict(Exception):
    """Another writer appended to the stream since the caller read it (shared/eventstore.py)."""

    def __init__(self, stream_id: str, expected_version: int):
        super().__init__(f"stream {stream_id} has moved past version {expected_version}")
        self.stream_id = stream_id
        self.expected_version = expected_version
