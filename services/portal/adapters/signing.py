"""The portal's signing key (Ed25519, EdDSA), generated at first start under var/keys/portal/, the tokens it signs
and the JWKS that publishes its public half."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PRIVATE, PUBLIC = "signing-private.pem", "signing-public.pem"


def _write_once(path: Path, data: bytes, mode: int) -> None:
    """Write `path` unless it exists, atomically: a temporary file hard-linked into place, so of two processes
    starting at once (gunicorn's workers) exactly one key wins and both read it."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".key-")
    try:
        os.write(handle, data)
        os.close(handle)
        os.chmod(temporary, mode)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)


def ensure_keys(directory: Path) -> tuple[Path, Path]:
    """The private and public key files, created with a new key pair if there is none."""
    directory.mkdir(parents=True, exist_ok=True)
    private, public = directory / PRIVATE, directory / PUBLIC
    if not private.exists():
        key = Ed25519PrivateKey.generate()
        _write_once(private, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()), 0o600)
    key = serialization.load_pem_private_key(private.read_bytes(), password=None)
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    if not public.exists() or public.read_bytes() != public_pem:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".key-")
        os.write(handle, public_pem)
        os.close(handle)
        os.chmod(temporary, 0o644)
        os.replace(temporary, public)
    return private, public


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Ed25519Signer:
    """Signs access tokens; `kid` is the key's RFC 7638 thumbprint, so a new key is a new kid in the JWKS."""

    def __init__(self, private_key_file: Path, issuer: str, audience: str):
        self.issuer, self.audience = issuer, audience
        self._key = serialization.load_pem_private_key(Path(private_key_file).read_bytes(), password=None)
        raw = self._key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self._jwk = {"crv": "Ed25519", "kty": "OKP", "x": _b64(raw)}
        canonical = json.dumps(self._jwk, separators=(",", ":"), sort_keys=True).encode("ascii")
        self.kid = _b64(hashlib.sha256(canonical).digest())

    def sign(self, claims: dict) -> str:
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self.kid})

    def jwks(self) -> dict:
        return {"keys": [{**self._jwk, "kid": self.kid, "alg": "EdDSA", "use": "sig"}]}
