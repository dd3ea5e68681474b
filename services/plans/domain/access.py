"""Who may see and manage plans and units: deny by default."""
from __future__ import annotations

from shared import areas

COORDINATORS = ("plan_coordinator", "admin")


def may_manage(principal, area_code: str) -> bool:
    """Plans and units of an area are managed by its plan coordinators."""
    return principal.has_role(*COORDINATORS) and areas.within_any(principal.areas, area_code)


def may_see(principal, area_code: str) -> bool:
    """A plan is visible to callers whose areas it covers or who cover its area."""
    return areas.within_any(principal.areas, area_code) or any(areas.covers(area_code, a) for a in principal.areas)
