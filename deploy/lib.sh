# Shared by the deploy scripts: paths, ports and the helpers that install and start the local infrastructure.
# shellcheck shell=bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR="$ROOT/var"
BIN="$ROOT/.local/bin"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
FERRETDB_VERSION="v1.24.2"
FERRETDB_PORT="${FERRETDB_PORT:-27017}"
FERRETDB_DEBUG_ADDR="${FERRETDB_DEBUG_ADDR:-127.0.0.1:28088}"
AMQP_VHOST="${AMQP_VHOST:-donghanh}"
AMQPS_PORT="${AMQPS_PORT:-5671}"  # the broker's TLS listener, on loopback too (open_tls_listener)
# What FerretDB stores into: sqlite (files under its data dir) or postgresql (a cluster under var/postgresql on
# 127.0.0.1:$POSTGRESQL_PORT, deploy/postgresql.py); the tests read the same setting (tests/support.py).
DH_STORE="${DH_STORE:-sqlite}"
POSTGRESQL_PORT="${POSTGRESQL_PORT:-25432}"
case "$DH_STORE" in sqlite|postgresql) ;; *) echo "DH_STORE=$DH_STORE: sqlite or postgresql" >&2; exit 2;; esac
mkdir -p "$VAR/log" "$VAR/run" "$VAR/secrets"

log() { printf '\033[1m[donghanh]\033[0m %s\n' "$*" >&2; }

amqp_password() {  # user
  local file="$VAR/secrets/amqp-password-$1"
  [ -s "$file" ] || (umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(18))' > "$file")
  cat "$file"
}

# Debian's chromium is the browser the docs test (tests/e2e/test_docs_browser.py) drives headless through Playwright,
# whose Python package brings its own driver; Playwright never downloads a browser here.
install_os_packages() {
  local missing=()
  command -v rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if [ "$DH_STORE" = postgresql ] && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    missing+=(postgresql)
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]} from Debian packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# The build's stamp names the patch's content, so a changed patch rebuilds the binary on the next setup.
FERRETDB_BUILD="$FERRETDB_VERSION+sqlite-indexes-$(sha256sum "$ROOT/deploy/ferretdb-sqlite-indexes.patch" | cut -c1-12)"

