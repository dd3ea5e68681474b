"""A change audited around its save, for service layers whose change is one block (plans, notifications): the
intent is written before the block (if it cannot be, nothing runs), the completion after it, "failed" when the block
raised (a refusal too: the attempt is on record), and a completion that cannot be written after the change was made
is logged rather than raised (the intent names the change; a 503 would have the caller make it twice). Plain
Python: the trail is the port shared.ports.AuditTrail."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from shared.errors import Unavailable

log = logging.getLogger(__name__)


@contextmanager
def audited_change(audit, principal, action: str, resource_type: str, resource_id: str, sections=(),
                   purpose: str | None = None) -> Iterator[str]:
    """Yields the intent's id."""
    intent = audit.record(principal, action, resource_type, resource_id, sections, outcome="intended",
                          purpose=purpose)
    try:
        yield intent
    except Exception:
        with suppress(Unavailable):
            audit.record(principal, action, resource_type, resource_id, sections, outcome="failed", purpose=purpose,
                         intent=intent)
        raise
    try:
        audit.record(principal, action, resource_type, resource_id, sections, purpose=purpose, intent=intent)
    except Unavailable:
        log.warning("the completion of audit intent %s could not be written; the change was made", intent)
