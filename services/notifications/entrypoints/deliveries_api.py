"""HTTP API of deliveries for admins: the dead-letter list (deliveries that failed every attempt or were refused
for good), one delivery with each attempt and what the provider answered, and resending a parked one. Addresses
are personal data: shown masked, never whole (thin views over service_layer/dispatch.py)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask.views import MethodView
from marshmallow import Schema, fields

from shared.endpoints import ask
from shared.idempotency import idempotent
from shared.web import Blueprint

from services.notifications.domain.commands import ResendDelivery
from services.notifications.domain.members import EMAIL, SMS, masked
from services.notifications.domain.queries import DeadLetters, DeliveryDetail

deliveries_blp = Blueprint("deliveries", __name__, url_prefix="/api/v1",
                           description="Deliveries: the dead-letter list, each attempt, resending")
HIDDEN = "***"


class DeliveryOut(Schema):
    id = fields.String()
    channel = fields.String(metadata={"description": "email, sms or webhook"})
    target = fields.String(metadata={"description": '"member:<subject>", "unit:<code>" or "endpoint:<id>"'})
    address = fields.String(metadata={"description": "Masked: n***@example.vn, +84 91* *** 678, "
                                                     "https://host/***"})
    purpose = fields.String(metadata={"description": "alert, escalation, digest or verification"})
    alert_ids = fields.List(fields.String())
    status = fields.String(metadata={"description": "queued, sent, parked or cancelled"})
    attempts = fields.Integer()
    last_answer = fields.String(allow_none=True, metadata={"description": "What the provider answered last"})
    created_at = fields.DateTime()
    next_attempt_at = fields.DateTime(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)


class AttemptOut(Schema):
    number = fields.Integer()
    claimed_at = fields.DateTime()
    outcome = fields.String(allow_none=True, metadata={"description": "sent, failed or gone; null while it runs"})
    answer = fields.String(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class DeliveryDetailOut(DeliveryOut):
    attempt_log = fields.List(fields.Nested(AttemptOut), metadata={"description": "Every attempt, first first"})


def masked_address(channel: str, address: str) -> str:
    """Enough to tell addresses apart, never the whole one (an endpoint: its scheme and host)."""
    try:
        if channel in (EMAIL, SMS):
            return masked(channel, address)
        if channel == "webhook":
            parts = urlsplit(address)
            return f"{parts.scheme}://{parts.hostname}/{HIDDEN}" if parts.hostname else HIDDEN
    except Exception:  # noqa: BLE001 - an address that does not parse is shown as hidden, never whole
        return HIDDEN
    return HIDDEN


def _delivery(delivery) -> dict:
    return {"id": delivery.id, "channel": delivery.channel, "target": delivery.target,
            "address": masked_address(delivery.channel, delivery.address), "purpose": delivery.purpose,
            "alert_ids": list(delivery.alert_ids), "status": delivery.status, "attempts": delivery.attempts,
            "last_answer": delivery.last_answer, "created_at": delivery.created_at,
            "next_attempt_at": delivery.next_attempt_at, "sent_at": delivery.sent_at}


@deliveries_blp.route("/deliveries/dead-letters")
class DeadLetterList(MethodView):
    @deliveries_blp.response(200, DeliveryOut(many=True))
    @deliveries_blp.paginate()
    def get(self, pagination_parameters):
        """Deliveries parked after failing every attempt or being refused for good, newest first (admins)"""
        items, total = ask(DeadLetters(pagination_parameters.first_item, pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return [_delivery(item) for item in items]


@deliveries_blp.route("/deliveries/<string:delivery_id>")
class Delivery(MethodView):
    @deliveries_blp.response(200, DeliveryDetailOut)
    def get(self, delivery_id):
        """A delivery with each attempt and what the provider answered (admins)"""
        delivery, attempts = ask(DeliveryDetail(delivery_id))
        return {**_delivery(delivery), "attempt_log": attempts}


@deliveries_blp.route("/deliveries/<string:delivery_id>/resend")
class Resend(MethodView):
    @idempotent
    @deliveries_blp.response(200, DeliveryOut)
    @deliveries_blp.alt_response(409, description="Only a parked delivery is resent")
    def post(self, delivery_id):
        """Send a parked delivery again, after fixing what made it fail (admins): it is queued at once"""
        return _delivery(ask(ResendDelivery(delivery_id)))
