"""Input the admin commands carry, checked before anything is stored: each refusal names its field (422)."""
from __future__ import annotations

from shared import areas as area_codes
from shared.errors import InvalidInput, NotAuthorised

from services.portal.domain.model import STATUSES
from services.portal.domain.policy import AREA_CODE, UNIT_CODE, display_name, password_problem

ADMINS = ("admin",)


def admin_over(principal, account_areas) -> None:
    """Only an admin, and only for accounts whose every area lies within the admin's own (a commune's admin
    cannot make a provincial account)."""
    if principal is None or not principal.has_role(*ADMINS):
        raise NotAuthorised("only an admin manages accounts and service clients")
    if not all(area_codes.within_any(principal.areas, area) for area in account_areas):
        raise NotAuthorised("the account's areas are outside yours")


def identifier(value: str, pattern, field: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise InvalidInput.field(field, "3 to 64 lower-case letters, digits, '.', '_' or '-', starting with a "
                                        "letter or digit")
    return value


def name(value: str, field: str) -> str:
    cleaned = display_name(value or "")
    if not 2 <= len(cleaned) <= 120 or not cleaned.isprintable():
        raise InvalidInput.field(field, "2 to 120 printable characters")
    return cleaned


def unit(value: str | None) -> str | None:
    if value is not None and not UNIT_CODE.match(value):
        raise InvalidInput.field("unit", "a unit code: letters, digits, '.', '_' or '-', at most 64")
    return value


def roles(values, allowed) -> tuple[str, ...]:
    values = tuple(dict.fromkeys(values or ()))
    if not values:
        raise InvalidInput.field("roles", "at least one role")
    unknown = [role for role in values if role not in allowed]
    if unknown:
        raise InvalidInput.field("roles", f"not allowed here: {', '.join(unknown)}; one of {', '.join(allowed)}")
    return values


def areas(values) -> tuple[str, ...]:
    values = tuple(dict.fromkeys(values or ()))
    if not values:
        raise InvalidInput.field("areas", "at least one area (a province or commune code)")
    for value in values:
        if not (isinstance(value, str) and AREA_CODE.match(value) and area_codes.is_area(value)):
            raise InvalidInput.field("areas", f"{value!r} is not a province or commune code")
    return values


def password(value: str, username: str, common) -> str:
    problem = password_problem(value, username, common.__contains__)
    if problem:
        raise InvalidInput.field("password", problem)
    return value


def status(value: str, reason: str) -> tuple[str, str]:
    if value not in STATUSES:
        raise InvalidInput.field("status", f"one of {', '.join(STATUSES)}")
    reason = " ".join((reason or "").split())
    if not 3 <= len(reason) <= 500:
        raise InvalidInput.field("reason", "3 to 500 characters")
    return value, reason


def within(principal, account_areas) -> bool:
    return all(area_codes.within_any(principal.areas, area) for area in account_areas)
