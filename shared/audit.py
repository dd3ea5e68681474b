"""The access audit: who read or changed what, when, why, with which outcome; tamper-evident.

Written before the response leaves: if the entry cannot be stored the request fails, so no access goes
unrecorded. A change writes an intent (outcome "intended") before it is saved and a completion naming the intent
after ("allowed", or "failed" when the save failed), so a process that dies between leaves an intent without a
completion, which `python -m shared.audit_verify` lists. A search that finds nothing leaves one entry too.

The hash chain: the entries of one service on one day of the province (Asia/Ho_Chi_Minh) are numbered 1, 2, ...
in their `_id`, "<service>:<yyyy-mm-dd>:<seq, 10 digits>"; each carries the hash of the one before (`prev_hash`,
GENESIS for the first) and its own `hash`, the HMAC-SHA256 of `canonical(entry)` under the audit key named by its
`key_id` (shared/audit_keys.py: a secret outside the database, so whoever can write the database cannot forge a
chain that verifies; entries written before it have no `key_id` and a plain sha256). A writer takes the next
number with a unique insert (the project's way on FerretDB, which has no transactions): the loser of a race finds
the new head and tries after it. Entries are inserts only, never updated.
"""
from __future__ import annotations

import hashlib
import json
import threading
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from mongoengine import DateTimeField, Document, IntField, ListField, StringField
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.audit_keys import AuditKeyFile, AuditKeys, default_file
from shared.auth import Principal
from shared.clock import PROVINCE_TIME
from shared.errors import Unavailable
from shared.logs import correlation_id

GENESIS = "0" * 64
SEQ_DIGITS = 10
HINT_EVERY = 16
"""A chain's head hint (collection `audit_heads`) is rewritten every HINT_EVERY entries: it may lag, as the
probing for the head after a restart corrects it, and it lets the verification notice a cut tail."""
DUPLICATE_KEY = 11000


class AuditEntry(Document):
    id = StringField(primary_key=True)
    chain = StringField(required=True)
    seq = IntField(required=True)
    at = DateTimeField(required=True)
    subject = StringField(required=True)
    roles = ListField(StringField())
    unit = StringField()
    action = StringField(required=True)
    resource_type = StringField(required=True)
    resource_id = StringField(required=True)
    sections = ListField(StringField())
    purpose = StringField()
    outcome = StringField(required=True)
    intent = StringField()
    rows = IntField()
    request_id = StringField()
    prev_hash = StringField(required=True)
    key_id = StringField()
    hash = StringField(required=True)
    meta = {"collection": "audit", "auto_create_index": False,
            "indexes": [("resource_id", "at"), ("subject", "at"), ("chain",)]}


def chain_of(service: str, at: datetime) -> str:
    return f"{service}:{at.astimezone(PROVINCE_TIME).date().isoformat()}"


def entry_id(chain: str, seq: int) -> str:
    return f"{chain}:{seq:0{SEQ_DIGITS}d}"


def _instant(value: datetime) -> str:
    value = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def canonical(document: dict) -> bytes:
    """What an entry's hash is taken over: every stored field but `hash` (absent and null fields left out),
    datetimes as UTC to the millisecond ("2026-11-29T03:15:58.123Z"), as JSON with sorted keys, no spaces, UTF-8."""
    fields = {key: (_instant(value) if isinstance(value, datetime) else value)
              for key, value in document.items() if key != "hash" and value is not None}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest(document: dict) -> str:
    """The hash of an entry written before the audit key (no `key_id`)."""
    return hashlib.sha256(canonical(document)).hexdigest()


def keyed_digest(document: dict, keys: AuditKeys) -> str:
    """The MAC of an entry under the key its `key_id` names (KeyError if the ring lacks it)."""
    return keys.mac(document["key_id"], canonical(document))


