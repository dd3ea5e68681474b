"""Signed, expiring, one-time acknowledgement links for e-mails and SMS.

A token is `base64url(payload || tag)`: the payload holds a format byte, the expiry (seconds since the epoch),
a random token id, the alert id (16 bytes when it is a 32-digit hex id, as routed alerts' are) and the target;
the tag is HMAC-SHA256 over the payload, cut to 96 bits, with a key of its own derived from the service's master
key (shared/crypto.py `derived_key`, HKDF). Why not itsdangerous: its JSON payload, separate timestamp and full
signature make a link about twice as long, and the link goes into SMS, where 70 Vietnamese characters are one
part; a 96-bit tag still leaves a forger one chance in 2^96 per try. One-time: the first use claims
`ack-link:<token id>` (shared/once.py, a unique insert), so a second use finds it claimed."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta, timezone

from shared import once
from shared.clock import Clock
from shared.crypto import derived_key

from services.notifications.service_layer.acknowledgement import Gone, LinkGrant, LinkTampered

FORMAT = 1
TAG_BYTES = 12
TOKEN_ID_BYTES = 6
DEFAULT_TTL = timedelta(hours=72)
HEX_ID = re.compile(r"[0-9a-f]{32}")
PATH = "/api/v1/ack/"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _packed_id(alert_id: str) -> bytes:
    if HEX_ID.fullmatch(alert_id):
        return b"\x00" + bytes.fromhex(alert_id)
    raw = alert_id.encode("utf-8")
    if len(raw) > 255:
        raise ValueError("an alert id of more than 255 bytes cannot go into a link")
    return bytes((1, len(raw))) + raw


def _unpacked_id(raw: bytes) -> tuple[str, bytes]:
    if raw[0] == 0 and len(raw) >= 17:
        return raw[1:17].hex(), raw[17:]
    if raw[0] == 1 and len(raw) >= 2 + raw[1]:
        return raw[2:2 + raw[1]].decode("utf-8"), raw[2 + raw[1]:]
    raise ValueError("no alert id")


class SignedAckLinks:
    def __init__(self, key: bytes, public_url: str, clock: Clock, ttl: timedelta = DEFAULT_TTL):
        self.key, self.base, self.clock, self.ttl = key, public_url.rstrip("/") + PATH, clock, ttl

    @classmethod
    def from_settings(cls, settings, clock: Clock) -> "SignedAckLinks":
        return cls(derived_key(settings.data_key, "notifications:ack-links"), settings.notify_public_url, clock)

    def link_for(self, alert_id: str, target: str) -> str:
        expires = int((self.clock.now() + self.ttl).timestamp())
        payload = (bytes((FORMAT,)) + expires.to_bytes(4, "big") + secrets.token_bytes(TOKEN_ID_BYTES)
                   + _packed_id(alert_id) + target.encode("utf-8"))
        return self.base + _b64(payload + self._tag(payload))

    def open(self, token: str) -> LinkGrant:
        grant = self._verified(token)
        if grant.expires_at <= self.clock.now():
            raise Gone(f"this link expired at {grant.expires_at.isoformat()}")
        return grant

    def spend(self, grant: LinkGrant) -> bool:
        return once.claim(f"ack-link:{grant.token_id}", holder=grant.target)

    def spent(self, grant: LinkGrant) -> bool:
        return once.is_claimed(f"ack-link:{grant.token_id}")

    def _tag(self, payload: bytes) -> bytes:
        return hmac.new(self.key, payload, hashlib.sha256).digest()[:TAG_BYTES]

    def _verified(self, token: str) -> LinkGrant:
        tampered = LinkTampered("this link is not one this service made, or it was changed on the way",
                                errors={"token": ["not a valid acknowledgement link"]})
        try:
            raw = _unb64(token)
        except (binascii.Error, ValueError):
            raise tampered from None
        payload, tag = raw[:-TAG_BYTES], raw[-TAG_BYTES:]
        if len(payload) < 1 + 4 + TOKEN_ID_BYTES + 2 or not hmac.compare_digest(tag, self._tag(payload)):
            raise tampered
        try:
            if payload[0] != FORMAT:
                raise ValueError("unknown format")
            expires = datetime.fromtimestamp(int.from_bytes(payload[1:5], "big"), timezone.utc)
            token_id = payload[5:5 + TOKEN_ID_BYTES].hex()
            alert_id, target = _unpacked_id(payload[5 + TOKEN_ID_BYTES:])
            return LinkGrant(alert_id, target.decode("utf-8"), token_id, expires)
        except (ValueError, UnicodeDecodeError):
            raise tampered from None
