"""Who may see, write and review progress reports (deny by default).

A unit's reporters see and write their own unit's reports only; the task's lead unit sees the reports of its task
and reviews those of the other units; the plan's coordinators review every report of the plan; coordinators and
auditors see the reports of their areas. Nobody reviews their own unit's report unless they coordinate the plan."""
from __future__ import annotations

from shared import areas

from services.plans.domain.access import OVERSEERS, REPORTERS, may_manage

LEAD_UNIT_ROLES = ("unit_reporter", "plan_coordinator", "admin")


def reports_for(principal, unit_code: str) -> bool:
    return principal.unit == unit_code and principal.has_role(*REPORTERS)


def of_lead_unit(principal, lead_unit: str | None) -> bool:
    return principal.unit is not None and principal.unit == lead_unit and principal.has_role(*LEAD_UNIT_ROLES)


def oversees(principal, plan_area: str, report_area: str) -> bool:
    return principal.has_role(*OVERSEERS) and (areas.within_any(principal.areas, plan_area)
                                               or areas.within_any(principal.areas, report_area))


def may_see_report(principal, plan_area: str, lead_unit: str | None, unit_code: str, area_code: str) -> bool:
    """`lead_unit`: the lead unit of the report's task."""
    return (reports_for(principal, unit_code) or of_lead_unit(principal, lead_unit)
            or oversees(principal, plan_area, area_code))


def may_review_report(principal, plan_area: str, lead_unit: str | None, unit_code: str) -> bool:
    if may_manage(principal, plan_area):
        return True
    return of_lead_unit(principal, lead_unit) and principal.unit != unit_code
