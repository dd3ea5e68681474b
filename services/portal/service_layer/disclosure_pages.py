"""A case's accounting of disclosures read from both services that keep one, with the inspector's own token:
each API decides whether the person may read it and audits the read."""
from __future__ import annotations

from dataclasses import dataclass, field

from services.portal.domain.disclosure_pages import DELIVERIES_PAGE, DELIVERY_PAGES_READ, Disclosure, merged
from services.portal.domain.pages import ServiceProblem
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
    case_entries = answered[0] if isinstance(answered[0], list) else []
    return DisclosuresPage(query.case_id, merged(case_entries, deliveries), problems)


def _all_deliveries(first, path: str, token: str, services_api: ServicesApi) -> list:
    if isinstance(first, ServiceProblem):
        raise first
    body, headers = first
    deliveries = list(body) if isinstance(body, list) else []
    _total, pages = _pagination(headers, len(deliveries))
    for page in range(2, min(pages, DELIVERY_PAGES_READ) + 1):
        body, _headers = services_api.get("notifications", path, token, {"page": page, "page_size": DELIVERIES_PAGE})
        deliveries += body if isinstance(body, list) else []
    return deliveries


HANDLERS = {ReadDisclosures: read_disclosures}
