"""HTTP API of the notifications service: each unit's inbox."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields

from shared.endpoints import ETAG, ask, etag, if_match_version, takes_if_match
from shared.web import Blueprint

from services.notifications.domain.commands import AcknowledgeAlert
from services.notifications.domain import queries

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="Alerts and inboxes")


class InboxQuery(Schema):
    unacknowledged = fields.Boolean(load_default=False)


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
    acknowledged_by = fields.String(allow_none=True)


def _alert_out(alert) -> dict:
    return {**vars(alert.raised), "id": alert.id, "version": alert.version, "acknowledged_by": alert.acknowledged_by}


@blp.route("/inbox")
class Inbox(MethodView):
    @blp.arguments(InboxQuery, location="query")
    @blp.response(200, AlertOut(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Alerts for your unit, newest first"""
        items, total = ask(queries.Inbox(query["unacknowledged"], pagination_parameters.first_item,
                                 pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return [_alert_out(alert) for alert in items]


@blp.route("/inbox/<string:alert_id>/acknowledgement")
class Acknowledgement(MethodView):
    @takes_if_match
    @blp.response(200, AlertOut, headers=ETAG)
    @blp.alt_response(409, description="Already acknowledged")
    def put(self, alert_id):
        """Acknowledge an alert"""
        alert = ask(AcknowledgeAlert(alert_id, if_match_version()))
        return _alert_out(alert), 200, etag(alert.version)
