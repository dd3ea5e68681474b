"""Real local servers the notification channels deliver to, for integration and e2e tests and benchmarks. HTTP
receivers (SMS gateway, webhook endpoints) are pytest-httpserver's HTTPServer, used directly."""
from __future__ import annotations

import email
import email.policy
import ipaddress
import socket
import ssl
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1, valid for a day: (certificate, key) PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(timezone.utc)
    names = x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                         x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
                   .not_valid_after(now + timedelta(days=1)).add_extension(names, critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class _Handler:
    def __init__(self, catcher: SmtpCatcher):
        self.catcher = catcher

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.catcher.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        return self.catcher.receive(envelope, tls=session.ssl is not None)


class SmtpCatcher:
    """An aiosmtpd server on 127.0.0.1 that keeps what it receives. `starttls=True` offers STARTTLS with a
    self-signed certificate (trust it with `client_tls_context()`; `require_starttls` refuses mail in clear);
    `fail_next=N` answers the next N messages with 451; addresses in `refuse` get 550; `logins` enables AUTH."""

    def __init__(self, starttls: bool = False, require_starttls: bool = False, fail_next: int = 0,
                 refuse: tuple[str, ...] = (), logins: dict[str, str] | None = None):
        self.port = free_port()
        self.refuse = {address.lower() for address in refuse}
        self._lock = threading.Condition()
        self._messages: list[EmailMessage] = []
        self._envelopes: list[tuple[str, tuple[str, ...], bool]] = []
        self._fail_next = fail_next
        self._dir = tempfile.TemporaryDirectory(prefix="smtp-catcher-")
        self.cert_path = None
        options = {"enable_SMTPUTF8": True}
        if starttls or require_starttls:
            self.cert_path, key_path = self_signed(Path(self._dir.name))
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.cert_path, key_path)
            options.update(tls_context=context, require_starttls=require_starttls)
        if logins is not None:
            options.update(authenticator=self._authenticator(logins), auth_require_tls=False)
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **options)

    @staticmethod
    def _authenticator(logins: dict[str, str]):
        def authenticate(server, session, envelope, mechanism, auth_data):
            known = isinstance(auth_data, LoginPassword) and logins.get(auth_data.login.decode()) == \
                auth_data.password.decode()
            return AuthResult(success=known, handled=False)
        return authenticate

    def receive(self, envelope, tls: bool) -> str:
        with self._lock:
            if self._fail_next > 0:
                self._fail_next -= 1
                return "451 4.3.0 Try again later"
            self._messages.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                           policy=email.policy.default))
            self._envelopes.append((envelope.mail_from, tuple(envelope.rcpt_tos), tls))
            self._lock.notify_all()
        return "250 2.0.0 Message accepted for delivery"

    def fail_next(self, count: int) -> None:
        with self._lock:
            self._fail_next = count

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._messages)

    @property
    def envelopes(self) -> list[tuple[str, tuple[str, ...], bool]]:
        """(MAIL FROM, RCPT TOs, whether it came over TLS) per message received."""
        with self._lock:
            return list(self._envelopes)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._messages) < count and time.monotonic() < deadline:
                self._lock.wait(deadline - time.monotonic())
            return list(self._messages)

    def client_tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert_path))

    def start(self) -> SmtpCatcher:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> SmtpCatcher:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        self._dir.cleanup()
