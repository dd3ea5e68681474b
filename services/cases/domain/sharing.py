"""Sharing a case between agencies: referrals give another unit access, transfers hand the case to another
commune. Each is requested, then accepted or rejected by the receiver, or revoked by the sender, with a reason."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.aggregate import VariantEvent


MOVING_NOTICE = timedelta(hours=24)
OPEN, ACCEPTED, REJECTED, REVOKED = "requested", "accepted", "rejected", "revoked"


@dataclass(frozen=True)
class CaseShared(VariantEvent):
    """One step of a referral or transfer; the type names the step (e.g. cases.case.transfer_requested)."""
    case_id: str
    case_number: str
    commune_code: str
    share_id: str
    kind: str
    status: str
    by: str
    at: datetime
    reason: str
    to_unit: str | None = None
    to_commune: str | None = None
    reason_code: str | None = None
    notify_police_by: datetime | None = None


class SharingRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)


def event_type(kind: str, status: str) -> str:
    if kind == "referral":
        return {OPEN: "cases.case.referred", ACCEPTED: "cases.case.referral_accepted",
                REJECTED: "cases.case.referral_rejected", REVOKED: "cases.case.referral_revoked"}[status]
    return {OPEN: "cases.case.transfer_requested", ACCEPTED: "cases.case.transferred",
            REJECTED: "cases.case.transfer_rejected", REVOKED: "cases.case.transfer_revoked"}[status]


def police_notice_deadline(flags, requested_at: datetime) -> datetime | None:
    """Under Law 120/2025 the receiving commune's police must be told within 24 hours of a move."""
    return requested_at + MOVING_NOTICE if "moving_notice_24h" in flags else None
