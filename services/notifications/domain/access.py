"""Who may read which alerts: a unit's inbox is its own, and alerts about cases are for the roles that work
cases, even within the recipient unit."""
from __future__ import annotations

from services.notifications.domain.model import ROUTES

CASE_READERS = ("caseworker", "police_liaison", "health_worker", "admin")
CASE_CATEGORIES = tuple(sorted({route.category for route in ROUTES.values() if route.subject_type == "case"}))


def hidden_categories(principal) -> tuple[str, ...]:
    """Categories of alerts the caller may not read in their unit's inbox."""
    return () if principal.has_role(*CASE_READERS) else CASE_CATEGORIES


def may_read(principal, recipient_unit: str, category: str) -> bool:
    return recipient_unit == principal.unit and category not in hidden_categories(principal)
