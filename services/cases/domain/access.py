"""Which sections of a case each role may see: deny by default (DOMAIN.md, Privacy)."""
from __future__ import annotations

IDENTITY = "identity"            # name, birth date, sex, residence
IDENTITY_CONTACT = "contact"     # national ID, phone, address, guardian
LEGAL = "legal"                  # stage, regime, decisions, due dates, that a drug test was done and its result
CLINICAL = "clinical"            # test substances, assessment details, methadone doses
SUPPORT = "support"              # counselling notes, training, jobs, loans
PROTECTED = (IDENTITY_CONTACT, CLINICAL, SUPPORT)
BREAK_GLASS_HOURS = 4

SECTIONS_BY_ROLE = {
    "caseworker": {IDENTITY, IDENTITY_CONTACT, LEGAL, SUPPORT},
    "police_liaison": {IDENTITY, IDENTITY_CONTACT, LEGAL},
    "health_worker": {IDENTITY, LEGAL, CLINICAL},
    "admin": {IDENTITY, LEGAL},
}


EVENT_SECTIONS = (("cases.ost.", CLINICAL), ("cases.case.support_recorded", SUPPORT))


def section_of(event_type: str) -> str:
    """The section a case event belongs to: methadone events are clinical, support records support, the rest
    legal."""
    return next((section for prefix, section in EVENT_SECTIONS if event_type.startswith(prefix)), LEGAL)


def sections_for(roles) -> set[str]:
    allowed: set[str] = set()
    for role in roles:
        allowed |= SECTIONS_BY_ROLE.get(role, set())
    return allowed
