"""E-mail over SMTP with smtplib: one connection per message, text with an HTML alternative, a Message-ID derived
from the delivery id so a resend is recognisably the same message. With STARTTLS configured, a server that does
not offer it fails the delivery rather than receiving it in clear."""
from __future__ import annotations

import re
import smtplib
import ssl
from datetime import datetime, timezone
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime

from services.notifications.adapters.channels.http_answers import short
from services.notifications.domain.messages import FAILED, SENT, Message, Outcome

MESSAGE_ID_DOMAIN = "donghanh.local"
UNSAFE_IN_ID = re.compile(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]")


class SmtpFailure(Exception):
    """A reply other than the one a step expects."""

    def __init__(self, code: int, text: str):
        super().__init__(f"{code} {text}")
        self.code, self.text = code, text


def message_id(delivery_id: str) -> str:
    return f"<{UNSAFE_IN_ID.sub('-', delivery_id).strip('.') or 'x'}@{MESSAGE_ID_DOMAIN}>"


def reply_outcome(code: int, text: str) -> Outcome:
    answer = short(f"{code} {text}" if code else text)
    if code in (250, 251):
        return Outcome(SENT, answer)
    return Outcome(FAILED, answer, permanent=500 <= code < 600)


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _expect(reply: tuple[int, bytes], *codes: int) -> None:
    code, text = reply
    if code not in codes:
        raise SmtpFailure(code, _text(text))


class SmtpChannel:
    name = "email"

    def __init__(self, host: str, port: int, sender: str, starttls: bool = False, username: str | None = None,
                 password: str | None = None, timeout: float = 10, tls_context: ssl.SSLContext | None = None):
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout
        self.starttls, self.username, self.password = starttls, username, password
        self.tls_context = tls_context

    def compose(self, message: Message) -> EmailMessage:
        international = not (self.sender + message.address).isascii()
        mail = EmailMessage(policy=SMTPUTF8 if international else SMTP)
        mail["From"], mail["To"] = self.sender, message.address
        mail["Subject"] = message.subject or ""
        mail["Date"] = format_datetime(message.sent_at or datetime.now(timezone.utc))
        mail["Message-ID"] = message_id(message.delivery_id)
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(message.text or "", charset="utf-8")
        if message.html:
            mail.add_alternative(message.html, subtype="html", charset="utf-8")
        return mail

    def secure(self, smtp: smtplib.SMTP) -> None:
        smtp.ehlo()
        if not self.starttls:
            return
        if not smtp.has_extn("starttls"):
            raise SmtpFailure(0, "the server does not offer STARTTLS; not sending in clear")
        _expect(smtp.starttls(context=self.tls_context or ssl.create_default_context()), 220)
        smtp.ehlo()

    def transmit(self, smtp: smtplib.SMTP, mail: EmailMessage, recipient: str) -> Outcome:
        self.secure(smtp)
        if self.username:
            smtp.login(self.username, self.password or "")
        options = ["SMTPUTF8"] if mail.policy is SMTPUTF8 else []
        if options and not smtp.has_extn("smtputf8"):
            return Outcome(FAILED, "the server does not take international (SMTPUTF8) addresses", permanent=True)
        _expect(smtp.mail(self.sender, options), 250)
        _expect(smtp.rcpt(recipient), 250, 251)
        code, text = smtp.data(mail.as_bytes())
        return reply_outcome(code, _text(text))

    def send(self, message: Message) -> Outcome:
        try:
            mail = self.compose(message)
        except (ValueError, TypeError) as error:
            return Outcome(FAILED, short(f"cannot compose the e-mail: {error}"), permanent=True)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                return self.transmit(smtp, mail, message.address)
        except SmtpFailure as failure:
            return reply_outcome(failure.code, failure.text)
        except smtplib.SMTPResponseException as error:
            return reply_outcome(error.smtp_code, _text(error.smtp_error))
        except smtplib.SMTPServerDisconnected as error:
            return Outcome(FAILED, short(f"server disconnected: {error}"))
        except smtplib.SMTPException as error:
            return Outcome(FAILED, short(f"{type(error).__name__}: {error}"))
        except ConnectionRefusedError:
            return Outcome(FAILED, "connection refused")
        except TimeoutError:
            return Outcome(FAILED, "timed out")
        except OSError as error:
            return Outcome(FAILED, short(f"{type(error).__name__}: {error}"))
