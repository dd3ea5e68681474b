"""Deliveries: one alert to one addressee by one channel, tried until it is sent, then parked in the dead-letter
list for a person to resend. Each attempt is claimed before it is made (see adapters/deliveries.py), so two
workers never send the same attempt; the delivery's id travels with it (Message-ID, webhook-id, SMS reference) so
a receiver can drop the copy a crash between sending and recording might cause."""
from __future__ import annotations

import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from services.notifications.domain.members import masked

QUEUED, SENT, PARKED, CANCELLED = "queued", "sent", "parked", "cancelled"
FINISHED = (SENT, PARKED, CANCELLED)
ALERT, ESCALATION, DIGEST, VERIFICATION = "alert", "escalation", "digest", "verification"
DELIVERY_IDS = uuid.UUID("0b6f3c8e-2f5d-4b7e-8a61-3c2d9e4f5a17")


def delivery_id(*parts: str) -> str:
    """The same alert to the same addressee by the same channel is one delivery, however often it is planned."""
    return uuid.uuid5(DELIVERY_IDS, ":".join(parts)).hex


@dataclass(frozen=True)
class Reach:
    """One addressee of one channel, as the member directory answers: `target` names who ("member:<subject>",
    "unit:<code>", "endpoint:<id>"), `send_at` is later than now inside their quiet hours, and `digest` gathers a
    non-urgent alert into their daily digest instead of sending it alone."""
    target: str
    address: str
    language: str = "vi"
    send_at: datetime | None = None
    digest: bool = False


@dataclass
class Delivery:
    id: str
    channel: str
    target: str
    address: str
    language: str
    purpose: str
    not_before: datetime
    created_at: datetime
    alert_ids: list[str] = field(default_factory=list)
    subject_type: str | None = None
    subject_id: str | None = None
    group_key: str | None = None
    rule_id: str | None = None
    content: dict | None = None
    status: str = QUEUED
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_answer: str | None = None
    sent_at: datetime | None = None
    unit: str | None = None
    round_start: int = 0

    @property
    def names_case(self) -> bool:
        return self.subject_type == "case"

    @property
    def round_attempts(self) -> int:
        """Attempts since the round began: a resent delivery starts a fresh round (`round_start`)."""
        return self.attempts - self.round_start

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter (the AWS architecture blog's), never sooner than a `Retry-After`."""
    max_attempts: int = 8
    base_seconds: float = 2.0
    cap_seconds: float = 900.0

    def delay(self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1))
        jittered = (rng or random).uniform(ceiling / 2, ceiling)
        return max(jittered, min(retry_after or 0.0, self.cap_seconds))


def after_attempt(delivery: Delivery, outcome, now: datetime, policy: RetryPolicy,
                  rng: random.Random | None = None) -> Delivery:
    """The delivery once attempt `delivery.attempts` answered `outcome` (a messages.Outcome)."""
    delivery.last_answer = outcome.answer[:500]
    if outcome.status == "sent":
        delivery.status, delivery.sent_at, delivery.next_attempt_at = SENT, now, None
    elif outcome.status == "gone" or outcome.permanent or delivery.round_attempts >= policy.max_attempts:
        delivery.status, delivery.next_attempt_at = PARKED, None
    else:
        delivery.status = QUEUED
        delivery.next_attempt_at = now + timedelta(
            seconds=policy.delay(max(delivery.round_attempts, 1), outcome.retry_after_seconds, rng))
    return delivery


HIDDEN = "***"


def without_address(answer: str, channel: str, address: str) -> str:
    """A provider's answer with the addressee's address masked as lists show it: SMTP 550 replies echo the mailbox,
    SMS gateways the number (in any of its spellings), a receiver its own URL's path and query."""
    if not answer or not address:
        return answer
    if channel == "webhook":
        parts = urlsplit(address)
        shown = f"{parts.scheme}://{parts.hostname}/{HIDDEN}" if parts.hostname else HIDDEN
        spelled = [address] + [p for p in (f"{parts.path}?{parts.query}" if parts.query else "", parts.query,
                                           parts.path if parts.path not in ("", "/") else "") if p]
    else:
        try:
            shown = masked(channel, address)
        except Exception:  # noqa: BLE001 - an address that does not parse is hidden whole
            shown = HIDDEN
        spelled = [address]
        if channel == "sms" and address.startswith("+"):
            digits = address[1:]
            spelled += [digits] + ([f"0{digits[2:]}"] if digits.startswith("84") else [])
    for spelling in sorted(spelled, key=len, reverse=True):
        answer = re.sub(re.escape(spelling), shown, answer, flags=re.IGNORECASE)
    return answer


def due(delivery: Delivery, now: datetime) -> bool:
    return (delivery.status == QUEUED and delivery.not_before <= now
            and (delivery.next_attempt_at is None or delivery.next_attempt_at <= now))
