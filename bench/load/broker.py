"""A RabbitMQ node of the load run's own, beside the shared one on this machine (own node name, AMQP port and
distribution port), so the outage in the middle of the run stops this node's application only, as the fault tests
do with `rabbitmqctl stop_app`, and never the broker other people's tests use."""
from __future__ import annotations

import os
import secrets
import subprocess
import time

from tests.support import VAR

NODE = "donghanh_load"
PORT = 5682
USER = "donghanh_load"


class OwnBroker:
    def __init__(self, node: str = NODE, port: int = PORT, vhost: str = "donghanh_load"):
        self.node, self.port, self.vhost = node, port, vhost
        self.config = VAR / "bench" / "load" / "rabbitmq.conf"

    def ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["rabbitmqctl", "-q", "-n", self.node, *args], check=check, capture_output=True,
                              text=True, timeout=120)

    def running(self) -> bool:
        return self.ctl("ping", check=False).returncode == 0

    def start(self) -> str:
        """Start the node (or take the one a previous run left), with a fresh vhost and a user of its own; answers
        the AMQP URL. Every listener is on loopback, as deploy/rabbitmq.conf has the shared one."""
        if not self.running():
            self.config.parent.mkdir(parents=True, exist_ok=True)
            self.config.write_text(f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
                                   "distribution.listener.interface = 127.0.0.1\n")
            env = {**os.environ, "RABBITMQ_NODENAME": self.node, "RABBITMQ_NODE_PORT": str(self.port),
                   "RABBITMQ_CONFIG_FILE": str(self.config), "ERL_EPMD_ADDRESS": "127.0.0.1"}
            subprocess.run(["rabbitmq-server", "-detached"], env=env, check=True, capture_output=True, timeout=60)
            deadline = time.monotonic() + 60
            while not self.running():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"RabbitMQ node {self.node} did not start (see /var/log/rabbitmq/)")
                time.sleep(0.5)
        self.ctl("await_startup", "--timeout", "120")
        self.ctl("start_app")
        password = secrets.token_urlsafe(18)
        self.ctl("delete_user", USER, check=False)
        self.ctl("add_user", USER, password)
        self.ctl("delete_user", "guest", check=False)
        self.ctl("delete_vhost", self.vhost, check=False)
        self.ctl("add_vhost", self.vhost)
        self.ctl("set_permissions", "-p", self.vhost, USER, ".*", ".*", ".*")
        return f"amqp://{USER}:{password}@127.0.0.1:{self.port}/{self.vhost}"

    def stop_app(self) -> None:
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")
        self.ctl("await_startup", "--timeout", "120")

    def queue_depths(self) -> dict[str, int]:
        """Messages ready or unacknowledged in each queue of the vhost."""
        lines = self.ctl("list_queues", "-p", self.vhost, "name", "messages").stdout.splitlines()
        depths = {}
        for line in lines:
            name, _, count = line.rpartition("\t")
            if name and count.isdigit():
                depths[name] = int(count)
        return depths

    def shutdown(self) -> None:
        self.ctl("stop", check=False)
