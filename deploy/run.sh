#!/usr/bin/env bash
# Install what is missing, start FerretDB, RabbitMQ, the portal, the three services and their workers under
# supervisord (which restarts whatever crashes), load the demo data. A second run restarts the processes cleanly.
source "$(dirname "$0")/lib.sh"
source "$ROOT/deploy/env.sh"
cd "$ROOT"
setup
use_local_infra donghanh 27017 "$VAR/ferretdb" "$FERRETDB_DEBUG_ADDR"
export PLANS_PORT="${PLANS_PORT:-8101}" CASES_PORT="${CASES_PORT:-8102}" NOTIFICATIONS_PORT="${NOTIFICATIONS_PORT:-8103}"
export PORTAL_PORT="${PORTAL_PORT:-8104}"
export PORTAL_PUBLIC_URL="${PORTAL_PUBLIC_URL:-http://127.0.0.1:$PORTAL_PORT}"
# The services verify tokens the way production does: through the portal's OpenID Connect discovery and JWKS.
export JWT_ISSUER="$PORTAL_PUBLIC_URL" OIDC_DISCOVERY_URL="$PORTAL_PUBLIC_URL/.well-known/openid-configuration"
# The demo loader signs in its twenty-odd people from this one address within a minute.
export PORTAL_ATTEMPTS_PER_ADDRESS="${PORTAL_ATTEMPTS_PER_ADDRESS:-200}"
export VAR_DIR="$VAR"
python -m services.topology declare --amqp-url "$AMQP_URL"
# A directory copy added after the units were registered (the cases service's) gets them all again; the others'
# consumers skip what they already had.
python -m services.plans.entrypoints.cli republish-units >/dev/null
stop_supervised
stop_pidfile "$VAR/run/system.pid"  # a system started by an earlier edition of this script (honcho)
# The case counts again from the snapshots, with the workers stopped (a demo database older than the counts).
python -m services.cases.entrypoints.cli rebuild-counts >/dev/null
for s in portal plans cases notifications; do rm -rf "$VAR/metrics/$s"; mkdir -p "$VAR/metrics/$s"; done
python deploy/supervisor_conf.py --var "$VAR" --out "$SUPERVISOR_CONF"
log "starting the services under supervisord (logs: var/log/<program>.log; ./deploy/status.sh lists them)"
# The programs get their service's own broker user (AMQP_URL_<SERVICE>, written into each program's environment),
# never the admin's AMQP_URL, which only declares the topology above.
if [ -z "$EXTERNAL_AMQP" ]; then
  env -u AMQP_URL "$VENV/bin/supervisord" -c "$SUPERVISOR_CONF"
else
  "$VENV/bin/supervisord" -c "$SUPERVISOR_CONF"
fi
python deploy/demo.py
