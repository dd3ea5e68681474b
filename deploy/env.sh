# Environment of the local system, shared by run.sh and test.sh. External MONGODB_URI / AMQP_URL win.
# shellcheck shell=bash
use_local_infra() {  # vhost, ferretdb port, ferretdb data dir, debug addr
  local vhost="$1" port="$2" data="$3" debug="$4"
  if [ -z "${EXTERNAL_MONGODB:-}" ]; then
    start_ferretdb "$port" "$data" "$debug" "$VAR/run/ferretdb-$port.pid"
    export MONGODB_URI="mongodb://127.0.0.1:$port/"
  fi
  if [ -z "${EXTERNAL_AMQP:-}" ]; then
    start_rabbitmq
    ensure_vhost "$vhost" donghanh
    ensure_service_users "$vhost"
    service_amqp_urls "$vhost"
    AMQP_URL="$(amqp_url "$vhost" donghanh)"
    export AMQP_URL
  fi
}
EXTERNAL_MONGODB="${MONGODB_URI:-}"
EXTERNAL_AMQP="${AMQP_URL:-}"
export DH_VAR_DIR="$VAR"
export PATH="$VENV/bin:$PATH"
# The local system and the tests are development: `python -m shared.auth mint` works only there.
export DONGHANH_ENV="${DONGHANH_ENV:-development}"
