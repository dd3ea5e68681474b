"""Envelope encryption that can be erased: every owner of personal data (a person) has a data key of its own,
stored wrapped by a master key that has an id; erasing the owner deletes the data key, and what it sealed cannot be
opened again anywhere it was copied, the append-only event log included (crypto-shredding). Rotating the master
key rewraps the data keys and re-encrypts no data.

The master keys are a key ring, a JSON file `{"current": "<id>", "keys": {"<id>": "<base64 of 32 bytes>"}}`
(DH_MASTER_KEYS_FILE, by default var/secrets/master-keys.json, made by the scripts) kept away from the database
and its backups. `python -m shared.keys` creates, rotates and retires them (docs/operations.md, "Keys").
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from mongoengine import DateTimeField, Document, StringField
from mongoengine.errors import NotUniqueError

from shared.crypto import DecryptionError, FieldCipher
from shared.errors import Erased

SEALED = "p1."


def write_private_json(path: Path, data: dict) -> None:
    """A key file, written atomically and readable by its owner only."""
    path = Path(path)
    temporary = path.with_suffix(".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
    os.replace(temporary, path)


class KeyRingError(Exception):
    """The key ring is missing, malformed, or lacks a key some data key is wrapped with."""


class KeyRing:
    def __init__(self, keys: dict[str, bytes], current: str):
        if current not in keys:
            raise KeyRingError(f"the current master key {current!r} is not in the ring")
        if any(len(k) != 32 for k in keys.values()):
            raise KeyRingError("every master key must be 32 bytes")
        self.keys, self.current = dict(keys), current

    @classmethod
    def read(cls, path: Path) -> "KeyRing":
        try:
            data = json.loads(Path(path).read_text())
            return cls({kid: base64.b64decode(key, validate=True) for kid, key in data["keys"].items()},
                       data["current"])
        except FileNotFoundError:
            raise KeyRingError(f"{path} does not exist; run `python -m shared.keys init --file {path}`") from None
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise KeyRingError(f"{path} is not a key ring ({error})") from None

    def write(self, path: Path) -> None:
        write_private_json(path, {"current": self.current,
                                  "keys": {kid: base64.b64encode(k).decode() for kid, k in self.keys.items()}})

    def wrap(self, data_key: bytes, owner: str) -> tuple[str, str]:
        """(master key id, wrapped data key), bound to its owner: a wrapped key copied to another owner does not
        unwrap."""
        nonce = os.urandom(12)
        wrapped = AESGCM(self.keys[self.current]).encrypt(nonce, data_key, owner.encode())
        return self.current, base64.b64encode(nonce + wrapped).decode()

    def unwrap(self, kid: str, wrapped: str, owner: str) -> bytes:
        if kid not in self.keys:
            raise KeyRingError(f"master key {kid!r} is not in the ring (retired too early?)")
        raw = base64.b64decode(wrapped)
        try:
            return AESGCM(self.keys[kid]).decrypt(raw[:12], raw[12:], owner.encode())
        except InvalidTag:
            raise KeyRingError(f"the data key of {owner} does not unwrap with master key {kid!r}") from None

    def rotated(self) -> "KeyRing":
        """A ring with a new current key; the old ones stay until every data key is rewrapped."""
        kid = f"k{time.strftime('%Y%m%d')}-{secrets.token_hex(3)}"
        return KeyRing({**self.keys, kid: os.urandom(32)}, kid)


class DataKey(Document):
    """One owner's data key, wrapped; erasing removes the key and leaves the owner's `erased_at`, so no new key is
    ever made for an erased owner."""
    owner = StringField(primary_key=True)
    kid = StringField()
    wrapped = StringField()
    created_at = DateTimeField()
    erased_at = DateTimeField()
    meta = {"collection": "data_keys", "auto_create_index": False}


class DataKeys:
    """Each owner's data key, made on first use by unique insert. Sealing reads it every time (an erased owner
    gets nothing sealed anywhere); opening keeps it unwrapped in memory for `ttl_seconds` (an erasure takes effect
    in other processes' reads within that time, at once in this one)."""

    def __init__(self, ring: KeyRing, ttl_seconds: float = 30.0, clock: Callable[[], float] = time.monotonic):
        self.ring, self.ttl_seconds, self.clock = ring, ttl_seconds, clock
        self._cache: dict[str, tuple[float, AESGCM]] = {}
        self._lock = threading.Lock()

    def for_sealing(self, owner: str) -> AESGCM:
        """The owner's key as stored now, or a new one made by unique insert; the insert fails on a key another
        writer made first, and on an erased owner's tombstone (then Erased)."""
        found = self._read(owner)
        if found is not None:
            return found
        key = os.urandom(32)
        kid, wrapped = self.ring.wrap(key, owner)
        try:
            DataKey(owner=owner, kid=kid, wrapped=wrapped, created_at=datetime.now(timezone.utc)).save(
                force_insert=True)
        except NotUniqueError:
            found = self._read(owner)
            if found is None:
                raise Erased(owner) from None
            return found
        return self._remember(owner, AESGCM(key))

    def for_opening(self, owner: str) -> AESGCM:
        found = self._cached(owner) or self._read(owner)
        if found is None:
            raise Erased(owner)
        return found

    def erase(self, owner: str) -> bool:
        """Destroy the owner's data key and mark the owner erased; True if there was a key."""
        with self._lock:
            self._cache.pop(owner, None)
        before = DataKey._get_collection().find_one_and_replace(
            {"_id": owner}, {"_id": owner, "erased_at": datetime.now(timezone.utc)}, upsert=True)
        return bool(before and before.get("wrapped"))

    def rewrap_all(self) -> int:
        """Wrap every data key not under the current master key with it; how many were rewrapped."""
        collection, count = DataKey._get_collection(), 0
        for document in collection.find({}):
            if "wrapped" not in document or document["kid"] == self.ring.current:
                continue
            key = self.ring.unwrap(document["kid"], document["wrapped"], document["_id"])
            kid, wrapped = self.ring.wrap(key, document["_id"])
            count += collection.update_one({"_id": document["_id"], "kid": document["kid"]},
                                           {"$set": {"kid": kid, "wrapped": wrapped}}).modified_count
        return count

    def kids_in_use(self) -> set[str]:
        return {d["kid"] for d in DataKey._get_collection().find({}, {"kid": 1}) if d.get("kid")}

    def _cached(self, owner: str) -> AESGCM | None:
        with self._lock:
            hit = self._cache.get(owner)
            return hit[1] if hit and self.clock() - hit[0] < self.ttl_seconds else None

    def _read(self, owner: str) -> AESGCM | None:
        document = DataKey._get_collection().find_one({"_id": owner})
        if document is None or "wrapped" not in document:
            return None
        return self._remember(owner, AESGCM(self.ring.unwrap(document["kid"], document["wrapped"], owner)))

    def _remember(self, owner: str, aead: AESGCM) -> AESGCM:
        with self._lock:
            self._cache[owner] = (self.clock(), aead)
        return aead


class OwnerCipher:
    """Fields sealed with their owner's data key (`p1.<owner>.<nonce+ciphertext>`, the context bound in); values
    sealed before data keys existed (`v1.`, the service-wide key) still open."""

    def __init__(self, keys: DataKeys, legacy: FieldCipher):
        self.keys, self.legacy = keys, legacy

    def encrypt(self, owner: str, value: str | None, context: str) -> str | None:
        if value is None:
            return None
        nonce = os.urandom(12)
        sealed = self.keys.for_sealing(owner).encrypt(nonce, value.encode("utf-8"), context.encode("utf-8"))
        return f"{SEALED}{owner}.{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"

    @staticmethod
    def seals(value) -> bool:
        """Whether `value` is a token this cipher made."""
        return isinstance(value, str) and value.startswith(SEALED)

    def decrypt(self, token: str | None, context: str) -> str | None:
        """None for a value whose owner was erased."""
        if token is None:
            return None
        if not token.startswith(SEALED):
            return self.legacy.decrypt(token, context)
        owner, _, payload = token[len(SEALED):].rpartition(".")
        raw = base64.urlsafe_b64decode(payload)
        try:
            aead = self.keys.for_opening(owner)
        except Erased:
            return None
        try:
            return aead.decrypt(raw[:12], raw[12:], context.encode("utf-8")).decode("utf-8")
        except InvalidTag:
            raise DecryptionError(f"cannot decrypt {context}") from None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.keys", description="The master key ring")
    parser.add_argument("command", choices=["init", "rotate", "retire", "show"])
    parser.add_argument("--file", type=Path, required=True)
    parser.add_argument("--kid", help="retire: the master key to remove (after `rewrap` found none using it)")
    args = parser.parse_args(argv)
    if args.command == "init":
        if args.file.exists():
            print(f"{args.file} exists; nothing done")
            return 0
        KeyRing({"k1": os.urandom(32)}, "k1").write(args.file)
    elif args.command == "rotate":
        ring = KeyRing.read(args.file).rotated()
        ring.write(args.file)
        print(f"current master key: {ring.current}; now rewrap the data keys of every service "
              "(python -m services.cases.entrypoints.cli keys rewrap)")
    elif args.command == "retire":
        ring = KeyRing.read(args.file)
        if args.kid == ring.current or args.kid not in ring.keys:
            print(f"{args.kid!r} is the current key or not in the ring", file=sys.stderr)
            return 1
        KeyRing({k: v for k, v in ring.keys.items() if k != args.kid}, ring.current).write(args.file)
    else:
        ring = KeyRing.read(args.file)
        print(json.dumps({"current": ring.current, "keys": sorted(ring.keys)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
