"""Security keys and passkeys (WebAuthn) as a second sign-in factor beside the one-time code (issue 10): the rules
of their names and answers (the commands are in commands.py: BeginKeyRegistration, RegisterSecurityKey,
RemoveSecurityKey, BeginKeySignIn, ConfirmKey; the queries in queries.py)."""
from __future__ import annotations

import unicodedata
from datetime import timedelta

from shared.errors import InvalidInput

REGISTER, AUTHENTICATE = "register", "authenticate"
"""What a pending challenge was issued for: one is never accepted for the other."""
MAX_KEY_NAME = 60
ADD_KEY_WITHIN = timedelta(minutes=5)
"""A key is added only this soon after the session's second step (or its password, for an account without one):
a session left open, or its stolen cookie, cannot add a way in."""
MAX_CREDENTIAL_BYTES = 16 * 1024
"""A posted credential larger than this is refused before it is parsed."""


def key_name(value) -> str:
    """The name a person gives a key, its spaces collapsed; refused naming `name` unless it is text (a JSON string)
    without control characters, 1 to MAX_KEY_NAME characters long."""
    if not isinstance(value, str):
        raise InvalidInput.field("name", "must be text")
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise InvalidInput.field("name", "may not contain control characters (line breaks, tabs, NUL)")
    name = " ".join(value.split())
    if not 0 < len(name) <= MAX_KEY_NAME:
        raise InvalidInput.field("name", f"must be 1 to {MAX_KEY_NAME} characters")
    return name
