#!/usr/bin/env bash
# Install what is missing, start FerretDB, RabbitMQ, the three services and their workers under supervisord (which
# restarts whatever crashes), load the demo data. A second run restarts the processes cleanly.
source "$(dirname "$0")/lib.sh"
source "$ROOT/deploy/env.sh"
cd "$ROOT"
setup
use_local_infra donghanh 27017 "$VAR/ferretdb" "$FERRETDB_DEBUG_ADDR"
export PLANS_PORT="${PLANS_PORT:-8101}" CASES_PORT="${CASES_PORT:-8102}" NOTIFICATIONS_PORT="${NOTIFICATIONS_PORT:-8103}"
export VAR_DIR="$VAR"
python -m services.topology declare --amqp-url "$AMQP_URL"
stop_supervised
stop_pidfile "$VAR/run/system.pid"  # a system started by an earlier edition of this script (honcho)
for s in plans cases notifications; do rm -rf "$VAR/metrics/$s"; mkdir -p "$VAR/metrics/$s"; done
python deploy/supervisor_conf.py --var "$VAR" --out "$SUPERVISOR_CONF"
log "starting the services under supervisord (logs: var/log/<program>.log; ./deploy/status.sh lists them)"
"$VENV/bin/supervisord" -c "$SUPERVISOR_CONF"
python deploy/demo.py
