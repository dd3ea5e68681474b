"""The accounting of disclosures, read by the inspectorate: each time a case was named to someone outside its
record (which case, to whom, by which channel, when, under which rule). Reading it is itself an access to the
case's record, so it is audited as the cases service audits a read of a case: the entry is written before the
answer leaves, and a refusal is audited too."""
from __future__ import annotations

from typing import Protocol

from shared.errors import NotAuthorised
from shared.ports import AuditTrail

from services.notifications.domain.access import DISCLOSURE_READERS
from services.notifications.domain.queries import ListDisclosures

SECTION = "disclosures"


class DisclosureListing(Protocol):
    def for_case(self, case_id: str, first: int, limit: int) -> tuple[list[dict], int]: ...


def list_disclosures(query: ListDisclosures, principal, disclosures: DisclosureListing,
                     audit: AuditTrail) -> tuple[list[dict], int]:
    if not principal.has_role(*DISCLOSURE_READERS):
        audit.record(principal, "read", "case", query.case_id, (SECTION,), outcome="denied")
        raise NotAuthorised("the accounting of disclosures is for the inspectorate (auditor) and admins")
    page, total = disclosures.for_case(query.case_id, query.first, query.limit)
    audit.record(principal, "read", "case", query.case_id, (SECTION,), purpose="accounting_of_disclosures")
    return page, total


HANDLERS = {ListDisclosures: list_disclosures}
