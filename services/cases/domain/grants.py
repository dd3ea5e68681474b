"""Break the glass: a time-limited, reasoned opening of a protected section of one case for one person."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.aggregate import Aggregate, DomainEvent

from services.cases.domain.access import BREAK_GLASS_HOURS, PROTECTED
from services.cases.domain.rules import DecisionInvalid, check_reason

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
    reason: str
    expires_at: datetime


@dataclass(eq=False)
class AccessGrant(Aggregate):
    stream_type = "grant"
    event_types = {AccessEscalated.type: AccessEscalated}
    id: str
    escalated: AccessEscalated | None = None

    @property
    def area_code(self):
        return self.escalated.commune_code if self.escalated else None

    @classmethod
    def open(cls, grant_id: str, case_id: str, commune_code: str, subject: str, role: str, section: str,
             reason: str, now: datetime) -> "AccessGrant":
        if section not in PROTECTED:
            raise DecisionInvalid("section", f"must be one of {', '.join(PROTECTED)}")
        check_reason(reason, MIN_REASON_LENGTH)
        grant = cls(grant_id)
        grant.record(AccessEscalated(grant_id=grant_id, case_id=case_id, commune_code=commune_code, subject=subject,
                                     role=role, section=section, reason=reason.strip(),
                                     expires_at=now + timedelta(hours=BREAK_GLASS_HOURS)))
        return grant

    def _on_AccessEscalated(self, event: AccessEscalated) -> None:
        self.escalated = event
