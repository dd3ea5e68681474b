"""Where the calendar feed's secrets are kept: one per unit, as the SHA-256 of the token (the token itself is shown
once and never stored), with who minted it and when. Minting a new one replaces the old."""
from __future__ import annotations

from datetime import datetime

from mongoengine import DateTimeField, Document, IntField, StringField
from mongoengine.errors import NotUniqueError

from shared.errors import ConcurrencyConflict


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
        """Keep `digest` as the unit's only token; the generation it is (1 for the first). Two mints at once
        cannot both win: the first inserts or moves the generation on, the second finds it moved and raises
        ConcurrencyConflict (the caller asks again), so no one is handed a URL that is already dead."""
        current = CalendarTokenRecord.objects(unit_code=unit_code).first()
        fields = {"digest": digest, "minted_at": minted_at, "minted_by": minted_by}
        if current is None:
            try:
                CalendarTokenRecord(unit_code=unit_code, generation=1, **fields).save(force_insert=True)
            except NotUniqueError:
                raise ConcurrencyConflict(f"calendar:{unit_code}", 0) from None
            return 1
        moved = CalendarTokenRecord._get_collection().update_one(
            {"_id": unit_code, "generation": current.generation},
            {"$set": {**fields, "generation": current.generation + 1}})
        if moved.matched_count != 1:
            raise ConcurrencyConflict(f"calendar:{unit_code}", current.generation)
        return current.generation + 1


DOCUMENTS = (CalendarTokenRecord,)
