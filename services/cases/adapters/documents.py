"""What the cases service keeps in its database besides the event log."""

from mongoengine import DateTimeField, DictField, Document, IntField, StringField

from shared.clock import province_today
from shared.repository import SnapshotDocument


class CaseSnapshot(SnapshotDocument):
    case_number = StringField(required=True)
    commune_code = StringField(required=True)
    stage = StringField(required=True)
    opened_on = StringField(required=True)
    assigned_worker = StringField()
    person_code = StringField()
    next_due_on = StringField()
    next_notice_on = StringField()
    proposals_for = StringField()
    meta = {"collection": "case_snapshots",
            "indexes": ["commune_code", "stage", "assigned_worker", "case_number", ("commune_code", "opened_on"),
                        "opened_on", "next_due_on", "next_notice_on", "person_code", "proposals_for"]}


class Person(Document):
    """The identified person behind a pseudonymous `person_code`; never leaves this service.

    National ID, phone, address and the guardian's phone are AES-GCM ciphertexts (shared.crypto) bound to the
    person and field; `national_id_hash` is a keyed hash for exact lookups.
    """
    person_code = StringField(primary_key=True)
    full_name = StringField(required=True)
    search_name = StringField(required=True)
    name_dob_key = StringField(required=True)
    birth_date = StringField(required=True)
    sex = StringField(required=True)
    residence_code = StringField(required=True)
    national_id_enc = StringField()
    national_id_hash = StringField()
    phone_enc = StringField()
    address_enc = StringField()
    guardian = DictField()
    merged_into = StringField()
    created_at = DateTimeField(required=True)
    meta = {"collection": "people", "auto_create_index": False,
            "indexes": ["residence_code", "search_name", "name_dob_key", "national_id_hash", "merged_into"]}


class NationalIdClaim(Document):
    """One person per national ID number: the keyed hash is the `_id`, so a second registration collides."""
    national_id_hash = StringField(primary_key=True)
    person_code = StringField(required=True)
    meta = {"collection": "national_id_claims", "auto_create_index": False}


class GrantSnapshot(SnapshotDocument):
    subject = StringField(required=True)
    case_id = StringField(required=True)
    section = StringField(required=True)
    expires_at = DateTimeField(required=True)
    meta = {"collection": "grant_snapshots", "indexes": [("subject", "case_id"), "case_id"]}


class Erasure(Document):
    """The tombstone of an erased person: when, why (a request, the retention period), how many cases it held."""
    person_code = StringField(primary_key=True)
    erased_at = DateTimeField(required=True)
    reason = StringField(required=True)
    cases = IntField(required=True)
    meta = {"collection": "erasures", "auto_create_index": False}


class KnownUnit(Document):
    """The cases service's copy of one unit of the province's directory (plans.unit.registered)."""
    unit_code = StringField(primary_key=True)
    kind = StringField(required=True)
    version = IntField(required=True)
    meta = {"collection": "units", "auto_create_index": False}


class CaseCountMember(Document):
    """Where one case is counted (domain/counts.py). `moving_from` (the placement before, as JSON) is set while the
    rows change, so that a consumer that died between them recounts those communes."""
    case_id = StringField(primary_key=True)
    commune_code = StringField(required=True)
    stage = StringField(required=True)
    opened_on = StringField(required=True)
    moving_from = StringField()
    meta = {"collection": "case_count_members", "auto_create_index": False, "indexes": ["commune_code"]}


class CaseCountRow(Document):
    """One commune's cases by stage, as JSON: FerretDB v1 decodes nested documents slowly, strings fast."""
    commune_code = StringField(primary_key=True)
    stages = StringField(required=True)
    earliest_opened_on = StringField()
    latest_opened_on = StringField()
    meta = {"collection": "case_counts", "auto_create_index": False}


class CaseAlertLogSnapshot(SnapshotDocument):
    """The alerts about a case (`CaseAlertLog`), `_id` the case's id: read beside the case by point lookups on
    `_id` (this snapshot, and the log's next step, which a snapshot write that lost a race would lack)."""
    meta = {"collection": "case_alert_snapshots"}


class NameBirthClaim(Document):
    """People registered under one normalised name and birth date: `_id` "<keyed hash>#<n>", n = 1, 2, ...

    Finding the candidates is a run of point lookups, and registering adds the next n by unique insert: the
    duplicate check costs the same with 100 or 100,000 people on record.
    """
    key = StringField(primary_key=True)
    person_code = StringField(required=True)
    meta = {"collection": "name_birth_claims", "auto_create_index": False}


def grant_list_fields(grant) -> dict:
    e = grant.escalated
    return {"subject": e.subject, "case_id": e.case_id, "section": e.section, "expires_at": grant.open_until()}


def case_list_fields(case) -> dict:
    """`next_notice_on` is never before the day of saving, so the due timer's window of recent days holds every
    case that owes a notice, however old its due dates."""
    notice_on = case.next_notice_on()
    return {"case_number": case.case_number, "commune_code": case.commune_code, "stage": case.stage,
            "opened_on": case.opened_on.isoformat(), "assigned_worker": case.assigned_worker,
            "person_code": case.person_code,
            "next_due_on": min(case.due.values()).isoformat() if case.due else None,
            "next_notice_on": max(notice_on, province_today()).isoformat() if notice_on else None,
            "proposals_for": case.therapy.clinic_unit if case.therapy and case.therapy.open_grounds() else None}


DOCUMENTS = (CaseSnapshot, Person, NationalIdClaim, NameBirthClaim, GrantSnapshot, CaseAlertLogSnapshot, KnownUnit,
             Erasure, CaseCountMember, CaseCountRow)
