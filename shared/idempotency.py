"""`Idempotency-Key` on POST: a retried request from an office on a bad line creates nothing twice.

The first request with a key claims it by unique insert and, on success, stores its response; a retry with the
same key and body gets that response again, a retry with another body gets 422, one still running gets 409. A claim
left unfinished longer than `ABANDONED_AFTER` (its process was killed mid-request) is taken over by the retry.

The stored answer holds personal data, so it is sealed with a key derived from the caller's own Idempotency-Key,
which the store never keeps (only a hash of it), and the service's secret: whoever reads the database cannot open
it, the caller retrying can. The request's fingerprint is keyed the same way. Records are kept `KEPT_FOR` (24 hours), then ignored and
purged (`purge_expired`, a timer of every worker).
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import uuid
from datetime import datetime, timedelta, timezone

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, g, request
from mongoengine import DateTimeField, DictField, Document, IntField, StringField
from mongoengine.errors import NotUniqueError

from shared.clock import aware
from shared.errors import Conflict, InvalidInput

HEADER = "Idempotency-Key"
REPLAYED_HEADERS = ("Location", "ETag", "Content-Type")
ABANDONED_AFTER = timedelta(minutes=5)
KEPT_FOR = timedelta(hours=24)
SEALED = "i1."


class IdempotencyRecord(Document):
    key = StringField(primary_key=True)
    fingerprint = StringField(required=True)
    claim = StringField()
    status = IntField()
    body = StringField()
    headers = DictField()
    created_at = DateTimeField(required=True)
    meta = {"collection": "idempotency", "auto_create_index": False, "indexes": ["created_at"]}


def request_secret(subject: str, path: str, raw_key: str, server_secret: bytes) -> bytes:
    """The key that seals a stored answer: derived from the caller's Idempotency-Key, which is not stored, and the
    service's own secret (the app's IDEMPOTENCY_SECRET), so a guessable key is not enough to open it."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=server_secret or None,
                info=json.dumps(["donghanh:idempotency", subject, path]).encode()).derive(raw_key.encode("utf-8"))


def fingerprint(method: str, path: str, body: bytes, secret: bytes) -> str:
    """Keyed, so a stored fingerprint cannot confirm a guess of the request's personal data."""
    return hmac.new(secret, b"\n".join([method.encode(), path.encode(), body or b""]), hashlib.sha256).hexdigest()


def _seal(secret: bytes, body: str) -> str:
    nonce = os.urandom(12)
    return SEALED + base64.urlsafe_b64encode(nonce + AESGCM(secret).encrypt(nonce, body.encode("utf-8"), None)).decode()


def _open(secret: bytes, stored: str) -> str:
    """A record written before answers were sealed is replayed as it is (it expires within `KEPT_FOR`)."""
    if not (stored or "").startswith(SEALED):
        return stored
    raw = base64.urlsafe_b64decode(stored[len(SEALED):])
    try:
        return AESGCM(secret).decrypt(raw[:12], raw[12:], None).decode("utf-8")
    except InvalidTag:
        raise Conflict("the answer stored under this Idempotency-Key cannot be opened; send the request with a new "
                       "key") from None


def purge_expired(now: datetime | None = None) -> int:
    """Remove the records older than `KEPT_FOR`; how many were removed."""
    cutoff = (now or datetime.now(timezone.utc)) - KEPT_FOR
    return IdempotencyRecord._get_collection().delete_many({"created_at": {"$lt": cutoff}}).deleted_count


def record_key(subject: str, path: str, raw_key: str) -> str:
    """Keys are per caller and path: two offices may both send "1"."""
    return hashlib.sha256(json.dumps([subject, path, raw_key]).encode()).hexdigest()


def _replay(record: IdempotencyRecord, body: str):
    response = current_app.response_class(body, status=record.status, headers=dict(record.headers))
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
        if datetime.now(timezone.utc) - aware(record.created_at) >= KEPT_FOR:
            IdempotencyRecord.objects(key=key, claim=record.claim, created_at=record.created_at).delete()
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
        secret = request_secret(subject, request.path, raw_key, current_app.config.get("IDEMPOTENCY_SECRET", b""))
        record, token = _claim(key, fingerprint(request.method, request.path, request.get_data(), secret))
        if record is not None:
            return _replay(record, _open(secret, record.body))
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except BaseException:
            IdempotencyRecord.objects(key=key, claim=token).delete()
            raise
        if response.status_code >= 300:
            IdempotencyRecord.objects(key=key, claim=token).delete()
            return response
        IdempotencyRecord.objects(key=key, claim=token).update_one(
            set__status=response.status_code, set__body=_seal(secret, response.get_data(as_text=True)),
            set__headers={h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers})
        return response
    return wrapper
