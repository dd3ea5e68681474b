"""The local system's RabbitMQ listens on loopback only (deploy/lib.sh start_rabbitmq, deploy/rabbitmq.conf)."""
import re
import subprocess

from tests.support import ROOT

LOOPBACK = {"127.0.0.1", "::1"}


def test_the_configuration_binds_every_listener_to_loopback():
    settings = dict(line.split(" = ", 1) for line in (ROOT / "deploy" / "rabbitmq.conf").read_text().splitlines()
                    if line and not line.startswith("#"))
    assert settings["listeners.tcp.default"] == "127.0.0.1:5672"
    assert settings["distribution.listener.interface"] == "127.0.0.1"
    assert settings["management.tcp.ip"] == settings["prometheus.tcp.ip"] == "127.0.0.1"
    script = (ROOT / "deploy" / "lib.sh").read_text()
    assert 'RABBITMQ_CONFIG_FILE="$ROOT/deploy/rabbitmq.conf" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1' in script


def test_the_running_broker_listens_on_loopback_only(broker):
    listeners = subprocess.run(["rabbitmq-diagnostics", "-q", "listeners"], check=True, capture_output=True,
                               text=True, timeout=60).stdout
    interfaces = re.findall(r"Interface: ([^,]+), port: (\d+)", listeners)
    assert interfaces and {address for address, _ in interfaces} <= LOOPBACK, listeners
