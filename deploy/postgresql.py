"""A PostgreSQL cluster of the project's own under var/, the store FerretDB's postgresql handler writes to when
DH_STORE=postgresql (deploy/lib.sh start_ferretdb for the local system, tests/support.py FerretDB for the tests).

    python deploy/postgresql.py ensure --dir var/postgresql --port 25432 --database ferretdb   (prints the URL)
    python deploy/postgresql.py wipe --dir var/test/postgresql-8 --port 25612 --database ferretdb
    python deploy/postgresql.py stop --dir var/postgresql

`ensure` makes the cluster once (Debian's `postgresql` binaries, initdb into --dir), starts it if it is not
running and creates the database if it is missing. The server listens on 127.0.0.1 only, its socket in its data
directory; every connection authenticates with scram-sha-256 as `donghanh`, whose password is generated into
var/secrets/postgresql-password. PostgreSQL refuses to run as root, so a root caller runs it as `postgres`, owner
of the data directory. FerretDB gets the URL, password included, through its environment (FERRETDB_POSTGRESQL_URL),
never on a command line `ps` shows. `--fast` (the tests' clusters) turns fsync off: a crashed machine loses the
test data, which a test run wipes anyway.
"""
from __future__ import annotations

import argparse
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD_FILE = ROOT / "var" / "secrets" / "postgresql-password"
USER = "donghanh"
HOST = "127.0.0.1"
OWNER = "postgres"


def binary(name: str) -> str:
    """Debian keeps the server's programs out of PATH, under /usr/lib/postgresql/<major>/bin: the newest wins."""
    majors = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name)
                    if p.parent.name.isdigit() else 0)
    for directory in reversed(majors):
        if (directory / name).exists():
            return str(directory / name)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"PostgreSQL's {name} is missing: apt-get install postgresql")
    return found


def password() -> str:
    if not PASSWORD_FILE.exists():
        PASSWORD_FILE.parent.mkdir(parents=True, exist_ok=True)
        with os.fdopen(os.open(PASSWORD_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
            out.write(secrets.token_urlsafe(24))
    return PASSWORD_FILE.read_text().strip()


def url(port: int, database: str) -> str:
    return f"postgres://{USER}:{password()}@{HOST}:{port}/{database}"


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", OWNER, "--", *command] if os.geteuid() == 0 else command


def _chown(path: Path) -> None:
    if os.geteuid() == 0:
        owner = pwd.getpwnam(OWNER)
        os.chown(path, owner.pw_uid, owner.pw_gid)


def _init(data: Path, port: int, fast: bool) -> None:
    data.mkdir(parents=True, exist_ok=True)
    data.chmod(0o700)
    _chown(data)
    with tempfile.NamedTemporaryFile("w", delete=False) as pwfile:  # initdb wants an empty data directory
        pwfile.write(password())
    _chown(Path(pwfile.name))
    try:
        subprocess.run(_as_owner([binary("initdb"), "-D", str(data), "-U", USER, "--pwfile", pwfile.name,
                                  "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8"]),
                       check=True, capture_output=True, text=True)
    finally:
        os.unlink(pwfile.name)
    settings = {"listen_addresses": f"'{HOST}'", "port": str(port), "unix_socket_directories": f"'{data}'",
                "max_connections": "300"}
    if fast:
        settings.update(fsync="off", synchronous_commit="off", full_page_writes="off")
    with open(data / "postgresql.conf", "a") as conf:
        conf.write("\n# deploy/postgresql.py\n" + "".join(f"{k} = {v}\n" for k, v in settings.items()))
    (data / "pg_hba.conf").write_text("# deploy/postgresql.py: loopback only, with the password\n"
                                      "local all all scram-sha-256\n"
                                      f"host all all {HOST}/32 scram-sha-256\n")


def running(data: Path) -> bool:
    if not (data / "postmaster.pid").exists():
        return False
    return subprocess.run(_as_owner([binary("pg_ctl"), "-D", str(data), "status"]),
                          capture_output=True).returncode == 0


def _start(data: Path, port: int) -> None:
    log = ROOT / "var" / "log" / f"postgresql-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.touch()
    _chown(log)
    subprocess.run(_as_owner([binary("pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "start"]),
                   check=True, capture_output=True, text=True)


def sql(port: int, statement: str, database: str = "postgres") -> str:
    env = {**os.environ, "PGPASSWORD": password(), "PGCONNECT_TIMEOUT": "5"}
    return subprocess.run([binary("psql"), "-h", HOST, "-p", str(port), "-U", USER, "-d", database, "-v",
                           "ON_ERROR_STOP=1", "-tAc", statement], env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def _ready(port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            sql(port, "SELECT 1")
            return
        except subprocess.CalledProcessError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def ensure(data: Path, port: int, database: str, fast: bool = False) -> str:
    if not (data / "PG_VERSION").exists():
        _init(data, port, fast)
    if not running(data):
        _start(data, port)
    _ready(port)
    if sql(port, f"SELECT 1 FROM pg_database WHERE datname = '{database}'") != "1":
        sql(port, f'CREATE DATABASE "{database}"')
    return url(port, database)


def wipe(data: Path, port: int, database: str, fast: bool = False) -> str:
    """The database dropped and made again: what rm -rf of its data folder is to FerretDB's SQLite."""
    ensure(data, port, database, fast)
    sql(port, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    sql(port, f'CREATE DATABASE "{database}"')
    return url(port, database)


def stop(data: Path) -> None:
    if running(data):
        subprocess.run(_as_owner([binary("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                       check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("ensure", "wipe", "stop"))
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=25432)
    parser.add_argument("--database", default="ferretdb")
    parser.add_argument("--fast", action="store_true")
    args = parser.parse_args()
    data = args.dir.resolve()
    if args.action == "stop":
        stop(data)
    else:
        print((ensure if args.action == "ensure" else wipe)(data, args.port, args.database, args.fast))


if __name__ == "__main__":
    main()
