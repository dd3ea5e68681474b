"""Starting and stopping the real components the tests run against."""
from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
FERRETDB = ROOT / ".local" / "bin" / "ferretdb"
PRIVATE_KEY = str(VAR / "keys" / "jwt-private.pem")


def _slot() -> int:
    """DH_TEST_SLOT plus this pytest-xdist worker's number (deploy/test.sh runs two workers): each worker has a slot,
    and each slot its own FerretDB, vhost and ports."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(os.environ.get("DH_TEST_SLOT", "0")) + (int(worker[2:]) if worker.startswith("gw") else 0)


SLOT = _slot()
"""Several test runs on one machine (a developer's and a helper's) each take slots of their own: FerretDB port,
vhost and e2e ports are offset by the slot. A run of W workers takes the W slots from its DH_TEST_SLOT, so runs
side by side need DH_TEST_SLOT values at least W apart (0 and 2 with deploy/test.sh's two). A whole run also
stops the broker all runs share, once (the test marked `broker_outage`): another run meanwhile may fail."""
STORE = os.environ.get("DH_STORE", "sqlite")
"""What FerretDB stores into: `sqlite` files, or `postgresql`, a PostgreSQL cluster of the slot's own
(deploy/postgresql.py), so the suite shows that nothing relies on one backend's quirks."""
if STORE not in ("sqlite", "postgresql"):
    raise SystemExit(f"DH_STORE={STORE!r}: sqlite or postgresql")


def wait_for(predicate, timeout=30.0, interval=0.1, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def postgresql():
    """deploy/postgresql.py, which the deploy scripts run as a program."""
    spec = importlib.util.spec_from_file_location("postgresql", ROOT / "deploy" / "postgresql.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FerretDB:
    """A FerretDB of the tests' own: own port, own data folder, wiped at the start of the session."""

    def __init__(self, port=27117 + 10 * SLOT, debug_port=28188 + 10 * SLOT):
        self.port, self.debug_port = port, debug_port
        self.data = VAR / "test" / ("ferretdb" if not SLOT else f"ferretdb-{SLOT}")
        self.postgresql = (VAR / "test" / ("postgresql" if not SLOT else f"postgresql-{SLOT}"), 25532 + 10 * SLOT)
        self.process: subprocess.Popen | None = None
        self.uri = f"mongodb://127.0.0.1:{port}/"

    def wipe(self):
        shutil.rmtree(self.data, ignore_errors=True)
        if STORE == "postgresql":
            postgresql().wipe(*self.postgresql, "ferretdb", fast=True)

    def start(self):
        self.data.mkdir(parents=True, exist_ok=True)
        log = open(VAR / "log" / f"ferretdb-test-{self.port}.log", "ab")
        env = dict(os.environ)
        if STORE == "postgresql":
            store = ["--handler=postgresql"]
            env["FERRETDB_POSTGRESQL_URL"] = postgresql().ensure(*self.postgresql, "ferretdb", fast=True)
        else:
            store = ["--handler=sqlite", f"--sqlite-url=file:{self.data}/"]
        self.process = subprocess.Popen(
            [str(FERRETDB), *store,
             f"--listen-addr=127.0.0.1:{self.port}", f"--debug-addr=127.0.0.1:{self.debug_port}",
             "--telemetry=disable", f"--state-dir={self.data}", "--log-level=warn"],
            stdout=log, stderr=log, env=env)
        wait_for(lambda: port_open(self.port), 20, message="FerretDB to listen")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        wait_for(lambda: not port_open(self.port), 10, message="FerretDB to stop")

    def files(self) -> list[Path]:
        """The files the documents are stored in: FerretDB's SQLite files, or the PostgreSQL cluster's, every
        change written out to them first (a checkpoint)."""
        root = self.data
        if STORE == "postgresql":
            postgresql().sql(self.postgresql[1], "CHECKPOINT")
            root = self.postgresql[0]
        return [path for path in root.rglob("*") if path.is_file()]

    def close(self):
        """The end of the run: FerretDB stopped, and the PostgreSQL it stored into (stop keeps it for a restart)."""
        self.stop()
        if STORE == "postgresql":
            postgresql().stop(self.postgresql[0])


def rabbitmqctl(*args: str) -> str:
    return subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, text=True,
                          timeout=120).stdout


TEST_USER = "donghanh_test"


def amqp_password() -> str:
    """The tests' broker user's password, creating the user the first time (deploy/test.sh also does)."""
    file = VAR / "secrets" / f"amqp-password-{TEST_USER}"
    if not file.exists():
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(secrets.token_urlsafe(18))
        file.chmod(0o600)
    password = file.read_text().strip()
    if TEST_USER not in rabbitmqctl("list_users"):
        rabbitmqctl("add_user", TEST_USER, password)
    return password


def fresh_vhost(vhost: str) -> str:
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True, timeout=60)
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, TEST_USER, ".*", ".*", ".*")
    return f"amqp://{TEST_USER}:{amqp_password()}@127.0.0.1:5672/{vhost}"


