"""The master key ring: data keys wrapped per owner, with the master key's id; legacy values still open."""
import pytest

from shared.crypto import FieldCipher
from shared.keys import KeyRing, KeyRingError, OwnerCipher


def test_a_wrapped_data_key_opens_only_for_its_owner_and_under_a_key_of_the_ring():
    ring = KeyRing({"k1": b"a" * 32}, "k1")
    kid, wrapped = ring.wrap(b"d" * 32, "P1")
    assert kid == "k1" and ring.unwrap(kid, wrapped, "P1") == b"d" * 32
    with pytest.raises(KeyRingError):
        ring.unwrap(kid, wrapped, "P2")
    rotated = ring.rotated()
    assert rotated.current != "k1" and rotated.unwrap(kid, wrapped, "P1") == b"d" * 32
    with pytest.raises(KeyRingError):
        KeyRing({rotated.current: rotated.keys[rotated.current]}, rotated.current).unwrap(kid, wrapped, "P1")
    with pytest.raises(KeyRingError):
        KeyRing({"k1": b"short"}, "k1")


def test_values_sealed_before_data_keys_existed_still_open():
    legacy = FieldCipher(b"m" * 32)
    token = legacy.encrypt("0905111222", "person:P1:phone")
    assert OwnerCipher(keys=None, legacy=legacy).decrypt(token, "person:P1:phone") == "0905111222"