install_ferretdb() {
  if [ -x "$BIN/ferretdb" ] && [ "$(cat "$BIN/ferretdb.build" 2>/dev/null)" = "$FERRETDB_BUILD" ]; then
    return
  fi
  log "building FerretDB $FERRETDB_VERSION from its Go module"
  mkdir -p "$BIN" "$VAR/build"
  local src dir="$VAR/build/ferretdb-src"
  src=$(GOFLAGS=-mod=mod go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  rm -rf "$dir"; cp -r "$src" "$dir"; chmod -R u+w "$dir"
  # The module zip lacks the generated version file the binary embeds (FerretDB build/version/version.go).
  echo "$FERRETDB_VERSION" > "$dir/build/version/version.txt"
  # The SQLite backend answers every filter but a lone _id by decoding the whole table, and even its _id
  # lookup misses the _id index; the patch lets SQLite use the indexes (docs/operations.md, "FerretDB").
  (cd "$dir" && git apply "$ROOT/deploy/ferretdb-sqlite-indexes.patch")
  (cd "$dir" && go build -o "$BIN/ferretdb.new" ./cmd/ferretdb)
  mv -f "$BIN/ferretdb.new" "$BIN/ferretdb"  # a rename: FerretDB servers already running keep their binary
  echo "$FERRETDB_BUILD" > "$BIN/ferretdb.build"
}

install_python() {
  [ -x "$PY" ] || python3.11 -m venv "$VENV" 2>/dev/null || python3 -m venv "$VENV"
  local stamp="$VENV/.lock-installed" want
  want=$(sha256sum "$ROOT/requirements.lock" "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing Python dependencies from requirements.lock"
    "$PY" -m pip install -q --disable-pip-version-check -r "$ROOT/requirements.lock"
    "$PY" -m pip install -q --disable-pip-version-check --no-deps -e "$ROOT"
    echo "$want" > "$stamp"
  fi
}

# The portal's front-end code (htmx; axe-core for the browser tests) comes from the npm registry, pinned by
# services/portal/assets/package-lock.json: `npm ci` runs again only when the lock changes, and vendor.py copies
# what the portal serves into its static files (git-ignored).
install_assets() {
  local dir="$ROOT/services/portal/assets" want
  want=$(sha256sum "$dir/package-lock.json" | cut -c1-16)
  if [ "$(cat "$dir/node_modules/.lock-installed" 2>/dev/null)" != "$want" ]; then
    log "installing the portal's front-end packages from package-lock.json"
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$want" > "$dir/node_modules/.lock-installed"
  fi
  "$PY" "$dir/vendor.py"
}

setup() {
  install_os_packages
  install_ferretdb
  install_python
  install_assets
  (cd "$ROOT" && "$PY" -m shared.auth keygen --dir "$VAR/keys" >/dev/null)
  if [ ! -s "$VAR/secrets/data-key" ]; then  # a new system: its ID lookups get a key of their own
    (umask 077; "$PY" -c 'from shared.crypto import new_key; print(new_key())' > "$VAR/secrets/lookup-key"
     "$PY" -c 'from shared.crypto import new_key; print(new_key())' > "$VAR/secrets/data-key")
  fi
  (cd "$ROOT" && "$PY" -m shared.keys init --file "$VAR/secrets/master-keys.json" >/dev/null)
  (cd "$ROOT" && "$PY" -m shared.audit_keys init --file "$VAR/secrets/audit-key.json" >/dev/null)
}

start_ferretdb() {  # port, data dir, debug addr, pidfile
  local port="$1" data="$2" debug="$3" pidfile="$4"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then return; fi
  mkdir -p "$data"
  local store=(--handler=sqlite --sqlite-url="file:$data/")
  if [ "$DH_STORE" = postgresql ]; then  # the URL holds the password: FerretDB reads it from its environment
    store=(--handler=postgresql)
    FERRETDB_POSTGRESQL_URL=$("$PY" "$ROOT/deploy/postgresql.py" ensure --dir "$VAR/postgresql" \
                              --port "$POSTGRESQL_PORT" --database ferretdb)
    export FERRETDB_POSTGRESQL_URL
  fi
  nohup "$BIN/ferretdb" "${store[@]}" --listen-addr="127.0.0.1:$port" \
    --debug-addr="$debug" --telemetry=disable --state-dir="$data" --log-level=warn \
    >> "$VAR/log/ferretdb-$port.log" 2>&1 &
  unset FERRETDB_POSTGRESQL_URL
  echo $! > "$pidfile"
  for _ in $(seq 1 100); do
    if (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return; fi
    sleep 0.1
  done
  log "FerretDB did not start; see $VAR/log/ferretdb-$port.log"; return 1
}

start_rabbitmq() {  # on loopback only (deploy/rabbitmq.conf), checked once it runs
  if ! rabbitmqctl -q status >/dev/null 2>&1; then
    log "starting RabbitMQ"
    RABBITMQ_CONFIG_FILE="$ROOT/deploy/rabbitmq.conf" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
      ERL_EPMD_ADDRESS=127.0.0.1 rabbitmq-server -detached >/dev/null 2>&1 || true
  fi
  for _ in $(seq 1 120); do rabbitmqctl -q ping >/dev/null 2>&1 && break; sleep 0.5; done
  rabbitmqctl -q await_startup --timeout 120 >/dev/null
  rabbitmqctl -q start_app >/dev/null 2>&1 || true
  check_rabbitmq_loopback
  delete_guest
  open_tls_listener
}

# amqps on 127.0.0.1:$AMQPS_PORT with a CA and server certificate made once into var/secrets/broker-tls/. Opened at
# run time, also on a broker another checkout started without it: deploy/broker_tls.py says why.
# Without it only tests/integration/test_broker_tls.py fails, so the other tests still run.
open_tls_listener() {
  (cd "$ROOT" && "$PY" deploy/broker_tls.py ensure --dir "$VAR/secrets/broker-tls" --port "$AMQPS_PORT") \
    || log "RabbitMQ has no TLS listener on 127.0.0.1:$AMQPS_PORT (see above)"
}

check_rabbitmq_loopback() {  # warns of a broker started elsewhere that listens beyond loopback
  local exposed
  exposed=$(rabbitmq-diagnostics -q listeners 2>/dev/null | grep -Eo 'Interface: [^,]+' \
            | grep -Ev 'Interface: (127\.0\.0\.1|::1)$' || true)
  if [ -n "$exposed" ]; then
    log "RabbitMQ listens beyond loopback ($(echo "$exposed" | tr '\n' ' ')); restart it with ./deploy/stop.sh"
  fi
}

ensure_user() {  # user: the project's own (never guest), with its generated password
  local user="$1" password
  password=$(amqp_password "$user")
  if ! rabbitmqctl -q list_users | cut -f1 | grep -qx "$user"; then
    rabbitmqctl -q add_user "$user" "$password" >/dev/null
  fi
  rabbitmqctl -q change_password "$user" "$password" >/dev/null
}

ensure_vhost() {  # vhost user: the admin user, which declares the topology (services/topology.py)
  local vhost="$1" user="$2"
  rabbitmqctl -q add_vhost "$vhost" >/dev/null 2>&1 || true
  ensure_user "$user"
  rabbitmqctl -q set_permissions -p "$vhost" "$user" '.*' '.*' '.*' >/dev/null
}

# One user a service (donghanh_<service>), allowed only its own exchange and queues: the permissions come from
# services/permissions.py, computed from the workers' subscriptions (docs/operations.md, "Broker users").
ensure_service_users() {  # vhost
  local vhost="$1" user configure write read
  while IFS=$'\t' read -r -u 3 user configure write read; do  # fd 3: rabbitmqctl reads stdin
    ensure_user "$user"
    rabbitmqctl -q set_permissions -p "$vhost" "$user" "$configure" "$write" "$read" >/dev/null
  done 3< <(cd "$ROOT" && "$PY" -m services.topology permissions)
}

service_amqp_urls() {  # vhost: AMQP_URL_<SERVICE> for deploy/supervisor_conf.py, which gives each program its own
  local service
  for service in plans cases notifications; do
    export "AMQP_URL_${service^^}=$(amqp_url "$1" "donghanh_$service")"
  done
}

delete_guest() {  # RabbitMQ's default account (guest/guest) is never used: gone, it cannot be misused
  if rabbitmqctl -q list_users | cut -f1 | grep -qx guest; then
    rabbitmqctl -q delete_user guest >/dev/null
  fi
}

amqp_url() { echo "amqp://$2:$(amqp_password "$2")@127.0.0.1:5672/$1"; }  # vhost user

# The local system's processes run under supervisord (deploy/supervisor_conf.py writes its configuration from the
# Procfile); its control socket is var/run/supervisor.sock, a unix socket only its owner may use.
SUPERVISOR_CONF="$VAR/run/supervisord.conf"

stop_supervised() {  # every program, then supervisord itself
  local pidfile="$VAR/run/supervisord.pid"
  if [ -S "$VAR/run/supervisor.sock" ] && [ -f "$SUPERVISOR_CONF" ]; then
    "$VENV/bin/supervisorctl" -c "$SUPERVISOR_CONF" shutdown >/dev/null 2>&1 || true
  fi
  local pid
  pid=$(cat "$pidfile" 2>/dev/null) || return 0
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill "$pid"; fi
  rm -f "$pidfile"
}

stop_pidfile() {
  local pidfile="$1"
  if [ -f "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
    rm -f "$pidfile"
  fi
}
