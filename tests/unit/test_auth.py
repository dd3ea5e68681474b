import time

import jwt
import pytest

from shared.auth import AuthError, TokenVerifier, generate_keys, mint
from services.roles import ROLES


@pytest.fixture
def keys(tmp_path):
    generate_keys(tmp_path)
    return tmp_path / "jwt-private.pem", tmp_path / "jwt-public.pem"


@pytest.fixture
def verifier(keys):
    return TokenVerifier("donghanh", "donghanh-local", str(keys[1]), roles=ROLES)


def test_a_valid_token_gives_subject_roles_unit_and_areas(keys, verifier):
    principal = verifier.verify(mint(str(keys[0]), subject="u1", roles=["caseworker"], unit="U", areas=["22366"]))
    assert (principal.subject, principal.roles, principal.unit, principal.areas) == \
        ("u1", ("caseworker",), "U", ("22366",))


@pytest.mark.parametrize("change", [
    lambda: {"exp": int(time.time()) - 10}, lambda: {"nbf": int(time.time()) + 600}, lambda: {"aud": "other"},
    lambda: {"iss": "someone"}, lambda: {"roles": ["emperor"]}, lambda: {"areas": "56"},
])
def test_bad_claims_are_refused(keys, verifier, change):
    """Times are taken when the test runs, not when it is collected (the suite runs longer than ten minutes)."""
    claims = jwt.decode(mint(str(keys[0]), subject="u", roles=["caseworker"]), options={"verify_signature": False})
    token = jwt.encode({**claims, **change()}, keys[0].read_bytes(), algorithm="EdDSA")
    with pytest.raises(AuthError):
        verifier.verify(token)


def test_unsigned_and_foreign_tokens_are_refused(keys, verifier, tmp_path):
    claims = jwt.decode(mint(str(keys[0]), subject="u", roles=["caseworker"]), options={"verify_signature": False})
    with pytest.raises(AuthError):
        verifier.verify(jwt.encode(claims, None, algorithm="none"))
    with pytest.raises(AuthError):
        verifier.verify(jwt.encode(claims, "secret", algorithm="HS256"))
    other = tmp_path / "other"
    generate_keys(other)
    with pytest.raises(AuthError):
        verifier.verify(jwt.encode(claims, (other / "jwt-private.pem").read_bytes(), algorithm="EdDSA"))
