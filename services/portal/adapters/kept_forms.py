"""Kept forms on the MongoDB protocol: `_id` is the SHA-256 of the handle the browser holds and the fields are
sealed with the handle itself as context, so the database alone neither finds nor opens a form."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from mongoengine import DateTimeField, Document, StringField

from shared.clock import aware
from shared.crypto import DecryptionError, FieldCipher


class KeptFormDocument(Document):
    id = StringField(primary_key=True)
    page = StringField(required=True)
    owner = StringField(required=True)
    """The SHA-256 of the account the form was kept for."""
    sealed = StringField(required=True)
    expires_at = DateTimeField(required=True)
    meta = {"collection": "kept_forms", "auto_create_index": False}


def _key(handle: str) -> str:
    return hashlib.sha256(handle.encode("utf-8")).hexdigest()


def _context(handle: str) -> str:
    return f"kept-form:{handle}"


class MongoKeptForms:
    def __init__(self, cipher: FieldCipher):
        self._cipher = cipher

    def keep(self, handle: str, page: str, owner: str, fields: dict[str, list[str]], expires_at: datetime,
             now: datetime) -> None:
        collection = KeptFormDocument._get_collection()
        collection.delete_many({"expires_at": {"$lt": now}})
        collection.replace_one({"_id": _key(handle)}, {
            "page": page, "owner": _key(owner), "sealed": self._cipher.encrypt(json.dumps(fields), _context(handle)),
            "expires_at": expires_at}, upsert=True)

    def page(self, handle: str, owner: str, now: datetime) -> str | None:
        found = KeptFormDocument._get_collection().find_one({"_id": _key(handle)})
        return (found["page"] if found and found.get("owner") == _key(owner) and aware(found["expires_at"]) > now
                else None)

    def take(self, handle: str, page: str, owner: str, now: datetime) -> dict[str, list[str]] | None:
        collection = KeptFormDocument._get_collection()
        found = collection.find_one({"_id": _key(handle)})
        if found is None or found["page"] != page or found.get("owner") != _key(owner):
            return None
        if collection.delete_one({"_id": _key(handle)}).deleted_count != 1 or aware(found["expires_at"]) <= now:
            return None
        try:
            return json.loads(self._cipher.decrypt(found["sealed"], _context(handle)))
        except (DecryptionError, ValueError):
            return None
