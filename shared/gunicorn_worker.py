"""gunicorn's gthread worker, answering the errors gunicorn raises itself as application/problem+json.

A request line or header too large, a malformed request line or header, a bad chunked body: gunicorn answers those
before any application runs, with an HTML page of its own. gunicorn has no setting for that page (benoitc/gunicorn
issue #993); its worker writes every one through `gunicorn.util.write_error(sock, status, reason, message)` after
choosing the status, logging and writing the access log, so that one function is what this worker replaces.
"""
from __future__ import annotations

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from shared.problems import PROBLEM, problem_bytes

UNEXPLAINED = "the server could not answer this request; the error was logged"


def write_problem(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's `write_error` with the same status and message, as a problem instead of an HTML page."""
    body = problem_bytes(int(status_int), reason, mesg or UNEXPLAINED)
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: {PROBLEM}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
    util.write_nonblock(sock, head + body)


class ProblemThreadWorker(ThreadWorker):
    """The gthread worker; only the error page changes. `deploy/gunicorn.conf.py` names it as `worker_class`."""

    def init_process(self):
        """Installed before the worker starts serving (the base class's `init_process` runs the loop), in the
        worker's own process, where nothing else writes gunicorn's error pages."""
        util.write_error = write_problem
        super().init_process()
