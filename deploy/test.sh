#!/usr/bin/env bash
# Install what is missing and run every test. Tests start their own FerretDB (port 27117, var/test/) and use
# their own RabbitMQ vhost, so a running demo keeps its data. Every log ends with the 25 slowest tests (a later
# --durations given here overrides it).
source "$(dirname "$0")/lib.sh"
source "$ROOT/deploy/env.sh"
cd "$ROOT"
setup
if [ -z "$EXTERNAL_AMQP" ]; then
  start_rabbitmq
  ensure_vhost donghanh_test donghanh_test
fi
python -m pytest --durations=25 "$@"
