"""The inspectorate's read of a service's audit (GET /api/v1/audit): for the auditor role only. The same query
and handler in every service; each bootstrap merges HANDLERS and wires `audit` (shared.audit.AuditLog)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.clock import province_today
from shared.errors import InvalidInput, NotAuthorised

READERS = ("auditor",)
LONGEST_RANGE_DAYS = 366


@dataclass(frozen=True)
class ListAuditEntries:
    resource_id: str | None = None
    subject: str | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None
    after: str | None = None
    limit: int = 100


def list_audit_entries(query: ListAuditEntries, principal, audit) -> tuple[list[dict], str | None]:
    """A page of entries and the cursor of the next; a day range without resource_id or subject is read chain by
    chain, so it is bounded."""
    if not set(READERS) & set(principal.roles):
        raise NotAuthorised("the audit is read by the inspectorate (auditor) only")
    if query.since and query.until and query.since > query.until:
        raise InvalidInput.field("to", "is before from")
    if not (query.resource_id or query.subject) and query.since and \
            ((query.until or province_today()) - query.since).days >= LONGEST_RANGE_DAYS:
        raise InvalidInput.field("to", f"at most {LONGEST_RANGE_DAYS} days after from without resource_id or subject")
    return audit.entries(resource_id=query.resource_id, subject=query.subject, action=query.action,
                         since=query.since, until=query.until, after=query.after, limit=query.limit)


HANDLERS = {ListAuditEntries: list_audit_entries}
