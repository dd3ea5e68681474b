"""Break the glass: a time-limited, reasoned opening of a protected section of one case for one health worker,
at most a few a day each, revocable by the treating clinic and shown on the case."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.aggregate import Aggregate, DomainEvent

from services.cases.domain.access import BREAK_GLASS_HOURS, PROTECTED
from services.cases.domain.rules import DecisionInvalid, NotAllowedNow, check_reason

MIN_REASON_LENGTH = 20


@dataclass(frozen=True)
class AccessEscalated(DomainEvent):
    type = "cases.access.escalated"
    grant_id: str
    case_id: str
    commune_code: str
    subject: str
    role: str
    section: str
    expires_at: datetime
    reason_code: str | None = None
    opened_at: datetime | None = None
    reason_sealed: str | None = None
    reason: str | None = None
    """Only in grants opened before the written reason was sealed (`reason_sealed`); never written now."""


@dataclass(frozen=True)
class AccessRevoked(DomainEvent):
    """Kept in the service's log: the inspectorate was told of the opening, the clinic's reason stays here."""
    type = "cases.access.revoked"
    published = False
    grant_id: str
    case_id: str
    by: str
    at: datetime
    reason_sealed: str | None = None
    reason: str | None = None
    """As AccessEscalated's."""


@dataclass(eq=False)
class AccessGrant(Aggregate):
    stream_type = "grant"
    event_types = {AccessEscalated.type: AccessEscalated, AccessRevoked.type: AccessRevoked}
    id: str
    escalated: AccessEscalated | None = None
    revoked: AccessRevoked | None = None

    @property
    def area_code(self):
        return self.escalated.commune_code if self.escalated else None

    @classmethod
    def open(cls, grant_id: str, case_id: str, commune_code: str, subject: str, role: str, section: str,
             reason_code: str, reason: str, reason_codes, now: datetime, seal_reason) -> "AccessGrant":
        """`seal_reason(text)` encrypts the written reason (checked here in the clear) under the person's key:
        why someone needed a person's treatment data tells about the person."""
        if section not in PROTECTED:
            raise DecisionInvalid("section", f"must be one of {', '.join(PROTECTED)}")
        if reason_code not in reason_codes:
            raise DecisionInvalid("reason_code", f"must be one of {', '.join(reason_codes)}")
        check_reason(reason, MIN_REASON_LENGTH)
        grant = cls(grant_id)
        grant.record(AccessEscalated(grant_id=grant_id, case_id=case_id, commune_code=commune_code, subject=subject,
                                     role=role, section=section, reason_sealed=seal_reason(reason.strip()),
                                     reason_code=reason_code,
                                     opened_at=now, expires_at=now + timedelta(hours=BREAK_GLASS_HOURS)))
        return grant

    def revoke(self, by: str, at: datetime, reason: str, seal_reason) -> None:
        check_reason(reason)
        if self.revoked is not None:
            raise NotAllowedNow("the access is already revoked")
        if at >= self.escalated.expires_at:
            raise NotAllowedNow("the access has already expired")
        self.record(AccessRevoked(grant_id=self.id, case_id=self.escalated.case_id, by=by, at=at,
                                  reason_sealed=seal_reason(reason.strip())))

    def open_until(self) -> datetime:
        """When the section closes again: its expiry, or its revocation if that came first."""
        return self.revoked.at if self.revoked else self.escalated.expires_at

    def _on_AccessEscalated(self, event: AccessEscalated) -> None:
        self.escalated = event

    def _on_AccessRevoked(self, event: AccessRevoked) -> None:
        self.revoked = event
