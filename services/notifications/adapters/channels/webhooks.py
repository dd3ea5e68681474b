"""Signed webhooks to agency systems, per Standard Webhooks (standardwebhooks.com): the receiver verifies
`webhook-signature` over `webhook-id.webhook-timestamp.body` with the shared secret and dedupes by `webhook-id`.
During a secret rotation every current secret signs, space-separated, so either side may switch first."""
from __future__ import annotations

import base64
import json
import secrets as random
from collections.abc import Callable
from datetime import date, datetime, timezone

import requests
from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError

from services.notifications.adapters.channels.http_answers import http_outcome, network_outcome, short
from services.notifications.adapters.channels.url_safety import EndpointUrlPolicy
from services.notifications.domain.messages import FAILED, Message, Outcome
from shared.refusals import DecisionInvalid

SECRET_PREFIX = "whsec_"
USER_AGENT = "DongHanh-Notifications/1"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(random.token_bytes(24)).decode("ascii")


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def signatures(secrets: tuple[str, ...], msg_id: str, at: datetime, body: str) -> str:
    return " ".join(Webhook(secret).sign(msg_id, at, body) for secret in secrets)


def _refuse_internal(url: str) -> None:
    EndpointUrlPolicy().check("url", url)


class WebhookChannel:
    name = "webhook"

    def __init__(self, timeout: float = 10, url_check: Callable[[str], None] = _refuse_internal,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.timeout, self.url_check, self.clock = timeout, url_check, clock

    def body(self, message: Message) -> str:
        """`timestamp` is when the event happened; the signed `webhook-timestamp` is this attempt's time."""
        happened = message.sent_at or self.clock()
        return json.dumps({"type": message.event_type, "timestamp": happened.isoformat(), "data": message.payload},
                          ensure_ascii=False, separators=(",", ":"), default=_json_default)

    def send(self, message: Message) -> Outcome:
        try:
            self.url_check(message.address)
        except DecisionInvalid as refused:
            return Outcome(FAILED, short(f"endpoint refused: {refused.message}"), permanent=True)
        if not message.secrets:
            return Outcome(FAILED, "no signing secret for this endpoint", permanent=True)
        now = self.clock().astimezone(timezone.utc)
        try:
            body = self.body(message)
            signed = signatures(message.secrets, message.delivery_id, now, body)
        except (TypeError, ValueError, EmptyWebhookSecretError) as error:
            return Outcome(FAILED, short(f"cannot sign the message: {error}"), permanent=True)
        headers = {"content-type": "application/json", "user-agent": USER_AGENT, "webhook-id": message.delivery_id,
                   "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signed}
        try:
            response = requests.post(message.address, data=body.encode("utf-8"), headers=headers,
                                     timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as error:
            return network_outcome(error)
        return http_outcome(response, gone_on_410=True)
