"""What the dispatcher hands a channel (one delivery to one address) and what the channel answers. Channels are
adapters; the dispatcher sees only these values, so retries, backoff and dead letters are decided in one place."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

SENT, FAILED, GONE = "sent", "failed", "gone"


@dataclass(frozen=True)
class Message:
    delivery_id: str            # stable per delivery (Message-ID, webhook-id, SMS client ref): receivers dedupe by it
    channel: str                # "email" | "sms" | "webhook"
    address: str                # e-mail address, E.164 phone (+84...), or endpoint URL
    text: str                   # plain text body (SMS text; e-mail text part; webhook: unused)
    subject: str | None = None  # e-mail subject
    html: str | None = None     # e-mail HTML part
    payload: dict | None = None  # webhook: the JSON "data"
    event_type: str | None = None  # webhook: the JSON "type" (e.g. "notifications.alert.raised")
    secrets: tuple[str, ...] = ()  # webhook signing secrets ("whsec_..."), newest first; several during rotation
    sent_at: datetime | None = None


@dataclass(frozen=True)
class Outcome:
    status: str                  # "sent" | "failed" | "gone" (410: the endpoint is gone, disable it)
    answer: str                  # the provider's answer, short: "250 OK", "HTTP 503 ...", "connection refused"
    permanent: bool = False      # failed and retrying cannot help (5xx SMTP reply, HTTP 4xx other than 408/425/429)
    retry_after_seconds: float | None = None  # from Retry-After (seconds or HTTP-date)


class Channel(Protocol):
    """Sends one message. `send` never raises for network or protocol failures: it answers a failed Outcome,
    transient unless retrying clearly cannot help."""
    name: str

    def send(self, message: Message) -> Outcome: ...
