"""WebAuthn through py_webauthn (pinned 3.0.1) for the portal's relying party, and the one pending challenge of a
web session kept in its session document (services/portal/service_layer/ports.py SecurityKeys, Challenges)."""
from __future__ import annotations

import json
from datetime import datetime

from webauthn import (generate_authentication_options, generate_registration_options, options_to_json,
                      verify_authentication_response, verify_registration_response)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, parse_authentication_credential_json
from webauthn.helpers.structs import (AttestationConveyancePreference, AuthenticatorSelectionCriteria,
                                      AuthenticatorTransport, PublicKeyCredentialDescriptor, ResidentKeyRequirement,
                                      UserVerificationRequirement)

from shared.clock import aware

from services.portal.adapters.documents import WebSessionDocument
from services.portal.adapters.stores import _key
from services.portal.domain.policy import SECOND_STEP_TIMEOUT
from services.portal.service_layer.ports import CredentialRefused, PendingChallenge, RegisteredKey

TIMEOUT_MS = int(SECOND_STEP_TIMEOUT.total_seconds() * 1000)
TRANSPORTS = {t.value: t for t in AuthenticatorTransport}


def _refused(error: Exception) -> CredentialRefused:
    """Whatever the library or the parsers raised on an answer from outside, as a refusal (never a 500)."""
    why = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
    return CredentialRefused(f"does not verify: {why}")


def _descriptor(credential_id: str, transports=()) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(id=base64url_to_bytes(credential_id),
                                         transports=[TRANSPORTS[t] for t in transports if t in TRANSPORTS] or None)


def _transports(credential: dict) -> list[str]:
    """The transports a registration names, kept only as a list of the ones WebAuthn knows: they come from outside
    and are only a hint to the browser at sign-in."""
    response = credential.get("response")
    transports = response.get("transports") if isinstance(response, dict) else None
    if not isinstance(transports, list):
        return []
    return [t for t in transports if isinstance(t, str) and t in TRANSPORTS]


class PyWebAuthnKeys:
    """The second factor is proved by possession: user verification is not required (the password came first), no
    attestation is asked (no authenticator's make or model is kept) and keys need not be discoverable (the sign-in
    names the account's keys)."""

    def __init__(self, rp_id: str, origin: str, rp_name: str = "Đồng Hành"):
        self.rp_id, self.origin, self.rp_name = rp_id, origin, rp_name

    def registration_options(self, username: str, exclude: list[str], user_handle: str) -> tuple[dict, bytes]:
        options = generate_registration_options(
            rp_id=self.rp_id, rp_name=self.rp_name, user_id=base64url_to_bytes(user_handle), user_name=username,
            user_display_name=username,
            timeout=TIMEOUT_MS, attestation=AttestationConveyancePreference.NONE,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.DISCOURAGED,
                user_verification=UserVerificationRequirement.DISCOURAGED),
            exclude_credentials=[_descriptor(c) for c in exclude])
        return json.loads(options_to_json(options)), options.challenge

    def verify_registration(self, credential: dict, challenge: bytes) -> RegisteredKey:
        try:
            verified = verify_registration_response(credential=credential, expected_challenge=challenge,
                                                    expected_rp_id=self.rp_id, expected_origin=self.origin)
        except Exception as error:
            raise _refused(error) from None
        return RegisteredKey(bytes_to_base64url(verified.credential_id),
                             bytes_to_base64url(verified.credential_public_key), verified.sign_count,
                             _transports(credential))

    def authentication_options(self, keys: list[tuple[str, list[str]]]) -> tuple[dict, bytes]:
        options = generate_authentication_options(
            rp_id=self.rp_id, timeout=TIMEOUT_MS, user_verification=UserVerificationRequirement.DISCOURAGED,
            allow_credentials=[_descriptor(c, transports) for c, transports in keys])
        return json.loads(options_to_json(options)), options.challenge

    def credential_id(self, credential: dict) -> str:
        try:
            return bytes_to_base64url(parse_authentication_credential_json(credential).raw_id)
        except Exception as error:
            raise _refused(error) from None

    def verify_authentication(self, credential: dict, challenge: bytes, public_key: str) -> int:
        """The counter is judged by the caller against the sign-in record, so it is given the library as 0."""
        try:
            verified = verify_authentication_response(
                credential=credential, expected_challenge=challenge, expected_rp_id=self.rp_id,
                expected_origin=self.origin, credential_public_key=base64url_to_bytes(public_key),
                credential_current_sign_count=0)
        except Exception as error:
            raise _refused(error) from None
        return verified.new_sign_count


class MongoChallenges:
    """In the session's own document (`pending_challenge`), so a challenge is good for its session only, and ends
    with it."""

    def keep(self, session_token: str, purpose: str, challenge: bytes, now: datetime,
             user_handle: str | None = None) -> None:
        WebSessionDocument._get_collection().update_one(
            {"_id": _key(session_token)},
            {"$set": {"pending_challenge": {"purpose": purpose, "challenge": bytes_to_base64url(challenge),
                                            "issued_at": now, "user_handle": user_handle}}})

    def take(self, session_token: str) -> PendingChallenge | None:
        found = WebSessionDocument._get_collection().find_one_and_update(
            {"_id": _key(session_token)}, {"$unset": {"pending_challenge": ""}})
        pending = (found or {}).get("pending_challenge")
        if not pending:
            return None
        return PendingChallenge(pending["purpose"], base64url_to_bytes(pending["challenge"]),
                                aware(pending["issued_at"]), pending.get("user_handle"))
