"""HTTP API of a service's access audit, for the inspectorate: `GET /api/v1/audit`. Every service registers this
blueprint (`api.register_blueprint(audit_blp)`) and merges shared.audit_reads.HANDLERS into its bus."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from shared.audit_reads import ListAuditEntries
from shared.endpoints import ask
from shared.web import Blueprint

audit_blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit",
                      description="The access audit: who read or changed what, a hash chain per service and day")


class AuditQuery(Schema):
    resource_id = fields.String(validate=validate.Length(min=1, max=200),
                                metadata={"description": "the case, person or other resource"})
    subject = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "who acted"})
    action = fields.String(validate=validate.Length(min=1, max=100))
    since = fields.Date(data_key="from", metadata={"description": "first day (the province's), YYYY-MM-DD"})
    until = fields.Date(data_key="to", metadata={"description": "last day (the province's), YYYY-MM-DD; without "
                                                                "resource_id or subject, at most 366 days after "
                                                                "`from`; by default today"})
    after = fields.String(validate=validate.Length(min=1, max=200),
                          metadata={"description": "the `next_after` of the previous page"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class AuditEntryOut(Schema):
    id = fields.String(attribute="_id", metadata={"description": '"<service>:<yyyy-mm-dd>:<seq>"'})
    chain = fields.String()
    seq = fields.Integer()
    at = fields.DateTime()
    subject = fields.String()
    roles = fields.List(fields.String())
    unit = fields.String(allow_none=True)
    action = fields.String()
    resource_type = fields.String()
    resource_id = fields.String()
    sections = fields.List(fields.String())
    purpose = fields.String(allow_none=True)
    outcome = fields.String(metadata={"description": "allowed, denied, intended (before a change), failed"})
    intent = fields.String(allow_none=True, metadata={"description": "a completion's intent entry"})
    request_id = fields.String(allow_none=True)
    prev_hash = fields.String()
    key_id = fields.String(allow_none=True, metadata={"description": "the audit key `hash` is the HMAC under; "
                                                                      "none for entries hashed before it (sha256)"})
    hash = fields.String()


class AuditPageOut(Schema):
    entries = fields.List(fields.Nested(AuditEntryOut))
    next_after = fields.String(allow_none=True, metadata={"description": "pass as `after` for the next page; "
                                                                         "null on the last"})


@audit_blp.route("")
class AuditEntries(MethodView):
    @audit_blp.arguments(AuditQuery, location="query")
    @audit_blp.response(200, AuditPageOut)
    def get(self, query):
        """Audit entries of this service in the order written, filtered (auditors only)"""
        entries, next_after = ask(ListAuditEntries(**query))
        return {"entries": entries, "next_after": next_after}
