"""The access audit: who read or changed what, when, why, with which outcome.

Written before the response leaves: if the entry cannot be stored the request fails, so no access goes
unrecorded. Entries are inserts only, never updated.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from mongoengine import DateTimeField, Document, ListField, StringField

from shared.auth import Principal
from shared.errors import Unavailable
from shared.logs import correlation_id


class AuditEntry(Document):
    id = StringField(primary_key=True)
    at = DateTimeField(required=True)
    subject = StringField(required=True)
    roles = ListField(StringField())
    unit = StringField()
    action = StringField(required=True)
    resource_type = StringField(required=True)
    resource_id = StringField(required=True)
    sections = ListField(StringField())
    purpose = StringField()
    outcome = StringField(required=True)
    request_id = StringField()
    meta = {"collection": "audit", "auto_create_index": False,
            "indexes": [("resource_id", "at"), ("subject", "at")]}


def record_many(principal: Principal, action: str, resource_type: str, resource_ids, sections=()) -> None:
    """One entry per resource read in a list or export, written in one insert."""
    now, request_id = datetime.now(timezone.utc), correlation_id.get()
    entries = [AuditEntry(id=uuid.uuid4().hex, at=now, subject=principal.subject, roles=list(principal.roles),
                          unit=principal.unit, action=action, resource_type=resource_type, resource_id=resource_id,
                          sections=sorted(sections), outcome="allowed", request_id=request_id).to_mongo()
               for resource_id in resource_ids]
    if not entries:
        return
    try:
        AuditEntry._get_collection().insert_many(entries)
    except Exception as exc:  # noqa: BLE001 - whatever stops the audit stops the request
        raise Unavailable("the access audit cannot be written; the request was not served") from exc


def record(principal: Principal, action: str, resource_type: str, resource_id: str, sections=(),
           outcome: str = "allowed", purpose: str | None = None) -> None:
    entry = AuditEntry(id=uuid.uuid4().hex, at=datetime.now(timezone.utc), subject=principal.subject,
                       roles=list(principal.roles), unit=principal.unit, action=action, resource_type=resource_type,
                       resource_id=resource_id, sections=sorted(sections), purpose=purpose, outcome=outcome,
                       request_id=correlation_id.get())
    try:
        entry.save(force_insert=True)
    except Exception as exc:  # noqa: BLE001 - whatever stops the audit stops the request
        raise Unavailable("the access audit cannot be written; the request was not served") from exc
