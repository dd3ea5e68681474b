"""The notifications service's own settings: its channels' providers and the pace of its timers, from the
environment like shared/settings.py (a bad value stops the service at start, naming the variable)."""
from __future__ import annotations

import os
from dataclasses import dataclass

from shared.settings import SettingsError, _number, _text, _url


def _flag(env, name: str, default: bool) -> bool:
    raw = _text(env, name, "1" if default else "0").lower()
    if raw not in ("0", "1", "true", "false", "yes", "no"):
        raise SettingsError(f"{name}={raw!r} must be 1 or 0")
    return raw in ("1", "true", "yes")


def _lease(env) -> float:
    """An attempt's claim must outlast the channel's timeout, or a slow send would be taken for a dead worker."""
    lease = _number(env, "DELIVERY_CLAIM_LEASE_SECONDS", 120.0, kind=float, minimum=1)
    timeout = _number(env, "CHANNEL_TIMEOUT_SECONDS", 10.0, kind=float, minimum=0.1)
    if lease <= timeout:
        raise SettingsError(f"DELIVERY_CLAIM_LEASE_SECONDS={lease} must exceed CHANNEL_TIMEOUT_SECONDS={timeout}")
    return lease


@dataclass(frozen=True)
class NotifySettings:
    public_url: str
    cap_sender: str
    smtp_host: str
    smtp_port: int
    smtp_starttls: bool
    smtp_username: str | None
    smtp_password: str | None
    smtp_sender: str
    sms_gateway_url: str
    sms_brandname: str
    sms_api_key: str | None
    webhook_allow: str
    delivery_poll_seconds: float
    delivery_parallel: int
    delivery_max_attempts: int
    delivery_backoff_base_seconds: float
    delivery_backoff_cap_seconds: float
    escalation_poll_seconds: float
    channel_timeout_seconds: float
    rules_cache_seconds: float
    delivery_claim_lease_seconds: float
    """How long a process keeps the rules it routes by: a rule saved elsewhere applies within this time."""
    delivery_log_days: int = 90
    """DELIVERY_LOG_DAYS: how long a finished delivery (sent, parked, cancelled) keeps its sealed address, content
    and attempts; the accounting of disclosures (collection `disclosures`) stays."""

    @classmethod
    def from_env(cls, env=None) -> "NotifySettings":
        env = os.environ if env is None else env
        return cls(
            public_url=_url(env, "NOTIFY_PUBLIC_URL", "http://127.0.0.1:8103", ("http", "https")),
            cap_sender=_text(env, "CAP_SENDER", "donghanh@canhbao.gov.vn"),
            smtp_host=_text(env, "SMTP_HOST", "127.0.0.1"),
            smtp_port=_number(env, "SMTP_PORT", 8025, minimum=1),
            smtp_starttls=_flag(env, "SMTP_STARTTLS", False),
            smtp_username=_text(env, "SMTP_USERNAME"),
            smtp_password=_text(env, "SMTP_PASSWORD"),
            smtp_sender=_text(env, "SMTP_SENDER", "Đồng Hành <canhbao@donghanh.local>"),
            sms_gateway_url=_url(env, "SMS_GATEWAY_URL", "http://127.0.0.1:8125/sms", ("http", "https")),
            sms_brandname=_text(env, "SMS_BRANDNAME", "DONGHANH"),
            sms_api_key=_text(env, "SMS_API_KEY"),
            webhook_allow=_text(env, "NOTIFY_WEBHOOK_ALLOW", ""),
            delivery_poll_seconds=_number(env, "DELIVERY_POLL_SECONDS", 1.0, kind=float, minimum=0.05),
            delivery_parallel=_number(env, "DELIVERY_PARALLEL", 8, minimum=1),
            delivery_max_attempts=_number(env, "DELIVERY_MAX_ATTEMPTS", 8, minimum=1),
            delivery_backoff_base_seconds=_number(env, "DELIVERY_BACKOFF_BASE_SECONDS", 2.0, kind=float,
                                                  minimum=0.01),
            delivery_backoff_cap_seconds=_number(env, "DELIVERY_BACKOFF_CAP_SECONDS", 900.0, kind=float,
                                                 minimum=0.1),
            escalation_poll_seconds=_number(env, "ESCALATION_POLL_SECONDS", 15.0, kind=float, minimum=0.05),
            channel_timeout_seconds=_number(env, "CHANNEL_TIMEOUT_SECONDS", 10.0, kind=float, minimum=0.1),
            rules_cache_seconds=_number(env, "RULES_CACHE_SECONDS", 2.0, kind=float, minimum=0),
            delivery_claim_lease_seconds=_lease(env),
            delivery_log_days=_number(env, "DELIVERY_LOG_DAYS", 90, minimum=1),
        )
