"""Sessions, rate limits and the login log on the MongoDB protocol (services/portal/service_layer/ports.py)."""
from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime

from shared.clock import aware

from services.portal.adapters.documents import LoginEntry, RateMark, WebSessionDocument
from services.portal.service_layer.ports import WebSession


def _key(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class MongoSessions:
    def start(self, username: str, stage: str, now: datetime) -> str:
        token = secrets.token_urlsafe(32)
        WebSessionDocument(id=_key(token), username=username, stage=stage, created_at=now,
                           last_seen=now).save(force_insert=True)
        return token

    def get(self, token: str) -> WebSession | None:
        found = WebSessionDocument._get_collection().find_one({"_id": _key(token)})
        if found is None:
            return None
        return WebSession(found["username"], found["stage"], aware(found["created_at"]), aware(found["last_seen"]),
                          found.get("pending_secret"))

    def touch(self, token: str, now: datetime) -> None:
        WebSessionDocument._get_collection().update_one({"_id": _key(token)}, {"$set": {"last_seen": now}})

    def keep_pending_secret(self, token: str, sealed_secret: str) -> None:
        WebSessionDocument._get_collection().update_one({"_id": _key(token)},
                                                        {"$set": {"pending_secret": sealed_secret}})

    def end(self, token: str) -> None:
        WebSessionDocument._get_collection().delete_one({"_id": _key(token)})

    def end_all(self, username: str) -> None:
        WebSessionDocument._get_collection().delete_many({"username": username})


class MongoRateLimiter:
    """Fixed windows. The attempt is inserted first and then counted, so concurrent attempts are all counted
    (at worst each sees the others and more are refused, never fewer)."""

    def __init__(self, window_seconds: int = 60):
        self.window_seconds = window_seconds

    def hit(self, bucket: str, limit: int, now: datetime) -> int | None:
        window = math.floor(now.timestamp() / self.window_seconds)
        key = f"{bucket}:{window}"
        RateMark._get_collection().insert_one({"bucket": key, "at": now})
        if RateMark._get_collection().count_documents({"bucket": key}) <= limit:
            return None
        return max(1, math.ceil((window + 1) * self.window_seconds - now.timestamp()))

    def purge(self, before: datetime) -> int:
        return RateMark._get_collection().delete_many({"at": {"$lt": before}}).deleted_count


class MongoLoginLog:
    def record(self, username: str, address: str, outcome: str, at: datetime) -> None:
        LoginEntry._get_collection().insert_one({"username": username, "address": address, "outcome": outcome,
                                                 "at": at})

    def recent(self, username: str, limit: int) -> list[dict]:
        entries = LoginEntry._get_collection().find({"username": username}, {"_id": 0}).sort("at", -1).limit(limit)
        return [{**entry, "at": aware(entry["at"])} for entry in entries]
