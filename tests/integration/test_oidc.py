"""Production verification through an OpenID provider's discovery document and JWKS, served by a real HTTP server."""
import json
import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth import AuthError, DiscoveryRefused, TokenVerifier
from services.roles import ROLES


@pytest.fixture
def provider(httpserver):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    httpserver.expect_request("/.well-known/openid-configuration").respond_with_json(
        {"issuer": "https://sso.khanhhoa.gov.vn", "jwks_uri": httpserver.url_for("/jwks")})
    httpserver.expect_request("/jwks").respond_with_json({"keys": [{**jwk, "kid": "k1", "alg": "RS256",
                                                                    "use": "sig"}]})
    return key, httpserver.url_for("/.well-known/openid-configuration")


ISSUER = "https://sso.khanhhoa.gov.vn"


def claims(**changes):
    now = int(time.time())
    return {"sub": "officer", "roles": ["police_liaison"], "unit": "CAX-22366", "areas": ["22366"],
            "aud": "donghanh", "iss": "https://sso.khanhhoa.gov.vn", "iat": now, "nbf": now, "exp": now + 60,
            **changes}


def test_tokens_signed_by_the_provider_are_accepted(provider):
    key, discovery = provider
    verifier = TokenVerifier("donghanh", ISSUER, discovery_url=discovery, roles=ROLES)
    token = jwt.encode(claims(), key, algorithm="RS256", headers={"kid": "k1"})
    assert verifier.verify(token).unit == "CAX-22366"


def test_tokens_from_another_issuer_or_key_are_refused(provider):
    key, discovery = provider
    verifier = TokenVerifier("donghanh", ISSUER, discovery_url=discovery, roles=ROLES)
    with pytest.raises(AuthError):
        verifier.verify(jwt.encode(claims(iss="https://evil"), key, algorithm="RS256", headers={"kid": "k1"}))
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(AuthError):
        verifier.verify(jwt.encode(claims(), other, algorithm="RS256", headers={"kid": "k1"}))


def test_a_provider_naming_another_issuer_than_configured_is_refused_at_start(provider):
    _, discovery = provider
    with pytest.raises(DiscoveryRefused, match="configured issuer"):
        TokenVerifier("donghanh", "https://sso.other.gov.vn", discovery_url=discovery, roles=ROLES)


@pytest.mark.parametrize("url", ["http://sso.khanhhoa.gov.vn/.well-known/openid-configuration",
                                 "ftp://127.0.0.1/openid-configuration"])
def test_discovery_over_plain_http_beyond_this_machine_is_refused(url):
    with pytest.raises(DiscoveryRefused, match="not https"):
        TokenVerifier("donghanh", ISSUER, discovery_url=url, roles=ROLES)


def test_keys_offered_over_plain_http_beyond_this_machine_are_refused(httpserver):
    httpserver.expect_request("/.well-known/openid-configuration").respond_with_json(
        {"issuer": ISSUER, "jwks_uri": "http://sso.khanhhoa.gov.vn/jwks"})
    with pytest.raises(DiscoveryRefused, match="not https"):
        TokenVerifier("donghanh", ISSUER, discovery_url=httpserver.url_for("/.well-known/openid-configuration"),
                      roles=ROLES)



def test_a_provider_still_starting_is_waited_for(httpserver):
    """An error page and a page that is not its description are waited out like a refused connection: a worker
    giving up would stop its whole gunicorn."""
    path = "/.well-known/openid-configuration"
    httpserver.expect_ordered_request(path).respond_with_data("starting", status=503)
    httpserver.expect_ordered_request(path).respond_with_data("<html>starting</html>", content_type="text/html")
    httpserver.expect_ordered_request(path).respond_with_json({"issuer": ISSUER, "jwks_uri":
                                                               httpserver.url_for("/jwks")})
    TokenVerifier("donghanh", ISSUER, discovery_url=httpserver.url_for(path), roles=ROLES,
                  discovery_wait_seconds=10)
    httpserver.check_assertions()


def test_a_provider_that_never_answers_its_description_stops_the_start(httpserver):
    httpserver.expect_request("/.well-known/openid-configuration").respond_with_data("down", status=503)
    with pytest.raises(requests.HTTPError):
        TokenVerifier("donghanh", ISSUER, discovery_url=httpserver.url_for("/.well-known/openid-configuration"),
                      roles=ROLES, discovery_wait_seconds=1)
