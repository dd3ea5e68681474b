"""A software WebAuthn authenticator for the tests: an EC P-256 key answering `navigator.credentials.create` and
`.get` as a browser would serialise them (base64url fields, "none" attestation), with a signature counter (or, as
many passkeys, without one: `counter=False` answers 0 every time)."""
from __future__ import annotations

import copy
import hashlib
import json
import os

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import bytes_to_base64url

RP_ID, ORIGIN = "localhost", "http://localhost:8104"
"""What the portal's settings derive from the tests' PORTAL_PUBLIC_URL (http://127.0.0.1:8104)."""


def _b64(data: bytes) -> str:
    return bytes_to_base64url(data)


class SoftKey:
    def __init__(self, rp_id: str = RP_ID, origin: str = ORIGIN, counter: bool = True):
        self.rp_id, self.origin, self.counter = rp_id, origin, counter
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.raw_id = os.urandom(32)
        self.count = 0

    @property
    def credential_id(self) -> str:
        return _b64(self.raw_id)

    def copy(self) -> "SoftKey":
        """A clone of the key, its counter as it is now."""
        return copy.copy(self)

    def _cose(self) -> bytes:
        numbers = self.private.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or self.origin,
                           "crossOrigin": False}).encode()

    def create(self, options: dict, origin: str | None = None) -> dict:
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        auth_data = (hashlib.sha256(self.rp_id.encode()).digest() + bytes([0x41]) + self.count.to_bytes(4, "big")
                     + bytes(16) + len(self.raw_id).to_bytes(2, "big") + self.raw_id + self._cose())
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {"id": self.credential_id, "rawId": self.credential_id, "type": "public-key",
                "clientExtensionResults": {},
                "response": {"clientDataJSON": _b64(client_data), "attestationObject": _b64(attestation),
                             "transports": ["usb"]}}

    def get(self, options: dict, origin: str | None = None) -> dict:
        self.count += 1 if self.counter else 0
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        auth_data = hashlib.sha256(self.rp_id.encode()).digest() + bytes([0x01]) + self.count.to_bytes(4, "big")
        signature = self.private.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {"id": self.credential_id, "rawId": self.credential_id, "type": "public-key",
                "clientExtensionResults": {},
                "response": {"clientDataJSON": _b64(client_data), "authenticatorData": _b64(auth_data),
                             "signature": _b64(signature)}}
