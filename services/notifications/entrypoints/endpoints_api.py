"""HTTP API of agency systems' webhook endpoints (admins of the unit's areas): register one (its signing secret
shown this once), list and read them (never their secrets), change or re-enable one with If-Match, rotate its
secret with a grace during which the old one signs too (thin views over service_layer/endpoints.py)."""
from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from shared.endpoints import ETAG, ask, etag, if_match_version, takes_if_match
from shared.web import Blueprint

from services.notifications.domain import queries
from services.notifications.domain.commands import ChangeEndpoint, CreateEndpoint, RotateEndpointSecret
from services.notifications.service_layer.endpoints import MAX_GRACE_HOURS, STATUSES

endpoints_blp = Blueprint("endpoints", __name__, url_prefix="/api/v1",
                          description="Agency systems' webhook endpoints, signed per Standard Webhooks")
NAME = validate.Length(min=1, max=128)
URL = validate.Length(min=1, max=2048)
NO_STORE = {"Cache-Control": "no-store"}


class EndpointIn(Schema):
    unit_code = fields.String(required=True, validate=NAME, metadata={"description": "The agency the endpoint "
                                                                                     "belongs to"})
    name = fields.String(required=True, validate=NAME)
    url = fields.String(required=True, validate=URL, metadata={
        "description": "http(s); hosts resolving to loopback, link-local, private or shared addresses are refused "
                       "unless the operator allow-listed them (NOTIFY_WEBHOOK_ALLOW)"})


class EndpointChange(Schema):
    name = fields.String(validate=NAME)
    url = fields.String(validate=URL)
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={
        "description": "`active` brings back an endpoint disabled by an admin or by a 410 Gone"})


class RotationIn(Schema):
    grace_hours = fields.Integer(load_default=24, validate=validate.Range(0, MAX_GRACE_HOURS), metadata={
        "description": "How long the secrets before keep signing, so the receiver may switch (0: at once)"})


class EndpointsQuery(Schema):
    unit_code = fields.String(required=True, validate=NAME)


class SecretOut(Schema):
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True, metadata={"description": "Null for the current secret"})


class EndpointOut(Schema):
    id = fields.String()
    version = fields.Integer()
    unit_code = fields.String()
    name = fields.String()
    url = fields.String()
    status = fields.String(metadata={"description": "active, or disabled (by an admin or by a 410 Gone)"})
    disabled_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    live_secrets = fields.Integer(metadata={"description": "How many secrets sign now (2 during a rotation)"})
    secrets = fields.List(fields.Nested(SecretOut), metadata={"description": "Their times, never their values"})


class EndpointWithSecretOut(EndpointOut):
    secret = fields.String(metadata={"description": 'The new signing secret ("whsec_..."): shown this once'})


def _endpoint(view) -> dict:
    return {"id": view.id, "version": view.version, "unit_code": view.unit_code, "name": view.name,
            "url": view.url, "status": view.status, "disabled_reason": view.disabled_reason,
            "created_at": view.created_at, "live_secrets": view.live_secrets,
            "secrets": [{"created_at": s.created_at, "expires_at": s.expires_at} for s in view.secrets]}


def _with_secret(answer, status: int, **headers):
    return ({**_endpoint(answer.endpoint), "secret": answer.secret}, status,
            {**etag(answer.endpoint.version), **NO_STORE, **headers})


@endpoints_blp.route("/endpoints")
class Endpoints(MethodView):
    @endpoints_blp.arguments(EndpointsQuery, location="query")
    @endpoints_blp.response(200, EndpointOut(many=True))
    @endpoints_blp.paginate()
    def get(self, query, pagination_parameters):
        """The webhook endpoints of a unit in your areas (admins)"""
        items, total = ask(queries.ListEndpoints(query["unit_code"], pagination_parameters.first_item,
                                                 pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return [_endpoint(item) for item in items]

    @endpoints_blp.arguments(EndpointIn)
    @endpoints_blp.response(201, EndpointWithSecretOut, headers=ETAG)
    def post(self, body):
        """Register an agency system's webhook endpoint (admins of the unit's areas); its secret is shown once

        Not idempotent by key: a replayed answer would have to keep the secret, which is stored only sealed; a
        retry that created a second endpoint shows in the unit's list, to be disabled."""
        created = ask(CreateEndpoint(body["unit_code"], body["name"], body["url"]))
        return _with_secret(created, 201, Location=url_for("endpoints.Endpoint",
                                                           endpoint_id=created.endpoint.id))


@endpoints_blp.route("/endpoints/<string:endpoint_id>")
class Endpoint(MethodView):
    @endpoints_blp.response(200, EndpointOut, headers=ETAG)
    def get(self, endpoint_id):
        """A webhook endpoint of a unit in your areas (admins)"""
        view = ask(queries.ReadEndpoint(endpoint_id))
        return _endpoint(view), 200, etag(view.version)

    @takes_if_match
    @endpoints_blp.arguments(EndpointChange)
    @endpoints_blp.response(200, EndpointOut, headers=ETAG)
    def put(self, body, endpoint_id):
        """Change an endpoint's name or URL, disable it, or enable it again (fields left out are kept)"""
        view = ask(ChangeEndpoint(endpoint_id, body.get("name"), body.get("url"), body.get("status"),
                                  if_match_version()))
        return _endpoint(view), 200, etag(view.version)


@endpoints_blp.route("/endpoints/<string:endpoint_id>/secret-rotation")
class SecretRotation(MethodView):
    @takes_if_match
    @endpoints_blp.arguments(RotationIn)
    @endpoints_blp.response(200, EndpointWithSecretOut, headers=ETAG)
    def post(self, body, endpoint_id):
        """A new signing secret, shown once; the earlier ones keep signing until the grace ends

        Not idempotent by key: a replayed answer would have to keep the secret; rotating again is the retry."""
        return _with_secret(ask(RotateEndpointSecret(endpoint_id, body["grace_hours"], if_match_version())), 200)
