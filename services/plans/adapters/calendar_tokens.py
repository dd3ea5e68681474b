"""Where the calendar feed's secrets are kept: one per unit, as the SHA-256 of the token (the token itself is shown
once and never stored), with who minted it and when. Minting a new one replaces the old."""
from __future__ import annotations

from datetime import datetime

from mongoengine import DateTimeField, Document, IntField, StringField


class CalendarTokenRecord(Document):
    unit_code = StringField(primary_key=True)
    digest = StringField(required=True)
    generation = IntField(required=True)
    minted_at = DateTimeField(required=True)
    minted_by = StringField(required=True)
    meta = {"collection": "calendar_tokens", "auto_create_index": False}


class CalendarTokens:
    def digest_of(self, unit_code: str) -> str | None:
        record = CalendarTokenRecord.objects(unit_code=unit_code).first()
        return record.digest if record else None

    def generation_of(self, unit_code: str) -> int:
        record = CalendarTokenRecord.objects(unit_code=unit_code).only("generation").first()
        return record.generation if record else 0

    def replace(self, unit_code: str, digest: str, minted_at: datetime, minted_by: str) -> int:
        """Keep `digest` as the unit's only token; the generation it is (1 for the first)."""
        current = CalendarTokenRecord.objects(unit_code=unit_code).first()
        generation = current.generation + 1 if current else 1
        CalendarTokenRecord(unit_code=unit_code, digest=digest, generation=generation, minted_at=minted_at,
                            minted_by=minted_by).save()
        return generation


DOCUMENTS = (CalendarTokenRecord,)
