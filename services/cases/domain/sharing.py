"""Sharing a case between agencies: referrals give another unit access, transfers hand the case to another
commune. Each is requested, then accepted or rejected by the receiver, or revoked by the sender, with a reason."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.aggregate import VariantEvent

from services.cases.domain.rules import DecisionInvalid, SharingRefused, check_reason

MOVING_NOTICE = timedelta(hours=24)
OPEN, ACCEPTED, REJECTED, REVOKED = "requested", "accepted", "rejected", "revoked"
REFERRAL, TRANSFER = "referral", "transfer"
STEP_TYPES = {
    (REFERRAL, OPEN): "cases.case.referred", (REFERRAL, ACCEPTED): "cases.case.referral_accepted",
    (REFERRAL, REJECTED): "cases.case.referral_rejected", (REFERRAL, REVOKED): "cases.case.referral_revoked",
    (TRANSFER, OPEN): "cases.case.transfer_requested", (TRANSFER, ACCEPTED): "cases.case.transferred",
    (TRANSFER, REJECTED): "cases.case.transfer_rejected", (TRANSFER, REVOKED): "cases.case.transfer_revoked"}
SHARING_TYPES = tuple(STEP_TYPES.values())


@dataclass(frozen=True)
class CaseShared(VariantEvent):
    """One step of a referral or transfer; the type names the step (e.g. cases.case.transfer_requested). Its
    written reason is sealed in the log."""
    sealed_fields = ("reason",)
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


def police_notice_deadline(flags, requested_at: datetime) -> datetime | None:
    """Under Law 120/2025 the receiving commune's police must be told within 24 hours of a move."""
    return requested_at + MOVING_NOTICE if "moving_notice_24h" in flags else None


class SharingRecords:
    """Referrals and transfers of a case (mixed into `Case`); uses the case's public state and `record`."""

    @property
    def referred_units(self) -> set[str]:
        """Units that may work the case: referrals they accepted."""
        return self._referral_units(ACCEPTED)

    @property
    def offered_units(self) -> set[str]:
        """Units that may read the case to decide on a referral, or work it after accepting."""
        return self._referral_units(OPEN, ACCEPTED)

    def _referral_units(self, *statuses: str) -> set[str]:
        return {s["to_unit"] for s in self.shares.values() if s["kind"] == REFERRAL and s["status"] in statuses}

    @property
    def pending_transfer(self) -> dict | None:
        return next((s for s in self.shares.values() if s["kind"] == TRANSFER and s["status"] == OPEN), None)

    def share(self, share_id: str, kind: str, by: str, at: datetime, reason: str, flags=(), to_unit=None,
              to_commune=None) -> None:
        check_reason(reason)
        if self.stage == "closed":
            raise SharingRefused("a closed case is not shared")
        if kind == TRANSFER:
            if self.pending_transfer:
                raise SharingRefused("a transfer of this case is already pending")
            if to_commune == self.commune_code:
                raise DecisionInvalid("to_commune", "is the case's own commune")
        if kind == REFERRAL and to_unit in self.offered_units:
            raise SharingRefused(f"the case is already referred to {to_unit}")
        self._record_share(share_id, kind, OPEN, by, at, reason, to_unit, to_commune,
                           police_notice_deadline(flags, at) if kind == TRANSFER else None)

    def settle_share(self, share_id: str, status: str, by: str, at: datetime, reason: str) -> None:
        """Accept or reject (the receiver), or revoke (the sender) an open referral or transfer; a referral that
        was accepted can still be revoked."""
        check_reason(reason)
        share = self.shares.get(share_id)
        if share is None:
            raise SharingRefused(f"no referral or transfer {share_id} on this case")
        revocable = share["status"] == OPEN or (share["kind"] == REFERRAL and share["status"] == ACCEPTED)
        if (status == REVOKED and not revocable) or (status in (ACCEPTED, REJECTED) and share["status"] != OPEN):
            raise SharingRefused(f"the {share['kind']} is {share['status']}")
        self._record_share(share_id, share["kind"], status, by, at, reason, share["to_unit"], share["to_commune"])
        if status in (REJECTED, REVOKED):
            self.end_consents_of_share(share_id, by, at, reason)

    def _record_share(self, share_id, kind, status, by, at, reason, to_unit, to_commune, notify_police_by=None):
        self.record(CaseShared(event_type=STEP_TYPES[kind, status], case_id=self.id, case_number=self.case_number,
                               commune_code=self.commune_code, share_id=share_id, kind=kind, status=status, by=by,
                               at=at, reason=reason, to_unit=to_unit, to_commune=to_commune,
                               notify_police_by=notify_police_by))

    def _on_CaseShared(self, event: CaseShared) -> None:
        kept = {k: v for k, v in self.shares.get(event.share_id, {}).items()
                if k in ("requested_at", "notify_police_by")}
        share = {"kind": event.kind, "status": event.status, "to_unit": event.to_unit,
                 "to_commune": event.to_commune, "requested_at": event.at.isoformat(),
                 "notify_police_by": event.notify_police_by.isoformat() if event.notify_police_by else None}
        self.shares = {**self.shares, event.share_id: {**share, **kept}}
        if event.kind == TRANSFER and event.status == ACCEPTED:
            self.commune_code = event.to_commune
