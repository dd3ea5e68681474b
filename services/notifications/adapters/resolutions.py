"""The resolving events kept for alerts raised after them (domain/resolutions.py), one document each, found by the
indexed `subject_id` (a string equality or `$in`, which FerretDB answers from the index)."""
from __future__ import annotations

from datetime import datetime, timezone

from mongoengine import DateTimeField, DictField, Document, IntField, StringField

from shared.eventstore import insert_ignoring_duplicates

from services.notifications.domain.resolutions import Cause, Resolution


class ResolutionDocument(Document):
    """`occurred_at` is ISO text: a BSON date keeps milliseconds, and events a millisecond apart must still be told
    apart. `kept_at` is what the retention counts from (an event replayed from the dead letters long after it
    occurred is kept anew)."""
    id = StringField(primary_key=True)
    rule_id = StringField(required=True)
    subject_id = StringField(required=True)
    event_type = StringField(required=True)
    compared_fields = DictField()
    event_id = StringField(required=True)
    stream_id = StringField(required=True)
    stream_version = IntField(required=True)
    occurred_at = StringField(required=True)
    kept_at = DateTimeField(required=True)
    meta = {"collection": "resolutions", "indexes": ["subject_id"]}


class MongoResolutions:
    def remember(self, resolutions: list[Resolution]) -> None:
        kept_at = datetime.now(timezone.utc)
        insert_ignoring_duplicates(ResolutionDocument._get_collection(), [
            {"_id": r.id, "rule_id": r.rule_id, "subject_id": r.subject_id, "event_type": r.event_type,
             "compared_fields": r.compared_fields, "event_id": r.cause.event_id, "stream_id": r.cause.stream_id,
             "stream_version": r.cause.stream_version, "occurred_at": r.cause.occurred_at.isoformat(),
             "kept_at": kept_at} for r in resolutions])

    def about(self, subject_ids: set[str]) -> list[Resolution]:
        """Every kept resolving event about these subjects, in one `$in` query."""
        if not subject_ids:
            return []
        found = ResolutionDocument._get_collection().find({"subject_id": {"$in": sorted(subject_ids)}})
        return [Resolution(d["rule_id"], d["subject_id"], d["event_type"], d.get("compared_fields") or {},
                           Cause(d["event_id"], d["stream_id"], d["stream_version"],
                                 datetime.fromisoformat(d["occurred_at"])))
                for d in found]

    def forget_before(self, kept_before: datetime) -> int:
        return ResolutionDocument._get_collection().delete_many({"kept_at": {"$lt": kept_before}}).deleted_count


RESOLUTION_DOCUMENTS = (ResolutionDocument,)
