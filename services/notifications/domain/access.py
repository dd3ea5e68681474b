"""Who may read which alerts: a unit's inbox is its own, and only within the caller's areas (whatever the unit
directory says); alerts about cases are for the roles that work cases, even within the recipient unit."""
from __future__ import annotations

CASE_READERS = ("caseworker", "police_liaison", "health_worker", "admin")
CASE_SUBJECTS = ("case",)
DISCLOSURE_READERS = ("auditor", "admin")


def hidden_subject_types(principal) -> tuple[str, ...]:
    """Subjects of alerts the caller may not read in their unit's inbox."""
    return () if principal.has_role(*CASE_READERS) else CASE_SUBJECTS


def may_read(principal, recipient_unit: str, subject_type: str, area_code: str | None, within_any) -> bool:
    """`within_any(areas, area)` answers area containment (shared/areas.py)."""
    return (recipient_unit == principal.unit and subject_type not in hidden_subject_types(principal)
            and (area_code is None or within_any(principal.areas, area_code)))
