"""The refusals a service's domain raises, and the one mapping of them to the answers callers get: an invalid
decision or fact names its field (422), a step not allowed now names what is (409), a role that may not take a
step is forbidden (403). Domain modules raise these; units of work wrap their blocks in `domain_refusals()`."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from shared.errors import Conflict, InvalidInput, NotAuthorised


class Refusal(Exception):
    """The domain will not record this."""


class DecisionInvalid(Refusal):
    """A decision field or a fact is missing or breaks a rule; `field` names it."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


class NotAllowedNow(Refusal):
    """Not possible in the current state; `allowed` names what is, where that helps."""

    def __init__(self, message: str, allowed: list[str] | None = None):
        super().__init__(message)
        self.allowed = allowed


class TransitionForbidden(Refusal):
    """The caller's role may not take this step."""


REASON_MIN_LENGTH = 5
BLANKS = " \t\n\r"
"""What a name or a purpose made only of is blank; VISIBLE says the same as a pattern for the API documents
(anchored, so Python's `re.match` and JSON Schema read it alike; `\\s` differs between the two)."""
VISIBLE = r"^[ \t\n\r]*[^ \t\n\r]"


def is_blank(text: str | None) -> bool:
    return not text or not text.strip(BLANKS)


def check_reason(reason: str | None, minimum: int = REASON_MIN_LENGTH, field_name: str = "reason") -> None:
    """A written reason: refusals, revocations, waivers, amendments and break-the-glass must say why."""
    if not reason or len(reason.strip(BLANKS)) < minimum:
        raise DecisionInvalid(field_name, f"say why, in at least {minimum} characters")


@contextmanager
def domain_refusals() -> Iterator[None]:
    try:
        yield
    except DecisionInvalid as invalid:
        raise InvalidInput.field(invalid.field, invalid.message) from None
    except NotAllowedNow as refused:
        raise Conflict(str(refused), **({} if refused.allowed is None else {"allowed": refused.allowed})) from None
    except TransitionForbidden as forbidden:
        raise NotAuthorised(str(forbidden)) from None
