"""The admin pages' reads of the other services: only an admin gets this far (the same check as the accounts
API), and then the services decide, called with the admin's own token."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from services.portal.domain.admin_pages import RULES_PAGE_SIZE, UNITS_PAGE_SIZE
from services.portal.domain.queries import DryRunRouting, ReadRoutingRules, ReadUnitDirectory
from services.portal.service_layer import checks
from services.portal.service_layer.pages import _pagination


class AdminServicesApi(Protocol):
    def get(self, service: str, path: str, token: str, params: dict | None = None) -> tuple[object, dict]: ...

    def write(self, method: str, service: str, path: str, token: str, body: dict | None = None,
              headers: dict | None = None) -> tuple[object, dict]: ...


@dataclass(frozen=True)
class UnitDirectoryPage:
    units: list[dict]
    page: int
    pages: int
    total: int


def read_unit_directory(query: ReadUnitDirectory, principal, services_api: AdminServicesApi) -> UnitDirectoryPage:
    checks.admin_over(principal, ())
    body, headers = services_api.get("plans", "/units", query.access_token,
                                     {"page": query.page, "page_size": UNITS_PAGE_SIZE})
    units = list(body) if isinstance(body, list) else []
    total, pages = _pagination(headers, len(units))
    return UnitDirectoryPage(units, query.page, pages, total)


def read_routing_rules(query: ReadRoutingRules, principal, services_api: AdminServicesApi) -> list[dict]:
    """The current version of every rule, read-only (they are edited through the notifications API)."""
    checks.admin_over(principal, ())
    body, _headers = services_api.get("notifications", "/rules", query.access_token,
                                      {"page_size": RULES_PAGE_SIZE})
    return list(body) if isinstance(body, list) else []


def dry_run_routing(query: DryRunRouting, principal, services_api: AdminServicesApi) -> dict:
    """Who would get what, by which channel: the notifications service answers; nothing is stored or sent."""
    checks.admin_over(principal, ())
    event = {"type": query.event_type, "data": dict(query.data)}
    if query.area_code:
        event["area_code"] = query.area_code
    body, _headers = services_api.write("POST", "notifications", "/rules/dry-run", query.access_token,
                                        {"rule_id": query.rule_id, "event": event})
    return body if isinstance(body, dict) else {}


HANDLERS = {ReadUnitDirectory: read_unit_directory, ReadRoutingRules: read_routing_rules,
            DryRunRouting: dry_run_routing}
