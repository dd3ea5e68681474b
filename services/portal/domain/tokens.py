"""The claims of an access token: exactly those shared/auth.py `mint` writes and every service verifies."""
from __future__ import annotations

import uuid
from datetime import datetime


def access_claims(*, subject: str, roles, unit: str | None, areas, audience: str, issuer: str, now: datetime,
                  ttl_seconds: int) -> dict:
    issued = int(now.timestamp())
    return {"sub": subject, "roles": list(roles), "unit": unit, "areas": list(areas), "aud": audience,
            "iss": issuer, "iat": issued, "nbf": issued, "exp": issued + ttl_seconds, "jti": str(uuid.uuid4())}