def _now() -> datetime:
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class AuditLog:
    """One service's audit trail (shared.ports.AuditTrail), written and read; one per process, shared by its
    threads (a lock keeps them from racing each other; other processes are met at the unique `_id`). `key_file`:
    the audit key ring (Settings.audit_key_file; by default DH_AUDIT_KEY_FILE or var/secrets/audit-key.json)."""

    def __init__(self, service: str, key_file: Path | None = None, now=_now):
        self.service, self.now = service, now
        self.keys = AuditKeyFile(key_file or default_file())
        self.keys.ring()
        self._heads: dict[str, tuple[int, str]] = {}
        self._lock = threading.Lock()

    def record(self, principal: Principal, action: str, resource_type: str, resource_id: str, sections=(),
               outcome: str = "allowed", purpose: str | None = None, intent: str | None = None,
               rows: int | None = None) -> str:
        """The entry's id (a change's intent is named by its completion); `rows`, how many an export held."""
        return self._append([{**_fields(principal, action, resource_type, resource_id, sections, outcome, purpose,
                                        intent), "rows": rows}])[0]

    def record_many(self, principal: Principal, action: str, resource_type: str, resource_ids, sections=()) -> None:
        """One entry per resource read in a list or export; a search that found nothing leaves one entry of
        resource_type "search" naming what was searched (never the terms, which are personal data)."""
        rows = [_fields(principal, action, resource_type, resource_id, sections) for resource_id in resource_ids]
        self._append(rows or [_fields(principal, action, "search", resource_type, sections)])

    def _append(self, rows: list[dict]) -> list[str]:
        try:
            with self._lock:
                return self._chained(rows, self.now())
        except Exception as exc:  # noqa: BLE001 - whatever stops the audit stops the request
            raise Unavailable("the access audit cannot be written; the request was not served") from exc

    def _chained(self, rows: list[dict], at: datetime) -> list[str]:
        chain, collection, keys = chain_of(self.service, at), AuditEntry._get_collection(), self.keys.ring()
        seq, prev = self._heads.get(chain) or probe_head(chain, _hinted(chain))
        written: list[str] = []
        while len(written) < len(rows):
            documents = _linked(chain, at, rows[len(written):], seq, prev, keys)
            try:
                if len(documents) == 1:
                    collection.insert_one(documents[0])
                else:
                    collection.insert_many(documents, ordered=True)
                written += [d["_id"] for d in documents]
                seq, prev = documents[-1]["seq"], documents[-1]["hash"]
            except (DuplicateKeyError, BulkWriteError) as exc:
                taken = _first_taken(exc)
                written += [d["_id"] for d in documents[:taken]]
                seq, prev = head_from(chain, documents[taken]["seq"])
        self._remember(chain, seq, prev, len(rows))
        return written

    def _remember(self, chain: str, seq: int, prev: str, added: int) -> None:
        self._heads = {chain: (seq, prev)}
        if seq // HINT_EVERY != (seq - added) // HINT_EVERY:
            _heads_collection().update_one({"_id": chain}, {"$set": {"seq": seq}}, upsert=True)

    def entries(self, resource_id: str | None = None, subject: str | None = None, action: str | None = None,
                since: date | None = None, until: date | None = None, after: str | None = None,
                limit: int = 100) -> tuple[list[dict], str | None]:
        """A page of entries in `_id` order (by day, then as written) after the entry `after`, and the id to ask
        after for the next page (None at the end). Served by an index: equality on resource_id or subject, else
        each day's chain from `since` to `until` (both by default today)."""
        collection, wanted = AuditEntry._get_collection(), {"action": action} if action else {}
        if after:
            wanted["_id"] = {"$gt": after}
        if resource_id or subject:
            indexed = {"resource_id": resource_id} if resource_id else {}
            indexed |= {"subject": subject} if subject else {}
            if since or until:
                wanted["at"] = {**({"$gte": _midnight(since)} if since else {}),
                                **({"$lt": _midnight(until + timedelta(days=1))} if until else {})}
            found = list(collection.find({**indexed, **wanted}).sort("_id", 1).limit(limit + 1))
        else:
            last = until or datetime.now(PROVINCE_TIME).date()
            day, found = max(since or last, _day_of(after) or date.min), []
            while day <= last and len(found) <= limit:
                found += collection.find({"chain": f"{self.service}:{day.isoformat()}", **wanted}).sort(
                    "_id", 1).limit(limit + 1 - len(found))
                day += timedelta(days=1)
        return found[:limit], (found[limit - 1]["_id"] if len(found) > limit else None)


