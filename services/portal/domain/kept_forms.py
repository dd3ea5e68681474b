"""A form posted after its sign-in ended is kept for the person to find filled in once signed in again.

It is kept server-side, sealed, for KEPT_FOR, and given back once; what the browser holds is only a random handle.
Passwords, codes, secrets and the CSRF token are never kept: a form comes back without them."""
from __future__ import annotations

import re
from datetime import timedelta

KEPT_FOR = timedelta(minutes=30)
NEVER_KEPT = re.compile(r"^(code|otp|totp)$|password|passwd|secret|token", re.IGNORECASE)
MAX_KEPT_FIELDS = 100
MAX_KEPT_VALUE = 10_000


def keepable(fields: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The fields worth keeping: none that is a credential, and no more than a form of ours could hold."""
    return tuple((name, tuple(value[:MAX_KEPT_VALUE] for value in values)) for name, values in fields
                 if not NEVER_KEPT.search(name))[:MAX_KEPT_FIELDS]

