"""HTTP API of the notifications service: each person's inbox (their unit's alerts within their areas, with their
own read state), acknowledgement, and the accounting of disclosures of a case."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from shared.endpoints import ETAG, ask, etag, if_match_version, takes_if_match
from shared.web import Blueprint

from services.notifications.domain import queries
from services.notifications.domain.commands import AcknowledgeAlert, SetInboxState
from services.notifications.domain.inbox import ALL, BOXES, STATES

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="Alerts and inboxes")


class InboxQuery(Schema):
    box = fields.String(load_default=ALL, validate=validate.OneOf(BOXES), metadata={
        "description": "Your own state of the alerts: unread, read, archived, or all of them"})
    urgent = fields.Boolean(load_default=None, metadata={"description": "Only urgent (true) or non-urgent (false)"})
    category = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    unacknowledged = fields.Boolean(load_default=False, metadata={
        "description": "Only open alerts nobody has acknowledged yet"})


class AlertOut(Schema):
    id = fields.String()
    version = fields.Integer()
    recipient_unit = fields.String()
    category = fields.String()
    subject_type = fields.String()
    subject_id = fields.String()
    urgent = fields.Boolean()
    area_code = fields.String(allow_none=True)
    title_vi = fields.String()
    title_en = fields.String()
    raised_at = fields.DateTime()
    ack_required = fields.Boolean()
    ack_due_at = fields.DateTime(allow_none=True)
    acknowledged_by = fields.String(allow_none=True)
    acknowledged_at = fields.DateTime(allow_none=True)
    escalated_from = fields.String(allow_none=True, metadata={
        "description": "The original alert, when this one reached you because nobody acknowledged it"})
    escalations = fields.Integer()
    open = fields.Boolean()
    resolved_reason = fields.String(allow_none=True)
    state = fields.String(metadata={"description": "Your own state of it: unread, read or archived"})


class CountsOut(Schema):
    unread = fields.Integer()
    read = fields.Integer()
    archived = fields.Integer()
    unacknowledged = fields.Integer()
    urgent_unacknowledged = fields.Integer()


class StateIn(Schema):
    state = fields.String(required=True, validate=validate.OneOf(STATES))


class StateOut(Schema):
    alert_id = fields.String()
    state = fields.String()
    version = fields.Integer()


class DisclosureOut(Schema):
    case_id = fields.String()
    to = fields.String(metadata={"description": 'Who was told: "unit:<code>", "member:<subject>", '
                                                '"endpoint:<id>"'})
    channel = fields.String()
    rule_id = fields.String(allow_none=True)
    alert_id = fields.String()
    delivery_id = fields.String(allow_none=True)
    at = fields.DateTime()


def _alert_out(alert, state: str | None = None) -> dict:
    raised = alert.raised
    return {**{name: getattr(raised, name) for name in (
        "recipient_unit", "category", "subject_type", "subject_id", "urgent", "area_code", "title_vi", "title_en",
        "raised_at", "ack_required", "ack_due_at", "escalated_from")},
        "id": alert.id, "version": alert.version, "acknowledged_by": alert.acknowledged_by,
        "acknowledged_at": alert.acknowledged_at, "escalations": alert.escalations, "open": alert.open,
        "resolved_reason": alert.resolved_reason, **({"state": state} if state else {})}


def _state_out(state) -> dict:
    return {"alert_id": state.alert_id, "state": state.state, "version": state.version}


@blp.route("/inbox")
class Inbox(MethodView):
    @blp.arguments(InboxQuery, location="query")
    @blp.response(200, AlertOut(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Alerts for your unit within your areas, newest first, with your own read state"""
        items, total = ask(queries.Inbox(**query, first=pagination_parameters.first_item,
                                         limit=pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return [_alert_out(item.alert, item.state) for item in items]


@blp.route("/inbox/counts")
class InboxCounts(MethodView):
    @blp.response(200, CountsOut)
    def get(self):
        """How many of your inbox's alerts are unread, read, archived, unacknowledged, urgent and unacknowledged"""
        return ask(queries.InboxCounts())


@blp.route("/inbox/<string:alert_id>")
class InboxAlert(MethodView):
    @blp.response(200, AlertOut, headers=ETAG)
    def get(self, alert_id):
        """One alert of your inbox (reading it marks it read for you); the ETag is the alert's version"""
        item = ask(queries.ReadAlert(alert_id))
        return _alert_out(item.alert, item.state), 200, etag(item.alert.version)


@blp.route("/inbox/<string:alert_id>/state")
class InboxState(MethodView):
    @blp.response(200, StateOut, headers=ETAG)
    def get(self, alert_id):
        """Your own state of an alert; the ETag counts its changes"""
        state = ask(queries.ReadInboxState(alert_id))
        return _state_out(state), 200, etag(state.version)

    @takes_if_match
    @blp.arguments(StateIn)
    @blp.response(200, StateOut, headers=ETAG)
    def put(self, body, alert_id):
        """Mark an alert read, unread or archived, for you alone"""
        state = ask(SetInboxState(alert_id, body["state"], if_match_version()))
        return _state_out(state), 200, etag(state.version)


@blp.route("/inbox/<string:alert_id>/acknowledgement")
class Acknowledgement(MethodView):
    @takes_if_match
    @blp.response(200, AlertOut, headers=ETAG)
    @blp.alt_response(409, description="Already acknowledged, or resolved")
    def put(self, alert_id):
        """Acknowledge an alert of your inbox (an alert escalated to you acknowledges the original too)"""
        alert = ask(AcknowledgeAlert(alert_id, if_match_version(), via="api"))
        return _alert_out(alert), 200, etag(alert.version)


@blp.route("/cases/<string:case_id>/disclosures")
class CaseDisclosures(MethodView):
    @blp.response(200, DisclosureOut(many=True))
    @blp.paginate()
    def get(self, case_id, pagination_parameters):
        """The accounting of disclosures of a case: to whom it was named, by which channel, when, under which rule
        (auditors and admins; the read is audited)"""
        page, total = ask(queries.ListDisclosures(case_id, pagination_parameters.first_item,
                                                  pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return page