def _fields(principal: Principal, action: str, resource_type: str, resource_id: str, sections=(),
            outcome: str = "allowed", purpose: str | None = None, intent: str | None = None) -> dict:
    return {"subject": principal.subject, "roles": list(principal.roles), "unit": principal.unit, "action": action,
            "resource_type": resource_type, "resource_id": resource_id, "sections": sorted(sections),
            "purpose": purpose, "outcome": outcome, "intent": intent, "request_id": correlation_id.get()}


def _linked(chain: str, at: datetime, rows: list[dict], seq: int, prev: str, keys: AuditKeys) -> list[dict]:
    documents = []
    for offset, row in enumerate(rows, start=1):
        document = {key: value for key, value in row.items() if value is not None}
        document.update(_id=entry_id(chain, seq + offset), chain=chain, seq=seq + offset, at=at, prev_hash=prev,
                        key_id=keys.current)
        document["hash"] = prev = keyed_digest(document, keys)
        documents.append(document)
    return documents


def _first_taken(exc: Exception) -> int:
    """The position of the first entry another writer's took the number of; anything else is re-raised."""
    if isinstance(exc, DuplicateKeyError):
        return 0
    first = exc.details["writeErrors"][0]
    if first.get("code") != DUPLICATE_KEY:
        raise exc
    return first["index"]


def _heads_collection():
    return AuditEntry._get_db()["audit_heads"]


def _hinted(chain: str) -> int:
    hint = _heads_collection().find_one({"_id": chain})
    return hint["seq"] if hint else 0


def _exists(chain: str, seq: int) -> bool:
    return seq == 0 or AuditEntry._get_collection().find_one({"_id": entry_id(chain, seq)}, {"_id": 1}) is not None


def head_from(chain: str, taken: int, window: int = 16) -> tuple[int, str]:
    """The head after another writer took number `taken`: one `_id $in` lookup of the numbers from `taken` on
    finds it when fewer than `window` entries were written since, as when the processes of a service take turns;
    otherwise (or if `taken` is gone) the probing finds it."""
    found = {entry["seq"]: entry["hash"] for entry in AuditEntry._get_collection().find(
        {"_id": {"$in": [entry_id(chain, n) for n in range(taken, taken + window)]}}, {"seq": 1, "hash": 1})}
    if taken not in found or taken + window - 1 in found:
        return probe_head(chain, taken)
    head = taken
    while head + 1 in found:
        head += 1
    return head, found[head]


def probe_head(chain: str, start: int) -> tuple[int, str]:
    """The chain's last number and hash, by lookups of `_id` only (FerretDB answers no sorted index scan):
    doubling steps from `start` until a number is free, then halving between the last taken and that one."""
    if not _exists(chain, start):
        start = 0
    low, step = start, 1
    while _exists(chain, start + step):
        low, step = start + step, step * 2
    high = start + step
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if _exists(chain, middle) else (low, middle)
    if low == 0:
        return 0, GENESIS
    return low, AuditEntry._get_collection().find_one({"_id": entry_id(chain, low)}, {"hash": 1})["hash"]


def _day_of(after: str | None) -> date | None:
    try:
        return date.fromisoformat(after.split(":")[1]) if after else None
    except (IndexError, ValueError):
        return None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), PROVINCE_TIME).astimezone(timezone.utc)
