"""Passwords (argon2id), the shipped list of common passwords, one-time codes (TOTP, RFC 6238) and the sealing
of their secrets at rest."""
from __future__ import annotations

import hmac
from datetime import datetime
from pathlib import Path

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.crypto import FieldCipher

from services.portal.domain.policy import CODE_STEP_SECONDS
from services.portal.service_layer.ports import CodeMatch

COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "common-passwords.txt"
"""The 20,000 most common passwords (lower-cased, deduplicated: 19,640 lines) compiled by Royce Williams, as
Django 5.2.7 ships them in django/contrib/auth/common-passwords.txt.gz (BSD-3-Clause), one a line."""
ISSUER_NAME = "Đồng Hành"
EXPIRED_STEPS = 10
"""A code of up to this many steps (5 minutes) before the window is called expired rather than wrong."""


class Argon2Passwords:
    """argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile); tests may pass cheaper parameters."""

    def __init__(self, **parameters):
        self._hasher = PasswordHasher(**parameters)
        self._dummy = self._hasher.hash("no account has this password")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def verify_nothing(self, password: str) -> None:
        self.verify(self._dummy, password + "\x00")


class CommonPasswordList:
    def __init__(self, path: Path = COMMON_PASSWORDS_FILE):
        self._words = frozenset(line for line in path.read_text(encoding="utf-8").splitlines() if line)

    def __contains__(self, lowered: str) -> bool:
        return lowered in self._words


class TotpCodes:
    """6 digits every 30 seconds (what every authenticator app reads from the QR code); one step either side is
    accepted for clock drift."""

    def new_secret(self) -> str:
        return pyotp.random_base32()

    def provisioning_uri(self, secret: str, username: str) -> str:
        return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER_NAME)

    def qr_svg_data_uri(self, uri: str) -> str:
        return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)

    def match(self, secret: str, code: str, now: datetime) -> CodeMatch:
        code = "".join((code or "").split())
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            return CodeMatch("wrong")
        totp, current = pyotp.TOTP(secret), int(now.timestamp()) // CODE_STEP_SECONDS
        for step in (current, current - 1, current + 1):
            if hmac.compare_digest(totp.at(step * CODE_STEP_SECONDS), code):
                return CodeMatch("good", step)
        for step in range(current - 2, current - 2 - EXPIRED_STEPS, -1):
            if hmac.compare_digest(totp.at(step * CODE_STEP_SECONDS), code):
                return CodeMatch("expired", step)
        return CodeMatch("wrong")


class CipherSealer:
    """AES-GCM (shared/crypto.py) bound to the account: a sealed secret copied to another account does not open."""

    def __init__(self, cipher: FieldCipher):
        self._cipher = cipher

    def seal(self, secret: str, username: str) -> str:
        return self._cipher.encrypt(secret, f"account:{username}:totp")

    def open(self, sealed: str, username: str) -> str:
        return self._cipher.decrypt(sealed, f"account:{username}:totp")
