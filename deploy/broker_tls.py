"""The local broker's TLS (amqps) listener on loopback, so a test can connect over TLS to the real RabbitMQ.

    python deploy/broker_tls.py ensure --dir var/secrets/broker-tls --port 5671   (deploy/lib.sh start_rabbitmq)
    python deploy/broker_tls.py ca                                                (the CA the listener's chain ends in)

`ensure` makes a certificate authority and a server certificate for localhost and 127.0.0.1 once (ca.pem,
server.pem, server.key; the CA's key is never stored, so nothing else can be signed with it), then opens the
listener if the running broker has none. It opens it at run time with `rabbitmqctl eval` rather than in
deploy/rabbitmq.conf: the machine has one broker, which a test run or another checkout (a clean clone in CI) may
have started earlier with a configuration without TLS, and restarting it would break the runs using it. The same
settings go into the rabbit application's environment (`ssl_listeners`, `ssl_options`), so a `stop_app`/`start_app`
opens the listener again; a restart of the node drops it until the scripts run again. The certificate and key are
handed over in memory, not as file paths: the listener keeps working when the checkout that opened it is deleted.
"""
from __future__ import annotations

import argparse
import base64
import datetime
import ipaddress
import os
import re
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOST = "127.0.0.1"
NAMES = ("localhost",)
VALID_DAYS = 3650


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Dong Hanh (local)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def make_authority(common_name: str = "Dong Hanh local broker CA") -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                                key_encipherment=False, data_encipherment=False, key_agreement=False,
                                                key_cert_sign=True, crl_sign=True, encipher_only=False,
                                                decipher_only=False), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                   .sign(key, hashes.SHA256()))
    return key, certificate


def make_server(authority_key, authority: x509.Certificate) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    names = [x509.DNSName(name) for name in NAMES] + [x509.IPAddress(ipaddress.ip_address(HOST))]
    certificate = (x509.CertificateBuilder().subject_name(_name(NAMES[0])).issuer_name(authority.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
                   .add_extension(x509.SubjectAlternativeName(names), critical=False)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(authority_key.public_key()),
                                  critical=False)
                   .sign(authority_key, hashes.SHA256()))
    return key, certificate


def _write(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.chmod(path, mode)


def generate(directory: Path) -> None:
    """Once: a present set is kept, so clients that trust ca.pem keep trusting the listener."""
    if all((directory / name).is_file() for name in ("ca.pem", "server.pem", "server.key")):
        return
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    authority_key, authority = make_authority()
    key, certificate = make_server(authority_key, authority)
    _write(directory / "server.key", key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()), 0o600)
    _write(directory / "server.pem", pem(certificate), 0o644)
    _write(directory / "ca.pem", pem(authority), 0o644)


def _der_literal(der: bytes) -> str:
    return f'base64:decode("{base64.b64encode(der).decode()}")'


def listener_expression(directory: Path, port: int) -> str:
    """The Erlang run by `rabbitmqctl eval`: the settings rabbitmq.conf would give (`listeners.ssl.default`,
    `ssl_options.verify = verify_none`, `ssl_options.fail_if_no_peer_cert = false`: clients show no certificate),
    once the listener is open: of two runs at once, the one whose listener opened is the one the settings name.
    A listener already open is left alone."""
    authority = x509.load_pem_x509_certificate((directory / "ca.pem").read_bytes())
    certificate = x509.load_pem_x509_certificate((directory / "server.pem").read_bytes())
    key = serialization.load_pem_private_key((directory / "server.key").read_bytes(), password=None)
    key_der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    der = serialization.Encoding.DER
    return (
        f"Opts = [{{cacerts, [{_der_literal(authority.public_bytes(der))}]}}, "
        f"{{cert, {_der_literal(certificate.public_bytes(der))}}}, "
        f"{{key, {{'PrivateKeyInfo', {_der_literal(key_der)}}}}}, "
        "{verify, verify_none}, {fail_if_no_peer_cert, false}], "
        f'Listener = {{"{HOST}", {port}}}, '
        "case application:get_env(rabbit, ssl_listeners) of "
        "{ok, [_ | _]} -> already_open; "
        "_ -> ok = rabbit_networking:start_ssl_listener(Listener, Opts, 10), "
        "ok = application:set_env(rabbit, ssl_options, Opts), "
        "ok = application:set_env(rabbit, ssl_listeners, [Listener]) end.")


def _rabbitmqctl(*args: str, stdin: str | None = None) -> str:
    return subprocess.run(["rabbitmqctl", "-q", *args], input=stdin, check=True, capture_output=True, text=True,
                          timeout=60).stdout


def open_ports() -> set[int]:
    """The ports of the broker's amqp/ssl listeners, as `rabbitmq-diagnostics listeners` shows them."""
    listeners = subprocess.run(["rabbitmq-diagnostics", "-q", "listeners"], check=True, capture_output=True,
                               text=True, timeout=60).stdout
    return {int(port) for port in re.findall(r"port: (\d+), protocol: amqp/ssl", listeners)}


def ensure(directory: Path, port: int) -> None:
    generate(directory)
    if open_ports():
        return
    try:  # the expression holds the key: on stdin, never on a command line `ps` shows
        _rabbitmqctl("eval", stdin=listener_expression(directory, port))
    except subprocess.CalledProcessError:
        if not open_ports():  # another run may have opened it in the meantime
            raise
    if not open_ports():
        raise SystemExit(f"RabbitMQ opened no TLS listener on {HOST}:{port}")


def broker_authority() -> tuple[str, int]:
    """The PEM of the CA the running broker's TLS listener presents a chain to, and the listener's port: taken from
    the broker itself (rabbitmqctl is authenticated by the Erlang cookie), because the listener may have been
    opened by another checkout with its own CA."""
    out = _rabbitmqctl("eval", stdin=(
        "{ok, Opts} = application:get_env(rabbit, ssl_options), "
        "{ok, [{_, Port} | _]} = application:get_env(rabbit, ssl_listeners), "
        "case proplists:get_value(cacerts, Opts) of "
        "[Ca | _] -> {Port, base64:encode_to_string(Ca)}; "
        "undefined -> {ok, Pem} = file:read_file(proplists:get_value(cacertfile, Opts)), "
        "[{_, Ca, _} | _] = public_key:pem_decode(Pem), {Port, base64:encode_to_string(Ca)} end."))
    match = re.fullmatch(r'\{(\d+),"([A-Za-z0-9+/=]+)"\}', re.sub(r"\s+", "", out))
    if not match:
        raise RuntimeError(f"unexpected answer from rabbitmqctl eval: {out!r}")
    certificate = x509.load_der_x509_certificate(base64.b64decode(match.group(2)))
    return pem(certificate).decode(), int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    ensure_command = commands.add_parser("ensure")
    ensure_command.add_argument("--dir", type=Path, required=True)
    ensure_command.add_argument("--port", type=int, default=5671)
    commands.add_parser("ca")
    args = parser.parse_args()
    if args.command == "ensure":
        ensure(args.dir, args.port)
    else:
        print(broker_authority()[0], end="")


if __name__ == "__main__":
    main()
