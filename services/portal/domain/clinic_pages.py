"""The treating clinic's methadone page and the case page's referral and transfer forms, as the cases API takes them.

The forms' controls are named as the API names its fields ("dose_mg", "consent.reference"), so a field it refuses
is the control the page marks. Every write carries the case version its form was rendered from (If-Match) and,
where the API takes one, the form's own Idempotency-Key. Who may read or write what is the cases API's to decide
(only the treating clinic keeps the dose log; a referral is answered by the unit it names): the portal asks with
the person's own token and shows the answer."""
from __future__ import annotations

import re
from dataclasses import dataclass

from shared import areas as directory

from services.portal.domain.case_actions import CHOICE, CHOICES, DATE, TEXT, TEXTAREA, Control

PHASES = ("induction", "titration", "maintenance", "taper")
BREACH_KINDS = ("protocol", "offence")
MAX_DOSE_MG = 400
CONSENT_SECTIONS = ("contact", "clinical", "support")
"""The cases API's choices as its schemas list them; it checks them again and has the last word."""
OPEN_SHARE, OPEN_PROPOSAL = "requested", "open"
DOSE_FORM, PHASE_FORM, BREACH_FORM, DISMISS_FORM = "dose", "phase", "breach", "dismiss"
REFERRAL_FORM, TRANSFER_FORM, DECISION_FORM = "referral", "transfer", "decision"
RECEIVER_DECISIONS, SENDER_DECISIONS = ("accepted", "rejected"), ("revoked",)
DOSE_LOG_SHOWN = 30
"""The most recent doses the page lists; the API keeps them all."""
DECIMAL_AS_WRITTEN = re.compile(r"\d{1,4}(?:[.,]\d{1,3})?")
NUMBER = "decimal"

DOSE_CONTROLS = (Control("given_on", DATE, True), Control("dose_mg", NUMBER, False),
                 Control("missed", "flag", False))
PHASE_CONTROLS = (Control("phase", CHOICE, True, PHASES), Control("effective_on", DATE, True))
BREACH_CONTROLS = (Control("kind", CHOICE, True, BREACH_KINDS), Control("occurred_on", DATE, True),
                   Control("description", TEXTAREA, False))
DISMISS_CONTROLS = (Control("reason", TEXTAREA, True),)
CONSENT_CONTROLS = (Control("consent.sections", CHOICES, False, CONSENT_SECTIONS),
                    Control("consent.purpose", TEXT, False), Control("consent.reference", TEXT, False),
                    Control("consent.valid_from", DATE, False), Control("consent.valid_until", DATE, False))
TRANSFER_CONTROLS = (Control("to_commune", TEXT, True), Control("reason", TEXTAREA, True))


def referral_controls(units: tuple[str, ...]) -> tuple[Control, ...]:
    """The unit referred to is one of the directory's; the consent is asked for only where the workflow needs it,
    so its fields are optional here and the API names the one it misses."""
    return (Control("to_unit", CHOICE, True, units), Control("reason", TEXTAREA, True), *CONSENT_CONTROLS)


def decision_controls(choices: tuple[str, ...]) -> tuple[Control, ...]:
    return Control("decision", CHOICE, True, choices), Control("reason", TEXTAREA, True)


def dose_amount(text: str):
    """"12,5" or "12.5" (the Vietnamese decimal comma, or a point) as the API's number; anything else as typed, for
    the API to refuse by name."""
    text = text.strip()
    if DECIMAL_AS_WRITTEN.fullmatch(text):
        return float(text.replace(",", "."))
    return text


@dataclass(frozen=True)
class OpenShare:
    """A referral or transfer still waiting for its answer, with the answers this caller could give: the receiver
    accepts or rejects, the sender revokes; the API checks again."""
    share_id: str
    kind: str
    to: str
    requested_at: str
    decisions: tuple[str, ...]


def open_shares(shares: dict, unit: str | None, areas: tuple[str, ...]) -> list[OpenShare]:
    """The case's open referrals and transfers as the API answered them; a referral to the caller's unit, or a
    transfer to a commune within the caller's areas, is the caller's to accept or reject, any other to revoke."""
    found = []
    for share_id, share in sorted((shares or {}).items(), key=lambda item: str(item[1].get("requested_at", ""))):
        if not isinstance(share, dict) or share.get("status") != OPEN_SHARE:
            continue
        to = share.get("to_unit") or share.get("to_commune") or ""
        receiver = bool(unit and share.get("to_unit") == unit) if share.get("kind") == "referral" else bool(
            share.get("to_commune") and directory.within_any(areas, str(share["to_commune"])))
        found.append(OpenShare(share_id, str(share.get("kind", "")), str(to), str(share.get("requested_at", "")),
                               RECEIVER_DECISIONS if receiver else SENDER_DECISIONS))
    return found
