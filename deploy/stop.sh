#!/usr/bin/env bash
# Stop the services, their workers and supervisord, then the local FerretDB and PostgreSQL; RabbitMQ too unless
# --keep-broker.
source "$(dirname "$0")/lib.sh"
stop_supervised
stop_pidfile "$VAR/run/system.pid"
for pidfile in "$VAR"/run/ferretdb-*.pid; do [ -e "$pidfile" ] && stop_pidfile "$pidfile"; done
if [ -e "$VAR/postgresql/PG_VERSION" ]; then  # DH_STORE=postgresql's; the tests stop theirs at the end of the run
  "$PY" "$ROOT/deploy/postgresql.py" stop --dir "$VAR/postgresql"
fi
if [ "${1:-}" != "--keep-broker" ] && command -v rabbitmqctl >/dev/null && rabbitmqctl -q ping >/dev/null 2>&1; then
  rabbitmqctl -q stop >/dev/null 2>&1 || true
fi
log "stopped"
