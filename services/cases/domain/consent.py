"""Disclosure of a case's protected sections to another unit: the person's consent, or an exception the workflow
names (a court order, a medical emergency), each a record of the case (who, to whom, which sections, for what,
from when until when, on which signed paper), revocable, ending the unit's access at once.

The clinical section is read only within a treatment relationship: the clinic that admitted the person to
methadone, and units a consent or exception covering `clinical` names (`access.sections_of`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from shared.aggregate import DomainEvent

from services.cases.domain.access import PROTECTED
from services.cases.domain.rules import DecisionInvalid, NotAllowedNow, check_reason

CONSENT = "consent"
REFERENCE_MAX_LENGTH = 300


@dataclass(frozen=True)
class DisclosureRules:
    """Per regime in the workflow file (`disclosure`): what a consent may be for, the exceptions the law names,
    the reason codes of break-the-glass, and the kinds of unit a referral to needs the person's consent."""
    purposes: tuple[str, ...] = ("treatment", "assessment", "continuity_of_care", "social_support")
    exceptions: tuple[str, ...] = ("court_order", "medical_emergency")
    break_glass_reasons: tuple[str, ...] = ("medical_emergency", "overdose", "continuity_of_care")
    referral_consent_unit_kinds: tuple[str, ...] = ("health_facility", "rehab_facility")

    @property
    def bases(self) -> tuple[str, ...]:
        return (CONSENT, *self.exceptions)


@dataclass(frozen=True)
class ConsentTerms:
    """What the person (or the exception) allows: `reference` is the signed form's, or the court order's, number."""
    to_unit: str
    sections: tuple[str, ...]
    purpose: str
    basis: str
    reference: str
    valid_from: date
    valid_until: date | None = None

    def check(self, rules: DisclosureRules) -> None:
        if not self.sections or not set(self.sections) <= set(PROTECTED):
            raise DecisionInvalid("sections", f"must be one or more of {', '.join(PROTECTED)}")
        if self.purpose not in rules.purposes:
            raise DecisionInvalid("purpose", f"must be one of {', '.join(rules.purposes)}")
        if self.basis not in rules.bases:
            raise DecisionInvalid("basis", f"must be one of {', '.join(rules.bases)}")
        if not self.reference.strip() or len(self.reference) > REFERENCE_MAX_LENGTH:
            raise DecisionInvalid("reference", f"must name the signed form or order (1-{REFERENCE_MAX_LENGTH} "
                                               "characters)")
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise DecisionInvalid("valid_until", "is before valid_from")


@dataclass(frozen=True)
class ConsentRecorded(DomainEvent):
    """Kept in the case's log only: whom the person lets read what is itself sensitive."""
    type = "cases.consent.recorded"
    published = False
    case_id: str
    consent_id: str
    to_unit: str
    sections: list[str]
    purpose: str
    basis: str
    valid_from: date
    by: str
    at: datetime
    valid_until: date | None = None
    share_id: str | None = None
    reference_sealed: str | None = None
    reference: str | None = None
    """Only in consents recorded before the reference was sealed (`reference_sealed`); never written now."""


@dataclass(frozen=True)
class ConsentRevoked(DomainEvent):
    type = "cases.consent.revoked"
    published = False
    sealed_fields = ("reason",)
    case_id: str
    consent_id: str
    by: str
    at: datetime
    reason: str


CONSENT_EVENTS = (ConsentRecorded, ConsentRevoked)


class ConsentRecords:
    """The consents of a case (mixed into `Case`, whose `consents` maps an id to its terms and status)."""

    def record_consent(self, consent_id: str, terms: ConsentTerms, rules: DisclosureRules, by: str,
                       at: datetime, reference_sealed: str, share_id: str | None = None) -> None:
        """`reference_sealed` is the caller's encryption of `terms.reference` (checked here in the clear): a
        signed form's or a court order's number leads to the person's file. `share_id`: the referral it was given
        with, which ends it if the referral is rejected or revoked."""
        terms.check(rules)
        if self.stage == "closed":
            raise NotAllowedNow("a closed case records no new consent")
        self.record(ConsentRecorded(case_id=self.id, consent_id=consent_id, to_unit=terms.to_unit,
                                    sections=sorted(set(terms.sections)), purpose=terms.purpose, basis=terms.basis,
                                    reference_sealed=reference_sealed, valid_from=terms.valid_from,
                                    valid_until=terms.valid_until, by=by, at=at, share_id=share_id))

    def revoke_consent(self, consent_id: str, by: str, at: datetime, reason: str) -> None:
        check_reason(reason)
        consent = self.consents.get(consent_id)
        if consent is None:
            raise NotAllowedNow(f"no consent {consent_id} on this case")
        if consent["revoked_at"]:
            raise NotAllowedNow("the consent is already revoked")
        self.record(ConsentRevoked(case_id=self.id, consent_id=consent_id, by=by, at=at, reason=reason.strip()))

    def end_consents_of_share(self, share_id: str, by: str, at: datetime, reason: str) -> None:
        for consent_id, consent in self.consents.items():
            if consent.get("share_id") == share_id and consent["revoked_at"] is None:
                self.record(ConsentRevoked(case_id=self.id, consent_id=consent_id, by=by, at=at, reason=reason))

    def consented_sections(self, unit: str | None, on: date) -> set[str]:
        """The sections the consents and exceptions in force on `on` open to `unit`."""
        return {section for c in self.consents.values() if c["to_unit"] == unit and _in_force(c, on)
                for section in c["sections"]}

    def _on_ConsentRecorded(self, event: ConsentRecorded) -> None:
        self.consents = {**self.consents, event.consent_id: {
            "to_unit": event.to_unit, "sections": list(event.sections), "purpose": event.purpose,
            "basis": event.basis, **_reference(event), "valid_from": event.valid_from.isoformat(),
            "valid_until": event.valid_until.isoformat() if event.valid_until else None, "recorded_by": event.by,
            "recorded_at": event.at.isoformat(), "revoked_at": None, "revoked_by": None, "share_id": event.share_id}}

    def _on_ConsentRevoked(self, event: ConsentRevoked) -> None:
        consent = {**self.consents[event.consent_id], "revoked_at": event.at.isoformat(), "revoked_by": event.by}
        self.consents = {**self.consents, event.consent_id: consent}


def _reference(event: ConsentRecorded) -> dict:
    return {"reference": event.reference} if event.reference is not None else \
        {"reference_sealed": event.reference_sealed}


def _in_force(consent: dict, on: date) -> bool:
    return (consent["revoked_at"] is None and date.fromisoformat(consent["valid_from"]) <= on
            and (consent["valid_until"] is None or on <= date.fromisoformat(consent["valid_until"])))
