"""One reading of HTTP answers for the HTTP channels (SMS gateway, webhooks): which statuses are worth retrying,
how long the receiver asked us to wait, and a short text of what it said for the delivery record."""
from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import requests

from services.notifications.domain.messages import FAILED, GONE, SENT, Outcome

RETRYABLE = frozenset({408, 425, 429})
ANSWER_MAX = 200


def short(text: str, limit: int = ANSWER_MAX) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as delay-seconds or an HTTP-date (RFC 9110 10.2.3); a date in the past means now."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def status_answer(response: requests.Response) -> str:
    return short(f"HTTP {response.status_code} {response.reason or ''} {response.text[:ANSWER_MAX]}".strip())


def http_outcome(response: requests.Response, gone_on_410: bool = False, sent_answer: str | None = None) -> Outcome:
    code = response.status_code
    if 200 <= code < 300:
        return Outcome(SENT, sent_answer or short(f"HTTP {code} {response.reason or ''}".strip()))
    if code == 410 and gone_on_410:
        return Outcome(GONE, status_answer(response), permanent=True)
    if code in RETRYABLE or code >= 500:
        return Outcome(FAILED, status_answer(response), retry_after_seconds=retry_after(
            response.headers.get("Retry-After")))
    if 300 <= code < 400:
        location = response.headers.get("Location", "")
        return Outcome(FAILED, short(f"HTTP {code} redirect to {location} not followed"), permanent=True)
    return Outcome(FAILED, status_answer(response), permanent=400 <= code < 500)


def network_outcome(error: requests.RequestException) -> Outcome:
    """The receiver could not be reached or did not answer in time: worth retrying."""
    if isinstance(error, requests.Timeout):
        return Outcome(FAILED, "timed out")
    text = str(error)
    if "refused" in text.lower():
        return Outcome(FAILED, "connection refused")
    if isinstance(error, requests.exceptions.SSLError):
        return Outcome(FAILED, short(f"TLS error: {text}"))
    return Outcome(FAILED, short(f"{type(error).__name__}: {text}"))
