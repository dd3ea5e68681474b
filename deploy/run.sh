#!/usr/bin/env bash
# Install what is missing, start FerretDB, RabbitMQ, the three services and their workers, load the demo data.
source "$(dirname "$0")/lib.sh"
source "$ROOT/deploy/env.sh"
cd "$ROOT"
setup
use_local_infra donghanh 27017 "$VAR/ferretdb" "$FERRETDB_DEBUG_ADDR"
export PLANS_PORT="${PLANS_PORT:-8101}" CASES_PORT="${CASES_PORT:-8102}" NOTIFICATIONS_PORT="${NOTIFICATIONS_PORT:-8103}"
export VAR_DIR="$VAR"
python -m services.topology declare --amqp-url "$AMQP_URL"
stop_pidfile "$VAR/run/system.pid"
for s in plans cases notifications; do rm -rf "$VAR/metrics/$s"; mkdir -p "$VAR/metrics/$s"; done
log "starting the services (logs: var/log/system.log)"
nohup honcho -f deploy/Procfile -d "$ROOT" start >> "$VAR/log/system.log" 2>&1 &
echo $! > "$VAR/run/system.pid"
python deploy/demo.py
