"""HTTP API of the notifications service: each unit's inbox."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields

from shared.web import Blueprint, etag, if_match_version, principal, service_layer

from services.notifications.domain.model import AlertRaised

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


def _alert_out(alert_id: str, version: int, raised: dict, acknowledged_by) -> dict:
    return {**raised, "id": alert_id, "version": version, "acknowledged_by": acknowledged_by}


@blp.route("/inbox")
class Inbox(MethodView):
    @blp.arguments(InboxQuery, location="query")
    @blp.response(200, AlertOut(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Alerts for your unit, newest first"""
        items, total = service_layer().inbox(principal(), query["unacknowledged"],
                                             pagination_parameters.first_item, pagination_parameters.page_size)
        pagination_parameters.item_count = total
        return [_alert_out(s.id, s.version, vars(AlertRaised.from_data(s.state["raised"])), s.state["acknowledged_by"])
                for s in items]


@blp.route("/inbox/<string:alert_id>/acknowledgement")
class Acknowledgement(MethodView):
    @blp.response(200, AlertOut)
    @blp.alt_response(409, description="Already acknowledged")
    @blp.alt_response(412, description="If-Match names an older version")
    def put(self, alert_id):
        """Acknowledge an alert (send If-Match with its ETag)"""
        alert = service_layer().acknowledge(alert_id, principal(), if_match_version())
        return (_alert_out(alert.id, alert.version, vars(alert.raised), alert.acknowledged_by), 200,
                etag(alert.version))
