"""amqps against the real broker: the TLS listener the local scripts open on loopback (deploy/broker_tls.py),
reached through `shared.bus.connect(url, ca_file=...)` as a service reaches a TLS broker (docs/operations.md,
"TLS (amqps)"), with the tests' own broker user."""
from __future__ import annotations

import importlib.util
import os
import socket
import ssl
import subprocess
import uuid
from urllib.parse import urlparse

import pytest
from cryptography import x509
from kombu import Producer, Queue

from shared import bus
from tests.support import ROOT, VAR, wait_for

spec = importlib.util.spec_from_file_location("broker_tls", ROOT / "deploy" / "broker_tls.py")
broker_tls = importlib.util.module_from_spec(spec)
spec.loader.exec_module(broker_tls)

HOSTNAME_MISMATCH = 62  # X509_V_ERR_HOSTNAME_MISMATCH
UNTRUSTED = {19, 20}
"""X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN (the broker sends its CA along) or _UNABLE_TO_GET_ISSUER_CERT_LOCALLY."""


@pytest.fixture(scope="module")
def listener(broker, tmp_path_factory):
    """The CA file and port of the broker's TLS listener, asked of the broker: another checkout may have opened it
    with a CA of its own. A broker started without the scripts gets the listener here."""
    try:
        pem, port = broker_tls.broker_authority()
    except subprocess.CalledProcessError:
        broker_tls.ensure(VAR / "secrets" / "broker-tls", int(os.environ.get("AMQPS_PORT", "5671")))
        pem, port = broker_tls.broker_authority()
    ca_file = tmp_path_factory.mktemp("broker-tls") / "ca.pem"
    ca_file.write_text(pem)
    return str(ca_file), port


def amqps_url(amqp_url: str, host: str, port: int) -> str:
    parsed = urlparse(amqp_url)
    return parsed._replace(scheme="amqps", netloc=f"{parsed.username}:{parsed.password}@{host}:{port}").geturl()


def refused_attempt(url: str, ca_file: str) -> None:
    """One attempt with the connection `bus.connect` configures: its retry (`connect()`) waits a second to be
    refused the same way again."""
    with bus.connect(url, ca_file=ca_file) as connection:
        connection.transport.establish_connection()


def verification_error(error: BaseException) -> ssl.SSLCertVerificationError | None:
    """The TLS error, raised as it is or inside the error a client wrapped it in."""
    while error is not None and not isinstance(error, ssl.SSLCertVerificationError):
        error = error.__cause__ or error.__context__
    return error


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_a_message_goes_through_the_tls_listener(broker, listener, host):
    ca_file, port = listener
    name = f"tls.{uuid.uuid4().hex[:8]}"
    with bus.connect(amqps_url(broker, host, port), ca_file=ca_file) as connection:
        connection.connect()
        assert connection.connection.transport.sock.version().startswith("TLSv1.")
        channel = connection.channel()
        queue = Queue(name, exclusive=True, auto_delete=True)(channel)
        queue.declare()
        Producer(channel).publish({"over": "tls"}, routing_key=name, serializer="json")
        message = wait_for(lambda: queue.get(no_ack=True), 5, 0.02, "the message back")
        assert message is not None and message.decode() == {"over": "tls"}


def test_a_client_trusting_another_authority_is_refused(broker, listener, tmp_path):
    _, port = listener
    _, other = broker_tls.make_authority("Some other CA")
    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_bytes(broker_tls.pem(other))
    with pytest.raises(Exception) as refused:
        refused_attempt(amqps_url(broker, "localhost", port), str(other_ca))
    error = verification_error(refused.value)
    assert error is not None and error.verify_code in UNTRUSTED, refused.value


def test_a_host_name_the_certificate_does_not_name_is_refused(broker, listener, monkeypatch):
    """broker.elsewhere.test resolves to the loopback listener, so only the name in the certificate can differ."""
    ca_file, port = listener
    resolve = socket.getaddrinfo

    def loopback(host, *args, **kwargs):
        return resolve("127.0.0.1" if host == "broker.elsewhere.test" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback)
    with pytest.raises(Exception) as refused:
        refused_attempt(amqps_url(broker, "broker.elsewhere.test", port), ca_file)
    error = verification_error(refused.value)
    assert error is not None and error.verify_code == HOSTNAME_MISMATCH, refused.value


def test_the_certificates_are_made_once_with_a_private_key_only_its_owner_reads(tmp_path):
    directory = tmp_path / "broker-tls"
    broker_tls.generate(directory)
    made = {name: (directory / name).read_bytes() for name in ("ca.pem", "server.pem", "server.key")}
    assert (directory / "server.key").stat().st_mode & 0o777 == 0o600
    assert directory.stat().st_mode & 0o777 == 0o700
    assert not list(directory.glob("ca.key*"))
    server = x509.load_pem_x509_certificate(made["server.pem"])
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    server.verify_directly_issued_by(x509.load_pem_x509_certificate(made["ca.pem"]))
    broker_tls.generate(directory)
    assert {name: (directory / name).read_bytes() for name in made} == made