def purge_service_queues(amqp_url: str) -> None:
    """Empty the services' queues and dead letters in the slot's vhost before a system starts on it. A queue an
    earlier system declared stays bound, and the slot's other tests publish to the services' exchanges: without
    this a new system's workers would first work through those tests' events (under pytest-xdist, integration
    modules run between the e2e ones)."""
    from services.topology import SUBSCRIPTIONS
    from tests.integration.busutil import purge

    purge(amqp_url, *(name for s in SUBSCRIPTIONS for name in (s.queue, s.dead_letter_name)))


def broker_stop():
    rabbitmqctl("stop_app")


def broker_start():
    rabbitmqctl("start_app")
    rabbitmqctl("await_startup")


SERVICES = ("plans", "cases", "notifications")


class System:
    """The three services as real gunicorn and worker processes, on the tests' FerretDB and vhost."""

    def __init__(self, mongodb_uri: str, amqp_url: str, db_prefix: str, base_port: int = 18100 + 100 * SLOT, extra_env=None):
        self.ports = {s: base_port + i + 1 for i, s in enumerate(SERVICES)}
        self.urls = {s: f"http://127.0.0.1:{p}" for s, p in self.ports.items()}
        self.env = {**os.environ, "MONGODB_URI": mongodb_uri, "AMQP_URL": amqp_url, "MONGODB_DB_PREFIX": db_prefix,
                    "DH_VAR_DIR": str(VAR), "RELAY_POLL_SECONDS": "0.02", "LOG_LEVEL": "INFO",
                    "GUNICORN_WORKERS": "2", "MONGODB_TIMEOUT_MS": "1000", **(extra_env or {})}
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.apis: dict[str, subprocess.Popen] = {}
        self.workers: dict[str, subprocess.Popen] = {}
        self.log_dir = VAR / "log" / "tests" / db_prefix
        self.log_dir.mkdir(parents=True, exist_ok=True)

    def _spawn(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")
        return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=log, stderr=log,
                                start_new_session=True)

    def start_api(self, service: str):
        env = {**self.env, "SERVICE_PORT": str(self.ports[service])}
        self.apis[service] = self._spawn(f"{service}-api", [
            "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", f"services.{service}.entrypoints.app:create_app()"],
            env)

    def start_worker(self, service: str, extra_env=None):
        self.workers[service] = self._spawn(f"{service}-worker",
                                            ["-m", f"services.{service}.entrypoints.worker"],
                                            {**self.env, **(extra_env or {})})

    def kill_worker(self, service: str, sig=signal.SIGKILL):
        process = self.workers.pop(service)
        process.send_signal(sig)
        process.wait(15)

    def start(self):
        """Every API and worker, ready; if one never gets ready, all are stopped again (a fixture that fails here
        never reaches its teardown, and processes left running would hold the next modules' ports)."""
        try:
            purge_service_queues(self.env["AMQP_URL"])
            for service in SERVICES:
                self.start_api(service)
                self.start_worker(service)
            for service, url in self.urls.items():
                wait_for(lambda: self.ready(service), 60, 0.2, f"{service} to be ready")
        except BaseException:
            self.stop()
            raise
        return self

    def ready(self, service: str) -> bool:
        try:
            return requests.get(f"{self.urls[service]}/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self):
        for process in [*self.apis.values(), *self.workers.values()]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [*self.apis.values(), *self.workers.values()]:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.apis.clear()
        self.workers.clear()
