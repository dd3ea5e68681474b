"""Checking one service's audit chain of one day: every number from 1 present, each entry linking to the hash of
the one before and its own `hash` the MAC under the audit key its `key_id` names (a legacy sha256 entry, without
`key_id`, only before the ring's `keyed_since` and never after a keyed one: no downgrade); and the intents older
than a few minutes that no completion names (a process died between them, or the completion could not be written:
the change may or may not be saved).

    python -m shared.audit_verify --service cases [--day 2026-11-29] [--stale-minutes 10]

Prints "ok: N entries ..." and exits 0, or the first broken link and exits 1.
"""
from __future__ import annotations

import argparse
import hmac
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from shared.audit import GENESIS, PROVINCE_TIME, AuditEntry, digest, entry_id, keyed_digest
from shared.audit_keys import AuditKeys, default_file


@dataclass
class Verdict:
    chain: str
    entries: int = 0
    head: str = GENESIS
    broken_at: int | None = None
    expected: str = ""
    found: str = ""
    open_intents: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken_at is None

    def lines(self) -> list[str]:
        if self.ok:
            said = [f"ok: {self.entries} entries in {self.chain}, head hash {self.head}"]
        else:
            said = [f"broken: {self.chain} at seq {self.broken_at}: expected {self.expected}, found {self.found}"]
        return said + [f"open intent: {e['_id']} {e['action']} {e['resource_type']} {e['resource_id']} by "
                       f"{e['subject']} at {e['at'].isoformat()}" for e in self.open_intents]


def verify(service: str, day: date, stale_after: timedelta = timedelta(minutes=10),
           now: datetime | None = None, keys: AuditKeys | None = None) -> Verdict:
    """`keys`: the audit key ring, by default read from DH_AUDIT_KEY_FILE or var/secrets/audit-key.json."""
    chain, keys = f"{service}:{day.isoformat()}", keys or AuditKeys.read(default_file())
    collection = AuditEntry._get_collection()
    verdict, seq, prev, keyed = Verdict(chain), 0, GENESIS, False
    documents = list(collection.find({"chain": chain}).sort("_id", 1))
    for document in documents:
        seq += 1
        broken = _broken_link(document, chain, seq, prev) or _forged(document, keys, keyed)
        if broken:
            verdict.broken_at, verdict.expected, verdict.found = seq, *broken
            return verdict
        prev, keyed = document["hash"], keyed or "key_id" in document
    hint = AuditEntry._get_db()["audit_heads"].find_one({"_id": chain})
    if hint and hint["seq"] > seq:
        verdict.broken_at, verdict.expected, verdict.found = (
            seq + 1, f"entries up to seq {hint['seq']} (the head hint)", "the chain ends before")
        return verdict
    verdict.entries, verdict.head = seq, prev
    verdict.open_intents = _open_intents(documents, (now or datetime.now(timezone.utc)) - stale_after)
    return verdict


def _broken_link(document: dict, chain: str, seq: int, prev: str) -> tuple[str, str] | None:
    """Also whether the entry's time falls on its chain's day: an entry backdated to before the audit key was
    made would otherwise pass as a legacy sha256 one on any later day."""
    if document["_id"] != entry_id(chain, seq):
        return f"_id {entry_id(chain, seq)} (deleted?)", f"_id {document['_id']}"
    at, day = document.get("at"), chain.rpartition(":")[2]
    if not isinstance(at, datetime) or _aware(at).astimezone(PROVINCE_TIME).date().isoformat() != day:
        return f"a time on {day} (the chain's day, province time)", f"at {at}"
    if document.get("seq") != seq:
        return f"seq {seq}", f"seq {document.get('seq')}"
    if document.get("prev_hash") != prev:
        return f"prev_hash {prev}", f"prev_hash {document.get('prev_hash')}"
    return None


def _forged(document: dict, keys: AuditKeys, keyed: bool) -> tuple[str, str] | None:
    """Whether the entry's `hash` is not its MAC. The expected MAC is never printed: the output would otherwise
    hand whoever reads it a MAC for an edited entry."""
    found, kid = str(document.get("hash")), document.get("key_id")
    if kid is None:
        if keyed:
            return "hash keyed with the audit key (key_id), as the entries before", f"legacy sha256 hash {found}"
        at = document.get("at")
        if not isinstance(at, datetime) or _aware(at) >= keys.keyed_since:
            return (f"hash keyed with the audit key (key_id): no legacy sha256 entry after the key was made "
                    f"({keys.keyed_since.isoformat()})", f"legacy sha256 hash {found}")
        computed = digest(document)
        return None if hmac.compare_digest(computed, found) else (f"hash {computed} (legacy sha256)", f"hash {found}")
    if kid not in keys.keys:
        return f"hash keyed with an audit key of the ring ({', '.join(sorted(keys.keys))})", f"key_id {kid}"
    if not hmac.compare_digest(keyed_digest(document, keys), found):
        return f"hash the HMAC-SHA256 under audit key {kid} (does not match)", f"hash {found}"
    return None


def _open_intents(documents: list[dict], before: datetime) -> list[dict]:
    completed = {d.get("intent") for d in documents}
    waiting = [d for d in documents if d["outcome"] == "intended" and d["_id"] not in completed
               and _aware(d["at"]) < before]
    if not waiting:
        return []
    later = {d["intent"] for d in AuditEntry._get_collection().find(
        {"intent": {"$in": [d["_id"] for d in waiting]}}, {"intent": 1})}
    return [d for d in waiting if d["_id"] not in later]


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.audit_verify", description=__doc__.split("\n\n")[0])
    parser.add_argument("--service", required=True, help="cases, plans or notifications")
    parser.add_argument("--day", type=date.fromisoformat, help="YYYY-MM-DD, the province's day; default today")
    parser.add_argument("--stale-minutes", type=int, default=10,
                        help="list intents older than this with no completion (default 10)")
    arguments = parser.parse_args(argv)
    from shared import runtime
    from shared.settings import Settings
    settings = Settings.from_env(arguments.service)
    runtime.connect_database(settings)
    verdict = verify(arguments.service, arguments.day or datetime.now(PROVINCE_TIME).date(),
                     timedelta(minutes=arguments.stale_minutes), keys=AuditKeys.read(settings.audit_key_file))
    print("\n".join(verdict.lines()))
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
