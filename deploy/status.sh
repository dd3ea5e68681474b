#!/usr/bin/env bash
# List the local system's processes as supervisord sees them (state, pid, uptime). Extra arguments go to
# supervisorctl: `./deploy/status.sh` (all), `./deploy/status.sh cases-worker`, `./deploy/status.sh tail -f cases-api`.
source "$(dirname "$0")/lib.sh"
if [ ! -S "$VAR/run/supervisor.sock" ]; then
  log "not running (start it with ./deploy/run.sh)"; exit 3
fi
case "${1:-}" in
  status|start|stop|restart|signal|pid|tail|maintail|avail|clear|fg|reread|update|shutdown|version|help) ;;
  *) set -- status "$@" ;;
esac
exec "$VENV/bin/supervisorctl" -c "$SUPERVISOR_CONF" "$@"
