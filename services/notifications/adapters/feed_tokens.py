"""Where the agency feeds' secrets are kept, as the plans calendar keeps its own: one document per generation keyed
`<unit>:<generation>`, holding the SHA-256 of the token (the token is shown once and never stored) with who minted
it and when. The newest generation opens the feed; older ones open nothing and stay as the record of who minted
what. Two mints at once cannot both win: each inserts the next generation's key and the second insert collides."""
from __future__ import annotations

from datetime import datetime

from mongoengine import DateTimeField, Document, IntField, StringField
from mongoengine.errors import NotUniqueError

from shared.errors import ConcurrencyConflict


class FeedTokenRecord(Document):
    key = StringField(primary_key=True)
    unit_code = StringField(required=True)
    digest = StringField(required=True)
    generation = IntField(required=True)
    minted_at = DateTimeField(required=True)
    minted_by = StringField(required=True)
    meta = {"collection": "feed_token_generations", "auto_create_index": False, "indexes": ["unit_code"]}


class FeedTokens:
    def _newest(self, unit_code: str) -> FeedTokenRecord | None:
        found = list(FeedTokenRecord.objects(unit_code=unit_code).only("digest", "generation"))
        return max(found, key=lambda record: record.generation, default=None)

    def digest_of(self, unit_code: str) -> str | None:
        newest = self._newest(unit_code)
        return newest.digest if newest else None

    def generation_of(self, unit_code: str) -> int:
        newest = self._newest(unit_code)
        return newest.generation if newest else 0

    def replace(self, unit_code: str, digest: str, minted_at: datetime, minted_by: str) -> int:
        """Keep `digest` as the unit's secret: the generation it is (1 for the first)."""
        generation = self.generation_of(unit_code) + 1
        try:
            FeedTokenRecord(key=f"{unit_code}:{generation}", unit_code=unit_code, digest=digest,
                            generation=generation, minted_at=minted_at,
                            minted_by=minted_by).save(force_insert=True)
        except NotUniqueError:
            raise ConcurrencyConflict(f"feed:{unit_code}", generation - 1) from None
        return generation


FEED_TOKEN_DOCUMENTS = (FeedTokenRecord,)
