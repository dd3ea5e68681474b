"""Who may see and change what of a case: deny by default (DOMAIN.md, Privacy).

Roles come in sets named by purpose; a case's sections are opened per role; jurisdiction is the case's commune,
the units it is referred to and the commune a transfer is pending to.
"""
from __future__ import annotations

from shared import areas

IDENTITY = "identity"            # name, birth date, sex, residence
IDENTITY_CONTACT = "contact"     # national ID, phone, address, guardian
LEGAL = "legal"                  # stage, regime, decisions, due dates, that a drug test was done and its result
CLINICAL = "clinical"            # test substances, assessment details, methadone doses
SUPPORT = "support"              # counselling notes, training, jobs, loans
PROTECTED = (IDENTITY_CONTACT, CLINICAL, SUPPORT)
BREAK_GLASS_HOURS = 4

CASE_OFFICERS = ("caseworker", "police_liaison")
"""The commune's case team: open and transfer cases, assign workers, register people, plan follow-up, record visits
and facility phases."""
CLINICIANS = ("health_worker",)
"""Assessment doctors and methadone clinics: keep the methadone records; the only roles that can hold a treatment
relationship, so the only ones that may break the glass."""
WORKFLOW_ACTORS = (*CASE_OFFICERS, *CLINICIANS)
"""May take workflow steps (each step names its own roles) and refer a case to another unit."""
CASE_READERS = (*WORKFLOW_ACTORS, "admin")
DRUG_TESTERS = ("police_liaison", *CLINICIANS)
SUPPORT_RECORDERS = ("caseworker",)
OFFENCE_REPORTERS = ("police_liaison", *CLINICIANS)
"""A methadone patient's offence may be recorded by the clinic or the police."""

SECTIONS_BY_ROLE = {
    "caseworker": {IDENTITY, IDENTITY_CONTACT, LEGAL, SUPPORT},
    "police_liaison": {IDENTITY, IDENTITY_CONTACT, LEGAL},
    "health_worker": {IDENTITY, LEGAL, CLINICAL},
    "admin": {IDENTITY, LEGAL},
}
EXPORT_PURPOSES = ("periodic_report", "case_handover", "court_dossier", "inspection", "person_request")
"""Why a list of cases leaves the system as a spreadsheet: every export names one, and the audit keeps it."""
UNLISTED = {IDENTITY_CONTACT, CLINICAL}
"""What a list of cases never shows."""

EVENT_SECTIONS = (("cases.ost.", CLINICAL), ("cases.case.support_recorded", SUPPORT))


def section_of(event_type: str) -> str:
    """The section a case event belongs to: methadone events are clinical, support records support, the rest
    legal."""
    return next((section for prefix, section in EVENT_SECTIONS if event_type.startswith(prefix)), LEGAL)


def sections_for(roles) -> set[str]:
    allowed: set[str] = set()
    for role in roles:
        allowed |= SECTIONS_BY_ROLE.get(role, set())
    return allowed


def sections_of(principal, case, today) -> set[str]:
    """The sections of the caller's roles, the clinical one only within a treatment relationship: the clinic that
    admitted the person, or a unit a consent or a named exception in force opens it to. A unit that reaches the case
    through a referral alone sees contact and support data only as a consent allows, and nothing of the case until
    it accepts."""
    covered = _covers(principal, case)
    if principal.unit in case.offered_units - case.referred_units and not covered:
        return set()
    allowed = sections_for(principal.roles)
    if CLINICAL in allowed and not treats(principal, case, today):
        allowed.discard(CLINICAL)
    if not covered:
        allowed -= {IDENTITY_CONTACT, SUPPORT} - case.consented_sections(principal.unit, today)
    return allowed


def treats(principal, case, today) -> bool:
    clinic = case.therapy.clinic_unit if case.therapy else None
    return (clinic is not None and principal.unit == clinic) or CLINICAL in case.consented_sections(principal.unit,
                                                                                                    today)


def _covers(principal, case) -> bool:
    transfer = case.pending_transfer
    return areas.within_any(principal.areas, case.commune_code) or (
        transfer is not None and areas.within_any(principal.areas, transfer["to_commune"]))


def may_see(principal, case) -> bool:
    """A case is visible to its commune's agencies, to units it is referred to (while they decide, and after
    accepting), and to the commune a transfer is pending to."""
    return principal.has_role(*CASE_READERS) and (_covers(principal, case) or principal.unit in case.offered_units)


def may_act(principal, roles, case) -> bool:
    """Write access: one of `roles`, in the case's commune or in a unit whose referral was accepted."""
    return principal.has_role(*roles) and (areas.within_any(principal.areas, case.commune_code)
                                           or principal.unit in case.referred_units)


def may_transfer(principal, case) -> bool:
    """Only the case's own commune asks another commune to take the case over: a unit the case is referred to
    acts on it, but does not hand it to another jurisdiction."""
    return principal.has_role(*CASE_OFFICERS) and areas.within_any(principal.areas, case.commune_code)


def may_open(principal, commune_code: str) -> bool:
    return principal.has_role(*CASE_OFFICERS) and areas.within_any(principal.areas, commune_code)


def keeps_therapy_records(principal, case) -> bool:
    """Methadone records are kept by the treating clinic (the unit that admitted the person); the police may add
    an offence."""
    clinic = case.therapy.clinic_unit if case.therapy else None
    return not clinic or principal.unit == clinic or principal.has_role("police_liaison")


def may_settle(principal, case, share: dict, status: str) -> bool:
    """The receiver accepts or rejects a referral (its unit) or transfer (the receiving commune's case team);
    the sender revokes."""
    if status in ("accepted", "rejected"):
        if share["kind"] == "referral":
            return principal.unit == share["to_unit"]
        return principal.has_role(*CASE_OFFICERS) and areas.within_any(principal.areas, share["to_commune"])
    return principal.has_role(*WORKFLOW_ACTORS) and areas.within_any(principal.areas, case.commune_code)
