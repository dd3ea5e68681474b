"""Field encryption at rest (AES-GCM) and keyed hashes for exact lookups, from one master key.

The master key comes from the environment (DH_DATA_KEY, base64 of 32 bytes) or a file; the encryption and the
lookup keys are derived from it with HKDF, so a lookup hash reveals nothing about the ciphertexts' key.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "v1."


class DecryptionError(Exception):
    """A stored value does not decrypt with this key and context: wrong key, tampering, or a swapped field."""


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"donghanh:" + purpose).derive(master)


def derived_key(master: bytes, purpose: str) -> bytes:
    """A key of its own for one purpose (signing links, say), from the same master key: knowing it reveals nothing
    about the encryption or lookup keys."""
    return _derive(master, purpose.encode("utf-8"))


class FieldCipher:
    def __init__(self, master_key: bytes, lookup_key: bytes | None = None):
        """`lookup_key`: the keyed hashes' own key; without one (a system set up before it existed) it is derived
        from the master key."""
        if len(master_key) != 32:
            raise ValueError("the data key must be 32 bytes")
        self._aead = AESGCM(_derive(master_key, b"field-encryption"))
        self._lookup = _derive(lookup_key or master_key, b"lookup-hash")

    def encrypt(self, value: str | None, context: str) -> str | None:
        """`context` (e.g. "person:P123:national_id") is bound to the ciphertext: it cannot be moved elsewhere."""
        if value is None:
            return None
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), context.encode("utf-8"))
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str | None, context: str) -> str | None:
        if token is None:
            return None
        if not token.startswith(PREFIX):
            raise DecryptionError("unknown ciphertext format")
        raw = base64.urlsafe_b64decode(token[len(PREFIX):])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], context.encode("utf-8")).decode("utf-8")
        except InvalidTag:
            raise DecryptionError(f"cannot decrypt {context}") from None

    def lookup_hash(self, value: str, purpose: str) -> str:
        return hmac.new(self._lookup, f"{purpose}:{value}".encode("utf-8"), hashlib.sha256).hexdigest()


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode("ascii")
