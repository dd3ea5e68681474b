"""Things that must happen once: a unique `_id` insert succeeds for exactly one caller, on FerretDB and MongoDB."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from mongoengine import DateTimeField, Document, StringField
from mongoengine.errors import NotUniqueError
from pymongo.errors import BulkWriteError

DUPLICATE_KEY = 11000


class OnceMark(Document):
    """`_id` is "<purpose>:<subject>", e.g. "notifications.alerts:<event id>" or "relay-lease:<slot>"."""
    key = StringField(primary_key=True)
    holder = StringField()
    created_at = DateTimeField(required=True)
    meta = {"collection": "once", "auto_create_index": False}


def claim(key: str, holder: str | None = None) -> bool:
    """True for the one caller whose insert of `key` succeeded."""
    try:
        OnceMark(key=key, holder=holder, created_at=datetime.now(timezone.utc)).save(force_insert=True)
        return True
    except NotUniqueError:
        return False


def claim_all(keys: list[str]) -> None:
    """Claim every key in one round trip; a key claimed before stays its first claimer's."""
    if not keys:
        return
    now = datetime.now(timezone.utc)
    try:
        OnceMark._get_collection().insert_many([{"_id": key, "created_at": now} for key in keys], ordered=False)
    except BulkWriteError as error:
        if any(failure.get("code") != DUPLICATE_KEY for failure in error.details.get("writeErrors", ())):
            raise


def claimed_among(keys: list[str]) -> set[str]:
    """Those of `keys` claimed already, in one `_id $in` lookup."""
    if not keys:
        return set()
    return {mark["_id"] for mark in OnceMark._get_collection().find({"_id": {"$in": list(keys)}}, {"_id": 1})}


def holder_of(key: str) -> str | None:
    mark = OnceMark.objects(key=key).only("holder").first()
    return mark.holder if mark else None


def is_claimed(key: str) -> bool:
    return OnceMark.objects(key=key).only("key").first() is not None


def with_prefix(prefix: str):
    """Marks whose key starts with `prefix` (a plain regex: FerretDB refuses mongoengine's `u` flag)."""
    return OnceMark.objects(__raw__={"_id": {"$regex": "^" + re.escape(prefix)}})
