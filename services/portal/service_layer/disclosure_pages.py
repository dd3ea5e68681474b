"""A case's accounting of disclosures read from both services that keep one, with the inspector's own token:
each API decides whether the person may read it and audits the read."""
from __future__ import annotations

from dataclasses import dataclass, field

from services.portal.domain.disclosure_pages import DELIVERIES_PAGE, DELIVERY_PAGES_READ, Disclosure, merged
from services.portal.domain.pages import INVALID, ServiceProblem
from services.portal.domain.queries import ReadDisclosures
from services.portal.service_layer.pages import ServicesApi, _pagination


@dataclass
class DisclosuresPage:
    case_id: str
    disclosures: list[Disclosure]
    problems: list[ServiceProblem] = field(default_factory=list)


def read_disclosures(query: ReadDisclosures, principal, services_api: ServicesApi) -> DisclosuresPage:
    """The cases service's accounting is the page's answer (its refusal is the page's); deliveries that could not
    be read leave the rest with a message."""
    path = f"/cases/{query.case_id}/disclosures"
    answered, first = services_api.get_many(
        [("cases", path, None), ("notifications", path, {"page": 1, "page_size": DELIVERIES_PAGE})],
        query.access_token)
    if isinstance(answered, ServiceProblem):
        raise answered
    problems, deliveries = [], []
    try:
        deliveries = _all_deliveries(first, path, query.access_token, services_api)
    except ServiceProblem as problem:
        problems.append(problem)
    case_entries, _headers = answered
    if not isinstance(case_entries, list):
        raise ServiceProblem("cases", INVALID, why="the accounting is not a list")
    return DisclosuresPage(query.case_id, merged(case_entries, deliveries), problems)


def _all_deliveries(first, path: str, token: str, services_api: ServicesApi) -> list:
    """Every page of them, or a ServiceProblem: never a part that would look whole."""
    if isinstance(first, ServiceProblem):
        raise first
    body, headers = first
    deliveries = _listed(body)
    _total, pages = _pagination(headers, len(deliveries))
    if pages > DELIVERY_PAGES_READ:
        raise ServiceProblem("notifications", INVALID, field="page",
                             why=f"more than {DELIVERY_PAGES_READ * DELIVERIES_PAGE} deliveries")
    for page in range(2, pages + 1):
        body, _headers = services_api.get("notifications", path, token, {"page": page, "page_size": DELIVERIES_PAGE})
        deliveries += _listed(body)
    return deliveries


def _listed(body) -> list:
    if not isinstance(body, list):
        raise ServiceProblem("notifications", INVALID, why="the deliveries are not a list")
    return body


HANDLERS = {ReadDisclosures: read_disclosures}
