"""deploy/supervisor_conf.py: every Procfile line becomes a supervised program with the same command and
environment, restarted with backoff, stopped with its process group, controlled over a unix socket only."""
import configparser
import importlib.util
from pathlib import Path

from tests.support import ROOT

spec = importlib.util.spec_from_file_location("supervisor_conf", ROOT / "deploy" / "supervisor_conf.py")
supervisor_conf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(supervisor_conf)

ENV = {"PLANS_PORT": "8101", "CASES_PORT": "8102", "NOTIFICATIONS_PORT": "8103", "PORTAL_PORT": "8104",
       "VAR_DIR": "/srv/var"}


def written(tmp_path: Path) -> configparser.RawConfigParser:
    programs = supervisor_conf.parse_procfile((ROOT / "deploy" / "Procfile").read_text(), ENV)
    parser = configparser.RawConfigParser()
    parser.read_string(supervisor_conf.config(programs, tmp_path / "run", tmp_path / "log"))
    return parser


def test_each_procfile_line_is_a_program_with_its_command_and_environment(tmp_path):
    lines = [line for line in (ROOT / "deploy" / "Procfile").read_text().splitlines() if line.strip()]
    parser = written(tmp_path)
    programs = [s for s in parser.sections() if s.startswith("program:")]
    assert len(programs) == len(lines)
    api = parser["program:cases-api"]
    assert api["command"].startswith("python -m gunicorn -c deploy/gunicorn.conf.py")
    assert api["environment"] == 'SERVICE_PORT="8102",PROMETHEUS_MULTIPROC_DIR="/srv/var/metrics/cases"'
    assert parser["program:cases-worker"]["command"] == "python -m services.cases.entrypoints.worker"


def test_programs_restart_with_backoff_and_stop_as_a_group(tmp_path):
    parser = written(tmp_path)
    for section in (s for s in parser.sections() if s.startswith("program:")):
        program = parser[section]
        assert program["autorestart"] == "true" and int(program["startretries"]) >= 10
        assert int(program["startsecs"]) >= 1
        assert program["stopasgroup"] == program["killasgroup"] == "true"
        assert program["stdout_logfile"] == str(tmp_path / "log" / (section.split(":")[1] + ".log"))


def test_control_is_a_unix_socket_only(tmp_path):
    parser = written(tmp_path)
    assert "inet_http_server" not in parser.sections()
    assert parser["unix_http_server"]["file"] == str(tmp_path / "run" / "supervisor.sock")
    assert parser["unix_http_server"]["chmod"] == "0700"


def test_a_percent_sign_is_kept_literally():
    programs = supervisor_conf.parse_procfile("x: A=50% python -m x --p=%d", {})
    section = supervisor_conf.program_section("x", *programs["x"], Path("/tmp"))
    assert 'A="50%%"' in section and "--p=%%d" in section
