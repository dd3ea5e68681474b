#!/usr/bin/env bash
# Install what is missing and run every test (arguments, if any, go to pytest instead). Tests start their own
# FerretDB (port 27117 and up, var/test/) and use their own RabbitMQ vhosts, so a running demo keeps its data. Every
# log ends with the 25 slowest tests (a later --durations given here overrides it).
source "$(dirname "$0")/lib.sh"
source "$ROOT/deploy/env.sh"
cd "$ROOT"
setup
if [ -z "$EXTERNAL_AMQP" ]; then
  start_rabbitmq
  ensure_vhost donghanh_test donghanh_test
fi
if [ "$#" -gt 0 ]; then
  exec python -m pytest --durations=25 "$@"
fi
# Every test: in DH_TEST_WORKERS pytest-xdist workers (each module on one, each worker a slot of its own:
# FerretDB, vhost, ports), then the tests that stop the broker every slot shares, alone.
status=0
python -m pytest --durations=25 -n "${DH_TEST_WORKERS:-2}" --dist loadfile -m "not broker_outage" || status=$?
python -m pytest --durations=10 -m broker_outage || status=$?
exit "$status"
