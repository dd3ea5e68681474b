"""The one routine of every change to a case: load it once, check that the caller may see it and act on it and
that it is still at the version the caller read, let the domain decide (its refusals become the service errors
callers get), save, audit. A handler writes only what is its own, inside `changing`."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from shared.auth import Principal
from shared.envelope import Actor
from shared.errors import NotAuthorised, NotFound, Unavailable, expect_version
from shared.ports import AuditTrail, Repository

from services.cases.domain.access import may_act, may_see, sections_for
from services.cases.domain.model import Case
from shared.refusals import domain_refusals

log = logging.getLogger(__name__)


class CaseUnitOfWork:
    def __init__(self, cases: Repository, grants: Repository, audit: AuditTrail):
        self.cases, self.grants, self.audit = cases, grants, audit

    def visible(self, case_id: str, principal: Principal) -> Case:
        """The case, if the caller may see it; a refusal is audited and answers as if there were no case."""
        case = self.cases.get(case_id)
        if case is None or not may_see(principal, case):
            if case is not None:
                self.audit.record(principal, "read", "case", case_id, outcome="denied")
            raise NotFound(f"no case {case_id} in your jurisdiction")
        return case

    @contextmanager
    def changing(self, command, principal: Principal, roles: tuple[str, ...] | None, action: str,
                 sections: set[str] | Callable[[Case], set[str]] | None = None,
                 also: Callable[[Case], None] | None = None) -> Iterator[Case]:
        """The case `command` names, to change inside the block; saved and audited as `action` (on `sections`,
        by default all the caller's; a function of the case when they depend on it) when the block ends without an error. `roles` None lets in whoever sees the
        case; `also` is a handler's own check of the caller against the case (the treating clinic, the receiver
        of a referral), made before the version is compared."""
        case = self.visible(command.case_id, principal)
        if roles is not None and not may_act(principal, roles, case):
            raise NotAuthorised("this case is outside your role or jurisdiction")
        if also is not None:
            also(case)
        expect_version(case.version, getattr(command, "expected_version", None))
        with domain_refusals():
            yield case
        self._audited(lambda: self.cases.save(case, Actor.of(principal)), principal, action, case.id,
                      sections_for(principal.roles) if sections is None
                      else sections(case) if callable(sections) else sections)

    def add(self, aggregate, principal: Principal, action: str, sections: set[str], case_id: str,
            purpose: str | None = None) -> None:
        """Save a new case or break-the-glass grant, audited against its case."""
        repository = {"case": self.cases, "grant": self.grants}[aggregate.stream_type]
        self._audited(lambda: repository.save(aggregate, Actor.of(principal)), principal, action, case_id,
                      sections, purpose)

    def _audited(self, save: Callable[[], object], principal: Principal, action: str, case_id: str,
                 sections, purpose: str | None = None) -> None:
        """No change unaudited: its intent is written before `save` (if it cannot be, nothing is saved), its
        completion after, "failed" when the save raised. A completion that cannot be written after a save that
        succeeded is logged, not raised: the change is saved and its intent names it (the verification lists it),
        while a 503 would make the caller retry a change that was made."""
        intent = self.audit.record(principal, action, "case", case_id, sections, outcome="intended", purpose=purpose)
        try:
            save()
        except Exception:
            with suppress(Unavailable):
                self.audit.record(principal, action, "case", case_id, sections, outcome="failed", purpose=purpose,
                                  intent=intent)
            raise
        try:
            self.audit.record(principal, action, "case", case_id, sections, purpose=purpose, intent=intent)
        except Unavailable:
            log.warning("the completion of audit intent %s could not be written; the change was saved", intent)
