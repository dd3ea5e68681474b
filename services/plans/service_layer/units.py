"""The directory of units that carry plans out: departments, police, communes, schools, clinics, courts."""
from __future__ import annotations

from shared import areas
from shared.auth import Principal
from shared.errors import InvalidInput, NotAuthorised

from services.plans.domain.access import may_manage
from services.plans.domain.commands import RegisterUnit
from services.plans.domain.model import Unit
from services.plans.domain.queries import ListUnits
from services.plans.service_layer.ports import PlanViews, UnitRow
from services.plans.service_layer.unit_of_work import PlansUnitOfWork


def check_in_province(field: str, code: str, province_code: str) -> None:
    if areas.province_of(code) != province_code:
        raise InvalidInput.field(field, f"{code} is not this province or one of its communes")


def register_unit(command: RegisterUnit, principal: Principal, uow: PlansUnitOfWork, province_code: str) -> Unit:
    """A unit covers areas of its registrant's own: alerts about those areas go to it, so pointing its coverage
    elsewhere would reroute other communes' alerts."""
    check_in_province("area_code", command.area_code, province_code)
    for index, code in enumerate(command.covers):
        check_in_province(f"covers.{index}", code, province_code)
    if not may_manage(principal, command.area_code):
        raise NotAuthorised("only plan coordinators of this area manage plans and units")
    for index, code in enumerate(command.covers):
        if not areas.within_any(principal.areas, code):
            raise NotAuthorised(f"{code} is outside your areas: a unit you register covers only those",
                                errors={f"covers.{index}": ["is outside your areas"]})
    unit = Unit.register(command.unit_code, command.name, command.kind, command.area_code, command.covers)
    uow.add(unit, principal)
    return unit


def list_units(query: ListUnits, principal: Principal, views: PlanViews) -> tuple[list[UnitRow], int]:
    return views.units(query.first, query.limit)


HANDLERS = {RegisterUnit: register_unit, ListUnits: list_units}
