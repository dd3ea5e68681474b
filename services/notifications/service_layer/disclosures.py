"""The accounting of disclosures, read by the inspectorate: each time a case was named to someone outside its
record (which case, to whom, by which channel, when, under which rule). Reading it is itself an access to the
case's record, so it is audited as the cases service audits a read of a case: the entry is written before the
answer leaves, and a refusal is audited too. An auditor or admin reads it only for a case whose alerts were raised
within their areas; any other case answers as one they do not know."""
from __future__ import annotations

from typing import Protocol

from shared import areas
from shared.errors import NotAuthorised, NotFound
from shared.ports import AuditTrail

from services.notifications.domain.access import CASE_SUBJECTS, DISCLOSURE_READERS
from services.notifications.domain.queries import ListDisclosures

SECTION = "disclosures"


class DisclosureListing(Protocol):
    def for_case(self, case_id: str, first: int, limit: int) -> tuple[list[dict], int]: ...


class AlertAreas(Protocol):
    def areas_about(self, subject_type: str, subject_id: str) -> set[str | None]:
        """The areas of the alerts raised about a subject (the disclosures carry only the case's id)."""


def _within(principal, case_id: str, views: AlertAreas) -> bool:
    return any(area is not None and areas.within_any(principal.areas, area)
               for area in views.areas_about(CASE_SUBJECTS[0], case_id))


def list_disclosures(query: ListDisclosures, principal, disclosures: DisclosureListing, views: AlertAreas,
                     audit: AuditTrail) -> tuple[list[dict], int]:
    if not principal.has_role(*DISCLOSURE_READERS):
        audit.record(principal, "read", "case", query.case_id, (SECTION,), outcome="denied")
        raise NotAuthorised("the accounting of disclosures is for the inspectorate (auditor) and admins")
    if not _within(principal, query.case_id, views):
        audit.record(principal, "read", "case", query.case_id, (SECTION,), outcome="denied")
        raise NotFound(f"no case {query.case_id} in your areas")
    page, total = disclosures.for_case(query.case_id, query.first, query.limit)
    audit.record(principal, "read", "case", query.case_id, (SECTION,), purpose="accounting_of_disclosures")
    return page, total


HANDLERS = {ListDisclosures: list_disclosures}
