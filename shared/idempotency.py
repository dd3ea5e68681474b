"""`Idempotency-Key` on POST: a retried request from an office on a bad line creates nothing twice.

The first request with a key claims it by unique insert and, on success, stores its response; a retry with the
same key and body gets that response again, a retry with another body gets 422, one still running gets 409. A claim
left unfinished longer than `ABANDONED_AFTER` (its process was killed mid-request) is taken over by the retry.
"""
from __future__ import annotations

import functools
import hashlib
import json
import uuid
from datetime import datetime, timedelta, timezone

from flask import current_app, g, request
from mongoengine import DateTimeField, DictField, Document, IntField, StringField
from mongoengine.errors import NotUniqueError

from shared.clock import aware
from shared.errors import Conflict, InvalidInput

HEADER = "Idempotency-Key"
REPLAYED_HEADERS = ("Location", "ETag", "Content-Type")
ABANDONED_AFTER = timedelta(minutes=5)


class IdempotencyRecord(Document):
    key = StringField(primary_key=True)
    fingerprint = StringField(required=True)
    claim = StringField()
    status = IntField()
    body = StringField()
    headers = DictField()
    created_at = DateTimeField(required=True)
    meta = {"collection": "idempotency", "auto_create_index": False, "indexes": ["created_at"]}


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body or b""])).hexdigest()


def record_key(subject: str, path: str, raw_key: str) -> str:
    """Keys are per caller and path: two offices may both send "1"."""
    return hashlib.sha256(json.dumps([subject, path, raw_key]).encode()).hexdigest()


def _replay(record: IdempotencyRecord):
    response = current_app.response_class(record.body, status=record.status, headers=dict(record.headers))
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _claim(key: str, request_fingerprint: str) -> tuple[IdempotencyRecord | None, str | None]:
    """Claim the key for this request (None and the claim's token), or return the finished record of the same
    request to replay. The token makes sure a request whose claim was taken over cannot finish or drop the new
    one."""
    for _ in range(2):
        token = uuid.uuid4().hex
        try:
            IdempotencyRecord(key=key, fingerprint=request_fingerprint, claim=token,
                              created_at=datetime.now(timezone.utc)).save(force_insert=True)
            return None, token
        except NotUniqueError:
            record = IdempotencyRecord.objects(key=key).first()
        if record is None:
            continue
        if record.fingerprint != request_fingerprint:
            raise InvalidInput.field(HEADER, "was already used with a different request")
        if record.status is not None:
            return record, None
        if datetime.now(timezone.utc) - aware(record.created_at) < ABANDONED_AFTER:
            break
        IdempotencyRecord.objects(key=key, status=None, claim=record.claim).delete()
    raise Conflict("a request with this Idempotency-Key is still being processed")


def idempotent(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        raw_key = request.headers.get(HEADER)
        if raw_key is None:
            return view(*args, **kwargs)
        if not 1 <= len(raw_key) <= 255 or not raw_key.isprintable():
            raise InvalidInput.field(HEADER, "must be 1 to 255 printable characters")
        subject = g.principal.subject if getattr(g, "principal", None) else "anonymous"
        key = record_key(subject, request.path, raw_key)
        record, token = _claim(key, fingerprint(request.method, request.path, request.get_data()))
        if record is not None:
            return _replay(record)
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except BaseException:
            IdempotencyRecord.objects(key=key, claim=token).delete()
            raise
        if response.status_code >= 300:
            IdempotencyRecord.objects(key=key, claim=token).delete()
            return response
        IdempotencyRecord.objects(key=key, claim=token).update_one(
            set__status=response.status_code, set__body=response.get_data(as_text=True),
            set__headers={h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers})
        return response
    return wrapper
