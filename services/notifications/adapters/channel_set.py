"""The channel clients of one process, built from the service's settings."""
from __future__ import annotations

from services.notifications.adapters.channels.sms import SmsGatewayChannel
from services.notifications.adapters.channels.smtp import SmtpChannel
from services.notifications.adapters.channels.url_safety import EndpointUrlPolicy
from services.notifications.adapters.channels.webhooks import WebhookChannel
from services.notifications.adapters.config import NotifySettings


class ChannelSet:
    def __init__(self, notify: NotifySettings):
        self.url_policy = EndpointUrlPolicy.from_setting(notify.webhook_allow)
        timeout = notify.channel_timeout_seconds
        self._channels = {
            "email": SmtpChannel(notify.smtp_host, notify.smtp_port, notify.smtp_sender, notify.smtp_starttls,
                                 notify.smtp_username, notify.smtp_password, timeout),
            "sms": SmsGatewayChannel(notify.sms_gateway_url, notify.sms_brandname, api_key=notify.sms_api_key,
                                     timeout=timeout),
            "webhook": WebhookChannel(timeout, url_check=lambda url: self.url_policy.check("url", url))}

    def get(self, channel: str):
        return self._channels[channel]
