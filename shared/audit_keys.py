"""The audit key ring: the secret the audit chain's MACs are keyed with (shared/audit.py), kept out of the database
so that someone who can write the database cannot rewrite a day's chain with hashes that verify.

A JSON file `{"current": "<id>", "keys": {"<id>": "<base64 of 32 bytes>"}, "keyed_since": "<UTC instant>"}`
(DH_AUDIT_KEY_FILE, by default var/secrets/audit-key.json, made by the scripts, mode 0600). The current key MACs
new entries; the others are retired but stay, to verify the days they keyed. `keyed_since` is when the first key
was made: an unkeyed (legacy sha256) entry written after it is a rewrite. `python -m shared.audit_keys` creates
and rotates it (docs/operations.md, "Keys").
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import secrets
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from shared.keys import write_private_json


class AuditKeyError(Exception):
    """The audit key file is missing or malformed."""


def default_file(env=None) -> Path:
    """DH_AUDIT_KEY_FILE, else <DH_VAR_DIR or ./var>/secrets/audit-key.json (as shared/settings.py reads it)."""
    env = os.environ if env is None else env
    var_dir = Path(env.get("DH_VAR_DIR") or Path.cwd() / "var")
    return Path(env.get("DH_AUDIT_KEY_FILE") or var_dir / "secrets" / "audit-key.json")


@dataclass(frozen=True)
class AuditKeys:
    current: str
    keys: dict[str, bytes]
    keyed_since: datetime

    def __post_init__(self):
        if self.current not in self.keys:
            raise AuditKeyError(f"the current audit key {self.current!r} is not in the ring")
        if any(len(key) != 32 for key in self.keys.values()):
            raise AuditKeyError("every audit key must be 32 bytes")

    @classmethod
    def read(cls, path: Path) -> "AuditKeys":
        try:
            data = json.loads(Path(path).read_text())
            keys = {kid: base64.b64decode(key, validate=True) for kid, key in data["keys"].items()}
            return cls(data["current"], keys, datetime.fromisoformat(data["keyed_since"].replace("Z", "+00:00")))
        except FileNotFoundError:
            raise AuditKeyError(f"{path} does not exist; run `python -m shared.audit_keys init --file {path}`") \
                from None
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise AuditKeyError(f"{path} is not an audit key ring ({error})") from None

    def write(self, path: Path) -> None:
        write_private_json(path, {"current": self.current, "keyed_since": _instant(self.keyed_since),
                                  "keys": {kid: base64.b64encode(key).decode() for kid, key in self.keys.items()}})

    @classmethod
    def new(cls, now: datetime | None = None) -> "AuditKeys":
        return cls("a1", {"a1": os.urandom(32)}, now or datetime.now(timezone.utc))

    def rotated(self) -> "AuditKeys":
        """A ring with a new current key; the retired ones stay for verifying."""
        kid = f"a{time.strftime('%Y%m%d')}-{secrets.token_hex(3)}"
        return AuditKeys(kid, {**self.keys, kid: os.urandom(32)}, self.keyed_since)

    def mac(self, kid: str, message: bytes) -> str:
        return hmac.new(self.keys[kid], message, hashlib.sha256).hexdigest()


class AuditKeyFile:
    """The ring as its file holds it now: read again when the file changes, so a rotation applies from the next
    entry without a restart."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._seen: tuple[int, int] | None = None
        self._ring: AuditKeys | None = None
        self._lock = threading.Lock()

    def ring(self) -> AuditKeys:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            raise AuditKeyError(f"{self.path} does not exist; run `python -m shared.audit_keys init --file "
                                f"{self.path}`") from None
        seen = (stat.st_mtime_ns, stat.st_ino)
        with self._lock:
            if seen != self._seen:
                self._ring, self._seen = AuditKeys.read(self.path), seen
            return self._ring


def _instant(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.audit_keys", description="The audit key ring")
    parser.add_argument("command", choices=["init", "rotate", "show"])
    parser.add_argument("--file", type=Path, default=None, help="default: DH_AUDIT_KEY_FILE or var/secrets/...")
    args = parser.parse_args(argv)
    path = args.file or default_file()
    if args.command == "init":
        if path.exists():
            print(f"{path} exists; nothing done")
            return 0
        AuditKeys.new().write(path)
    elif args.command == "rotate":
        ring = AuditKeys.read(path).rotated()
        ring.write(path)
        print(f"current audit key: {ring.current}; keep the retired ones, they verify the days they keyed")
    else:
        ring = AuditKeys.read(path)
        print(json.dumps({"current": ring.current, "keys": sorted(ring.keys),
                          "keyed_since": _instant(ring.keyed_since)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
