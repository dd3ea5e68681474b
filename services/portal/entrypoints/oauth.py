"""The OpenID Connect face of the portal: discovery, the JWKS and the token endpoint, where agency systems take
access tokens with the client credentials grant (authlib's AuthorizationServer; no protocol code of our own)."""
from __future__ import annotations

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from flask import Blueprint, current_app, jsonify

from services.portal.domain.commands import AuthenticateClient, IssueClientToken
from services.portal.domain.policy import CLIENT_ID

AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
CLAIMS = ["sub", "roles", "unit", "areas", "aud", "iss", "iat", "nbf", "exp", "jti"]


def _bus():
    return current_app.extensions["service_layer"]


class ClientCredentials(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS


class AgencyClient(ClientMixin):
    """What authlib asks of a client; the secret is checked by the service layer against its hash."""

    def __init__(self, client_id: str):
        self.client_id = client_id

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        return ""

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        return _bus().handle(AuthenticateClient(self.client_id, client_secret or ""))

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint == "token" and method in AUTH_METHODS

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type == ClientCredentials.GRANT_TYPE


def _query_client(client_id):
    return AgencyClient(client_id) if isinstance(client_id, str) and CLIENT_ID.match(client_id) else None


def _token(grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=False):
    return _bus().handle(IssueClientToken(client.client_id))


def install_oidc(app, issuer: str) -> None:
    server = AuthorizationServer(app, query_client=_query_client, save_token=lambda token, request: None)
    server.register_grant(ClientCredentials)
    server.register_token_generator(ClientCredentials.GRANT_TYPE, _token)
    oidc = Blueprint("oidc", __name__)

    @oidc.post("/oauth/token")
    def token():
        """Client credentials grant (RFC 6749 section 4.4): an access token of 5 minutes for a service client."""
        return server.create_token_response()

    @oidc.get("/.well-known/openid-configuration")
    def discovery():
        return jsonify({"issuer": issuer, "jwks_uri": f"{issuer}/jwks.json", "token_endpoint": f"{issuer}/oauth/token",
                        "grant_types_supported": [ClientCredentials.GRANT_TYPE],
                        "token_endpoint_auth_methods_supported": AUTH_METHODS,
                        "id_token_signing_alg_values_supported": ["EdDSA"],
                        "access_token_signing_alg_values_supported": ["EdDSA"],
                        "response_types_supported": [], "subject_types_supported": ["public"],
                        "claims_supported": CLAIMS})

    @oidc.get("/jwks.json")
    def jwks():
        response = jsonify(_bus().dependencies["signer"].jwks())
        response.headers["Cache-Control"] = "public, max-age=300"
        return response

    app.register_blueprint(oidc)
