"""Write supervisord's configuration for the local system from deploy/Procfile.

The Procfile stays the one list of processes (adding the portal is one line there); this turns each line into a
supervisord program with the same command and environment, restarted when it crashes, so one process dying never
stops the others (honcho ends them all). Values like `$PLANS_PORT` are expanded from the environment now, when
run.sh or a test writes the file; everything else (MONGODB_URI...) children inherit from supervisord, but a
service's programs get AMQP_URL_<SERVICE> as their AMQP_URL when it is set (each service's own broker user).

    python deploy/supervisor_conf.py --var var --out var/run/supervisord.conf [--only plans-api,cases-api]
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")

START_SECONDS = 3
"""A process must stay up this long to count as started; one that exits sooner is retried after a backoff that
grows by a second each time (supervisord's own), START_RETRIES times, before it is left FATAL."""
START_RETRIES = 20
STOP_WAIT_SECONDS = 15
"""gunicorn's graceful_timeout is 10 s and a worker joins its threads for up to 10 s after SIGTERM."""


def parse_procfile(text: str, env: dict[str, str], only=None) -> dict[str, tuple[dict[str, str], str]]:
    """name -> (environment of its own, command), variables expanded from `env`; with `only`, just those
    programs (the others' variables need not be set)."""
    programs = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, rest = line.partition(":")
        if only is not None and name.strip() not in only:
            continue
        words = shlex.split(_expand(rest.strip(), env))
        own_env = {}
        while words and ASSIGNMENT.match(words[0]):
            key, _, value = words.pop(0).partition("=")
            own_env[key] = value
        programs[name.strip()] = (own_env, shlex.join(words))
    return programs


def with_service_brokers(programs: dict[str, tuple[dict[str, str], str]], env: dict[str, str]):
    """Each program of a service (`<service>-api`, `<service>-worker`) connects to the broker as that service's
    own user: AMQP_URL_<SERVICE>, when set, becomes its AMQP_URL (deploy/lib.sh service_amqp_urls)."""
    for name, (own_env, _) in programs.items():
        url = env.get(f"AMQP_URL_{name.split('-')[0].upper()}")
        if url and "AMQP_URL" not in own_env:
            own_env["AMQP_URL"] = url
    return programs


def _expand(text: str, env: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        if name not in env:
            raise SystemExit(f"Procfile needs ${name}, which is not set")
        return env[name]
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, text)


def _escape(text: str) -> str:
    """supervisord expands %(name)s in every value: a literal % is written %%."""
    return text.replace("%", "%%")


def program_section(name: str, own_env: dict[str, str], command: str, log_dir: Path) -> str:
    environment = ",".join(f'{key}="{_escape(value)}"' for key, value in own_env.items())
    lines = [f"[program:{name}]", f"command={_escape(command)}", f"directory={ROOT}",
             "autostart=true", "autorestart=true", f"startsecs={START_SECONDS}", f"startretries={START_RETRIES}",
             "stopsignal=TERM", f"stopwaitsecs={STOP_WAIT_SECONDS}", "stopasgroup=true", "killasgroup=true",
             "redirect_stderr=true", f"stdout_logfile={log_dir / (name + '.log')}",
             "stdout_logfile_maxbytes=20MB", "stdout_logfile_backups=5"]
    if environment:
        lines.insert(3, f"environment={environment}")
    return "\n".join(lines)


def config(programs: dict[str, tuple[dict[str, str], str]], run_dir: Path, log_dir: Path) -> str:
    """The control socket is a unix socket readable by its owner only: no TCP port to reach it from elsewhere."""
    head = f"""[unix_http_server]
file={run_dir / 'supervisor.sock'}
chmod=0700

[supervisord]
pidfile={run_dir / 'supervisord.pid'}
logfile={log_dir / 'supervisord.log'}
logfile_maxbytes=20MB
logfile_backups=5
childlogdir={log_dir}
directory={ROOT}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{run_dir / 'supervisor.sock'}
"""
    sections = [program_section(name, env, command, log_dir) for name, (env, command) in programs.items()]
    return "\n".join([head, *sections]) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procfile", default=str(ROOT / "deploy" / "Procfile"))
    parser.add_argument("--var", default=str(ROOT / "var"), help="var/run and var/log go under it")
    parser.add_argument("--out", required=True)
    parser.add_argument("--only", default="", help="comma-separated program names (default: every line)")
    args = parser.parse_args(argv)
    wanted = [name.strip() for name in args.only.split(",")] if args.only else None
    programs = with_service_brokers(parse_procfile(Path(args.procfile).read_text(), dict(os.environ), wanted),
                                    dict(os.environ))
    if wanted:
        unknown = set(wanted) - set(programs)
        if unknown:
            raise SystemExit(f"not in the Procfile: {', '.join(sorted(unknown))}")
        programs = {name: programs[name] for name in wanted}
    var = Path(args.var).resolve()
    run_dir, log_dir = var / "run", var / "log"
    run_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    out.write_text(config(programs, run_dir, log_dir))
    out.chmod(0o600)


if __name__ == "__main__":
    main()
