"""Security keys and passkeys (WebAuthn) as a second sign-in factor beside the one-time code (issue 10): the rules
of their names and answers (the commands are in commands.py: BeginKeyRegistration, RegisterSecurityKey,
RemoveSecurityKey, BeginKeySignIn, ConfirmKey; the queries in queries.py)."""
from __future__ import annotations

REGISTER, AUTHENTICATE = "register", "authenticate"
"""What a pending challenge was issued for: one is never accepted for the other."""
MAX_KEY_NAME = 60
MAX_CREDENTIAL_BYTES = 16 * 1024
"""A posted credential larger than this is refused before it is parsed."""


def key_name(value) -> str | None:
    """The name a person gives a key, on one line, or None if it is empty or too long."""
    name = " ".join(str(value or "").split())
    return name if 0 < len(name) <= MAX_KEY_NAME else None
