"""Who may see and manage plans and units: deny by default."""
from __future__ import annotations

from shared import areas

COORDINATORS = ("plan_coordinator", "admin")
OVERSEERS = ("plan_coordinator", "auditor", "admin")
"""Who sees every figure of their area: the standing office, auditors, administrators."""
REPORTERS = ("unit_reporter",)
"""Who writes a unit's reports (their own unit's only)."""


def may_manage(principal, area_code: str) -> bool:
    """Plans and units of an area are managed by its plan coordinators."""
    return principal.has_role(*COORDINATORS) and areas.within_any(principal.areas, area_code)


def may_see(principal, area_code: str) -> bool:
    """A plan is visible to callers whose areas it covers or who cover its area."""
    return areas.within_any(principal.areas, area_code) or any(areas.covers(area_code, a) for a in principal.areas)


def sees_plan(principal, plan) -> bool:
    """Drafts are the standing office's working papers: only those who manage the plan see them."""
    if plan.status == "draft":
        return may_manage(principal, plan.area_code)
    return may_see(principal, plan.area_code)


def manages_plan(principal, plan) -> bool:
    return may_manage(principal, plan.area_code)


HOTSPOT_READERS = ("police_liaison", "plan_coordinator", "auditor", "admin")
HOTSPOT_KEEPERS = ("police_liaison", "plan_coordinator")
"""Hotspots are law-enforcement data: the police and the standing office keep them; auditors and admins read."""


def may_see_hotspots(principal) -> bool:
    return principal.has_role(*HOTSPOT_READERS)


def may_see_hotspot(principal, hotspot) -> bool:
    return may_see_hotspots(principal) and areas.within_any(principal.areas, hotspot.commune_code)


def may_keep_hotspot(principal, commune_code: str) -> bool:
    return principal.has_role(*HOTSPOT_KEEPERS) and areas.within_any(principal.areas, commune_code)
