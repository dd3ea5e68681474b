"""The local system's processes run as ./deploy/run.sh runs them: every Procfile line under supervisord, with the
configuration deploy/supervisor_conf.py writes, on the test slot's FerretDB and vhost and ports of their own."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path

import requests
from supervisor.xmlrpc import SupervisorTransport

from tests.support import ROOT, SERVICES, SLOT, VAR, purge_service_queues, wait_for

APIS = tuple(f"{s}-api" for s in SERVICES)
WORKERS = tuple(f"{s}-worker" for s in SERVICES)


class SupervisedSystem:
    def __init__(self, mongodb_uri: str, amqp_url: str, db_prefix: str, base_port: int = 18170 + 100 * SLOT,
                 programs=APIS + WORKERS, extra_env=None):
        self.home = VAR / "test" / f"supervised-{SLOT}"
        self.ports = {s: base_port + i + 1 for i, s in enumerate(SERVICES)}
        self.urls = {s: f"http://127.0.0.1:{p}" for s, p in self.ports.items()}
        self.programs = programs
        bin_dir = str(Path(sys.executable).parent)
        self.env = {**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
                    "MONGODB_URI": mongodb_uri, "AMQP_URL": amqp_url, "MONGODB_DB_PREFIX": db_prefix,
                    "DH_VAR_DIR": str(VAR), "VAR_DIR": str(self.home), "RELAY_POLL_SECONDS": "0.02",
                    "LOG_LEVEL": "INFO", "GUNICORN_WORKERS": "2", "MONGODB_TIMEOUT_MS": "1000",
                    **{f"{s.upper()}_PORT": str(p) for s, p in self.ports.items()}, **(extra_env or {})}
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.conf = self.home / "run" / "supervisord.conf"

    @property
    def rpc(self):
        transport = SupervisorTransport(None, None, f"unix://{self.home / 'run' / 'supervisor.sock'}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport).supervisor

    def start(self) -> "SupervisedSystem":
        purge_service_queues(self.env["AMQP_URL"])
        shutil.rmtree(self.home, ignore_errors=True)
        for service in SERVICES:
            (self.home / "metrics" / service).mkdir(parents=True)
        subprocess.run([sys.executable, "deploy/supervisor_conf.py", "--var", str(self.home), "--out",
                        str(self.conf), "--only", ",".join(self.programs)], cwd=ROOT, env=self.env, check=True)
        subprocess.run([str(Path(sys.executable).parent / "supervisord"), "-c", str(self.conf)], cwd=ROOT,
                       env=self.env, check=True)
        for service in SERVICES:
            wait_for(lambda: self.ready(service), 60, 0.2, f"{service} to be ready")
        return self

    def ready(self, service: str) -> bool:
        try:
            return requests.get(f"{self.urls[service]}/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def info(self, program: str) -> dict:
        return self.rpc.getProcessInfo(program)

    def restarted(self, program: str, old_pid: int) -> bool:
        info = self.info(program)
        return info["statename"] == "RUNNING" and info["pid"] not in (0, old_pid)

    def stop(self) -> None:
        pidfile = self.home / "run" / "supervisord.pid"
        if not pidfile.exists():
            return
        pid = int(pidfile.read_text())
        try:
            self.rpc.shutdown()
        except (OSError, xmlrpc.client.Fault):
            os.kill(pid, 15)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
