"""gunicorn settings shared by the three services' APIs; the port comes from SERVICE_PORT."""
import os

# Loopback on one machine; a container (deploy/compose.yaml, deploy/k8s) sets GUNICORN_BIND=0.0.0.0:<port>.
bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('SERVICE_PORT', '8000')}"
# gthread, answering the errors gunicorn raises itself (request line or headers too large...) as problem+json.
worker_class = "shared.gunicorn_worker.ProblemThreadWorker"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 10
# gunicorn's ceiling (its default is 4094): the longest query a list documents, every filter at its maximum length in
# percent-encoded UTF-8 (up to 12 bytes a character), fits; anything longer is answered 414 as a problem.
limit_request_line = 8190
keepalive = 5
accesslog = None
errorlog = "-"
loglevel = "warning"
preload_app = False
# Every gunicorn since 25.1 opens a control socket at one path per user ($HOME/.gunicorn/gunicorn.ctl): the three
# APIs (and a master supervisord restarts) would take it from each other. Nothing here uses gunicornc.
control_socket_disable = True


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)
