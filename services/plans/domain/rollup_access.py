"""Who sees which rows of a plan's roll-up (deny by default): the standing office's coordinators, auditors and
admins of the plan's area see every row; a unit's reporters see their own unit's row and the province total;
nobody else learns the roll-up exists (404). A draft's roll-up is seen only by those who manage the plan."""
from __future__ import annotations

from shared import areas

from services.plans.domain.access import OVERSEERS, REPORTERS, may_manage


def sees_every_row(principal, plan) -> bool:
    if plan.status == "draft":
        return may_manage(principal, plan.area_code)
    return principal.has_role(*OVERSEERS) and areas.within_any(principal.areas, plan.area_code)


def reporting_unit(principal, plan) -> str | None:
    """The unit whose row (and the total) a unit reporter sees, if the plan is in force."""
    if plan.status == "draft" or not principal.has_role(*REPORTERS):
        return None
    return principal.unit
