"""SMS through a brand-name gateway over HTTP, as Vietnamese carriers' resellers offer it: one JSON POST per
message, the sender shown as the registered brand name, Unicode (UCS-2) only when the text needs it, since it
cuts a segment from 160 to 70 characters."""
from __future__ import annotations

import re

import requests

from services.notifications.adapters.channels.http_answers import http_outcome, network_outcome, short
from services.notifications.domain.messages import FAILED, Message, Outcome

GSM7_BASIC = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
              "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = "\f^{}\\[~]|€"
GSM7 = frozenset(GSM7_BASIC + GSM7_EXTENSION)
E164 = re.compile(r"\+[1-9]\d{6,14}")
MESSAGE_ID_KEYS = ("message_id", "messageId", "msg_id", "sms_id", "smsid", "id", "tranId", "transaction_id")


def is_gsm7(text: str) -> bool:
    return all(c in GSM7 for c in text)


def gateway_message_id(response: requests.Response) -> str | None:
    try:
        reply = response.json()
    except ValueError:
        return None
    if not isinstance(reply, dict):
        return None
    for holder in (reply, reply.get("data")):
        if isinstance(holder, dict):
            for key in MESSAGE_ID_KEYS:
                if holder.get(key) not in (None, ""):
                    return str(holder[key])
    return None


class SmsGatewayChannel:
    name = "sms"

    def __init__(self, url: str, brandname: str, username: str | None = None, password: str | None = None,
                 api_key: str | None = None, timeout: float = 10):
        if api_key and username:
            raise ValueError("the SMS gateway takes either an API key or a user name and password, not both")
        self.url, self.brandname, self.timeout = url, brandname, timeout
        self.auth = (username, password or "") if username else None
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def body(self, message: Message) -> dict:
        return {"phone": message.address[1:], "brandname": self.brandname, "message": message.text,
                "client_ref": message.delivery_id, "unicode": not is_gsm7(message.text)}

    def send(self, message: Message) -> Outcome:
        if not E164.fullmatch(message.address or ""):
            return Outcome(FAILED, short(f"not an E.164 phone number: {message.address!r}"), permanent=True)
        try:
            response = requests.post(self.url, json=self.body(message), auth=self.auth, headers=self.headers,
                                     timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as error:
            return network_outcome(error)
        gateway_id = gateway_message_id(response) if 200 <= response.status_code < 300 else None
        sent = short(f"HTTP {response.status_code} message id {gateway_id}") if gateway_id else None
        return http_outcome(response, sent_answer=sent)
