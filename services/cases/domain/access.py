"""Which sections of a case each role may see: deny by default (DOMAIN.md, Privacy)."""
from __future__ import annotations

IDENTITY = "identity"            # name, birth date, sex, residence
IDENTITY_CONTACT = "contact"     # national ID, phone, address, guardian
LEGAL = "legal"                  # stage, regime, decisions, due dates

SECTIONS_BY_ROLE = {
    "caseworker": {IDENTITY, IDENTITY_CONTACT, LEGAL},
    "police_liaison": {IDENTITY, IDENTITY_CONTACT, LEGAL},
    "health_worker": {IDENTITY, LEGAL},
    "admin": {IDENTITY, LEGAL},
}


def sections_for(roles) -> set[str]:
    allowed: set[str] = set()
    for role in roles:
        allowed |= SECTIONS_BY_ROLE.get(role, set())
    return allowed
