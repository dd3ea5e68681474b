"""The audit key ring file: made once by the scripts (owner-only), rotated keeping the retired keys, refused when
malformed, and read again by a writer when it changes."""
import json
import stat

import pytest

from shared.audit_keys import AuditKeyError, AuditKeyFile, AuditKeys, main


def test_init_makes_an_owner_only_ring_once(tmp_path, capsys):
    ring_file = tmp_path / "audit-key.json"
    assert main(["init", "--file", str(ring_file)]) == 0
    assert stat.S_IMODE(ring_file.stat().st_mode) == 0o600
    first = ring_file.read_text()
    assert main(["init", "--file", str(ring_file)]) == 0 and ring_file.read_text() == first
    assert "exists" in capsys.readouterr().out


def test_rotation_keeps_the_retired_keys_and_when_keying_began(tmp_path):
    ring_file = tmp_path / "audit-key.json"
    main(["init", "--file", str(ring_file)])
    before = AuditKeys.read(ring_file)
    main(["rotate", "--file", str(ring_file)])
    after = AuditKeys.read(ring_file)
    assert after.current != before.current and after.keys[before.current] == before.keys[before.current]
    assert after.keyed_since == before.keyed_since
    assert after.mac(before.current, b"entry") == before.mac(before.current, b"entry") != after.mac(after.current,
                                                                                                   b"entry")


SINCE = "2026-11-29T00:00:00Z"


@pytest.mark.parametrize("content", [
    "", "{}", json.dumps({"current": "a1", "keys": {"a1": "c2hvcnQ="}, "keyed_since": SINCE}),
    json.dumps({"current": "a2", "keys": {}, "keyed_since": SINCE}),
    json.dumps({"current": "a1", "keys": {"a1": "A" * 43 + "="}, "keyed_since": "CHANGE-ME"})])
def test_a_malformed_ring_is_refused(tmp_path, content):
    ring_file = tmp_path / "audit-key.json"
    ring_file.write_text(content)
    with pytest.raises(AuditKeyError):
        AuditKeys.read(ring_file)


def test_a_missing_ring_names_the_command_that_makes_it(tmp_path):
    with pytest.raises(AuditKeyError, match="shared.audit_keys init"):
        AuditKeyFile(tmp_path / "absent.json").ring()


def test_the_writer_sees_a_rotation_without_a_restart(tmp_path):
    ring_file = tmp_path / "audit-key.json"
    main(["init", "--file", str(ring_file)])
    source = AuditKeyFile(ring_file)
    first = source.ring()
    assert source.ring() is first
    main(["rotate", "--file", str(ring_file)])
    assert source.ring().current != first.current
