"""What the cases service keeps in its database besides the event log."""
from mongoengine import DateTimeField, Document, StringField

from shared.repository import SnapshotDocument


class CaseSnapshot(SnapshotDocument):
    case_number = StringField(required=True)
    commune_code = StringField(required=True)
    stage = StringField(required=True)
    opened_on = StringField(required=True)
    assigned_worker = StringField()
    next_due_on = StringField()
    meta = {"collection": "case_snapshots",
            "indexes": ["commune_code", "stage", "assigned_worker", "case_number", ("commune_code", "opened_on"),
                        "next_due_on"]}


class Person(Document):
    """The identified person behind a pseudonymous `person_code`; never leaves this service."""
    person_code = StringField(primary_key=True)
    full_name = StringField(required=True)
    birth_date = StringField(required=True)
    sex = StringField(required=True)
    residence_code = StringField(required=True)
    created_at = DateTimeField(required=True)
    meta = {"collection": "people", "auto_create_index": False, "indexes": ["residence_code"]}


def case_list_fields(case) -> dict:
    return {"case_number": case.case_number, "commune_code": case.commune_code, "stage": case.stage,
            "opened_on": case.opened_on.isoformat(), "assigned_worker": case.assigned_worker,
            "next_due_on": min(case.due.values()).isoformat() if case.due else None}


DOCUMENTS = (CaseSnapshot, Person)
