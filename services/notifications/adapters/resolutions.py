"""The resolving events kept for alerts raised after them (domain/resolutions.py), one document each, found by the
indexed `subject_id` (a string equality or `$in`, which FerretDB answers from the index)."""
from __future__ import annotations

from datetime import datetime

from mongoengine import DateTimeField, DictField, Document, IntField, StringField

from shared.clock import aware
from shared.once import insert_new

from services.notifications.domain.resolutions import Cause, Resolution


class ResolutionDocument(Document):
    id = StringField(primary_key=True)
    rule_id = StringField(required=True)
    subject_id = StringField(required=True)
    event_type = StringField(required=True)
    compared = DictField()
    """The event's values of the fields the rule compares (`Resolution.fields`)."""
    event_id = StringField(required=True)
    stream_id = StringField(required=True)
    stream_version = IntField(required=True)
    occurred_at = DateTimeField(required=True)
    meta = {"collection": "resolutions", "indexes": ["subject_id"]}


class MongoResolutions:
    def remember(self, resolutions: list[Resolution]) -> None:
        insert_new(ResolutionDocument._get_collection(), [
            {"_id": r.id, "rule_id": r.rule_id, "subject_id": r.subject_id, "event_type": r.event_type,
             "compared": r.fields, "event_id": r.cause.event_id, "stream_id": r.cause.stream_id,
             "stream_version": r.cause.stream_version, "occurred_at": r.cause.occurred_at} for r in resolutions])

    def about(self, subject_ids: set[str]) -> list[Resolution]:
        if not subject_ids:
            return []
        found = ResolutionDocument._get_collection().find({"subject_id": {"$in": sorted(subject_ids)}})
        return [Resolution(d["rule_id"], d["subject_id"], d["event_type"], d.get("compared") or {},
                           Cause(d["event_id"], d["stream_id"], d["stream_version"], aware(d["occurred_at"])))
                for d in found]

    def forget_before(self, occurred_before: datetime) -> int:
        return ResolutionDocument._get_collection().delete_many(
            {"occurred_at": {"$lt": occurred_before}}).deleted_count


RESOLUTION_DOCUMENTS = (ResolutionDocument,)
