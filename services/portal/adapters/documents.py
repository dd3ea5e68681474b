"""What the portal keeps besides the event log: snapshots, server-side sessions, rate-limit marks, the login log.
Every hot query filters on `_id` or on top-level string equality (FerretDB answers those from indexes)."""
from __future__ import annotations

from mongoengine import DateTimeField, DictField, Document, StringField

from shared.repository import SnapshotDocument


class AccountSnapshot(SnapshotDocument):
    unit = StringField()
    status = StringField(required=True)
    meta = {"collection": "account_snapshots", "indexes": ["unit", "status"]}


def account_list_fields(account) -> dict:
    return {"unit": account.unit, "status": account.status}


class SignInSnapshot(SnapshotDocument):
    meta = {"collection": "signin_snapshots"}


class ClientSnapshot(SnapshotDocument):
    status = StringField(required=True)
    meta = {"collection": "client_snapshots", "indexes": ["status"]}


def client_list_fields(client) -> dict:
    return {"status": client.status}


class WebSessionDocument(Document):
    """`_id` is the SHA-256 of the token the browser holds: the database never holds a usable session."""
    id = StringField(primary_key=True)
    username = StringField(required=True)
    stage = StringField(required=True)
    created_at = DateTimeField(required=True)
    last_seen = DateTimeField(required=True)
    pending_secret = StringField()
    pending_challenge = DictField()
    """A WebAuthn challenge issued to this session, taken once (adapters/webauthn_keys.py MongoChallenges)."""
    meta = {"collection": "web_sessions", "indexes": ["username"], "auto_create_index": False}


class RateMark(Document):
    """One attempt in a window: `bucket` is "<account or address>:<window number>"; a scheduled purge removes
    old windows (no TTL index on FerretDB)."""
    bucket = StringField(required=True)
    at = DateTimeField(required=True)
    meta = {"collection": "rate_marks", "indexes": ["bucket"], "auto_create_index": False}


class LoginEntry(Document):
    """Who tried to sign in, from which address, when, with what outcome: never a password or a code."""
    username = StringField(required=True)
    address = StringField(required=True)
    outcome = StringField(required=True)
    at = DateTimeField(required=True)
    meta = {"collection": "login_log", "indexes": ["username"], "auto_create_index": False}


DOCUMENTS = (AccountSnapshot, SignInSnapshot, ClientSnapshot, WebSessionDocument, RateMark, LoginEntry)
