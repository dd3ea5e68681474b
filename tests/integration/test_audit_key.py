"""The audit chain keyed with a secret outside the database, against the real FerretDB: someone who can write the
database, rewriting a day or its tail with hashes of their own (sha256 as before, or a key of their own) and the
head hint to match, is found at the first entry they rewrote; a rotated key applies from the next entry and the
ring verifies both; entries hashed before the key still verify, but never after it."""
import stat
from datetime import datetime, timedelta, timezone

import pytest

from shared.audit import GENESIS, PROVINCE_TIME, AuditEntry, AuditLog, canonical, chain_of, digest, entry_id
from shared.audit_keys import AuditKeys, default_file
from shared.audit_verify import verify
from shared.auth import Principal

OFFICER = Principal("cw-1", ("caseworker",), "UBX-22366", ("22366",))


@pytest.fixture
def database(settings):
    from shared import runtime
    runtime.connect_database(settings("cases"))


def today():
    return datetime.now(PROVINCE_TIME).date()


def chain_now() -> str:
    return chain_of("cases", datetime.now(timezone.utc))


def written(log: AuditLog, n: int) -> None:
    for i in range(n):
        log.record(OFFICER, "read", "case", f"c{i}", {"identity"})


def stored() -> list[dict]:
    return list(AuditEntry._get_collection().find({"chain": chain_now()}).sort("_id", 1))


def sha256_unkeyed(document: dict) -> str:
    document.pop("key_id", None)
    return digest(document)


def sha256_keeping_key_id(document: dict) -> str:
    return digest(document)


def hmac_with_own_key(document: dict) -> str:
    return AuditKeys.new().mac(document["key_id"], canonical(document))


def rewritten_from(first: int, rehash) -> None:
    """What someone with write access to the database would do: edit entry `first`, relink every entry from it
    on with freshly computed hashes, put them back, and leave the head hint agreeing."""
    collection, documents = AuditEntry._get_collection(), stored()
    prev = documents[first - 2]["hash"] if first > 1 else GENESIS
    for document in documents[first - 1:]:
        if document["seq"] == first:
            document["resource_id"] = "someone-else"
        document["prev_hash"] = prev
        document["hash"] = prev = rehash(document)
        collection.replace_one({"_id": document["_id"]}, document)
    AuditEntry._get_db()["audit_heads"].update_one({"_id": chain_now()}, {"$set": {"seq": len(documents)}},
                                                    upsert=True)


@pytest.mark.parametrize("rehash", [sha256_unkeyed, sha256_keeping_key_id, hmac_with_own_key])
def test_a_whole_day_rewritten_by_someone_with_database_access_is_found_at_its_first_entry(database, rehash):
    written(AuditLog("cases"), 20)
    assert verify("cases", today()).ok
    rewritten_from(1, rehash)
    assert all(d["prev_hash"] == p["hash"] for p, d in zip(stored(), stored()[1:])), "consistently relinked"
    verdict = verify("cases", today())
    assert verdict.broken_at == 1 and "hash" in verdict.expected, verdict.lines()


@pytest.mark.parametrize("rehash", [sha256_unkeyed, sha256_keeping_key_id, hmac_with_own_key])
def test_a_tail_rewritten_from_an_edited_entry_is_found_at_that_entry(database, rehash):
    written(AuditLog("cases"), 20)
    rewritten_from(7, rehash)
    verdict = verify("cases", today())
    assert verdict.broken_at == 7, verdict.lines()


def test_the_verdict_never_prints_the_mac_an_edited_entry_should_have(database):
    written(AuditLog("cases"), 3)
    collection, ring = AuditEntry._get_collection(), AuditKeys.read(default_file())
    collection.update_one({"_id": entry_id(chain_now(), 2)}, {"$set": {"resource_id": "someone-else"}})
    edited = collection.find_one({"_id": entry_id(chain_now(), 2)})
    verdict = verify("cases", today())
    assert verdict.broken_at == 2 and ring.mac(edited["key_id"], canonical(edited)) not in " ".join(verdict.lines())


def test_a_rotated_key_applies_from_the_next_entry_and_the_ring_verifies_both(database, tmp_path):
    ring_file = tmp_path / "audit-key.json"
    AuditKeys.new(datetime.now(timezone.utc) - timedelta(days=1)).write(ring_file)
    assert stat.S_IMODE(ring_file.stat().st_mode) == 0o600
    log = AuditLog("cases", ring_file)
    written(log, 3)
    rotated = AuditKeys.read(ring_file).rotated()
    rotated.write(ring_file)
    written(log, 3)
    assert [d["key_id"] for d in stored()] == ["a1"] * 3 + [rotated.current] * 3
    verdict = verify("cases", today(), keys=rotated)
    assert verdict.ok and verdict.entries == 6, verdict.lines()
    without_a = AuditKeys(rotated.current, {rotated.current: rotated.keys[rotated.current]}, rotated.keyed_since)
    verdict = verify("cases", today(), keys=without_a)
    assert verdict.broken_at == 1 and "key_id a1" in verdict.found, verdict.lines()


def test_entries_hashed_before_the_key_verify_as_sha256_but_not_after_it(database, tmp_path):
    earlier = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=5)
    prev = GENESIS
    for seq in (1, 2):
        document = {"_id": entry_id(chain_now(), seq), "chain": chain_now(), "seq": seq, "at": earlier,
                    "subject": "cw-1", "roles": ["caseworker"], "action": "read", "resource_type": "case",
                    "resource_id": f"old{seq}", "sections": [], "outcome": "allowed", "prev_hash": prev}
        document["hash"] = prev = digest(document)
        AuditEntry._get_collection().insert_one(document)
    ring_file = tmp_path / "audit-key.json"
    AuditKeys.new(earlier + timedelta(seconds=1)).write(ring_file)
    ring = AuditKeys.read(ring_file)
    written(AuditLog("cases", ring_file), 2)
    verdict = verify("cases", today(), keys=ring)
    assert verdict.ok and verdict.entries == 4, verdict.lines()
    too_late = AuditKeys(ring.current, ring.keys, earlier - timedelta(seconds=1))
    verdict = verify("cases", today(), keys=too_late)
    assert verdict.broken_at == 1 and "legacy" in verdict.found, verdict.lines()


def test_a_day_rewritten_with_entries_backdated_to_before_the_key_is_found(database, tmp_path):
    """Unkeyed sha256 entries pass only when written before the key was made, and an entry's time must fall on
    its chain's day: backdating the entries of a later day does not make them pass as legacy ones."""
    ring_file = tmp_path / "audit-key.json"
    made = datetime.now(timezone.utc) - timedelta(days=30)
    AuditKeys.new(made).write(ring_file)
    written(AuditLog("cases", ring_file), 3)
    collection, prev = AuditEntry._get_collection(), GENESIS
    for document in stored():
        document.pop("key_id", None)
        document["at"], document["prev_hash"] = made - timedelta(days=1), prev
        document["hash"] = prev = digest(document)
        collection.replace_one({"_id": document["_id"]}, document)
    verdict = verify("cases", today(), keys=AuditKeys.read(ring_file))
    assert verdict.broken_at == 1 and "chain's day" in verdict.expected, verdict.lines()
