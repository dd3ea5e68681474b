#!/usr/bin/env bash
# A 3-node RabbitMQ cluster on loopback for bench/cluster.py, beside (never touching) the shared broker rabbit@<host>
# and its Erlang node: nodes dh-c1..3@localhost, AMQP on 127.0.0.1:5791-5793, Erlang distribution on 25791-25793,
# no management plugin, data and logs under var/cluster/<node>/ (owned by the rabbitmq user the Debian wrapper runs
# the nodes as; the Erlang cookie is that user's, as for the shared broker).
#
#   deploy/cluster.sh start            start the three nodes, join dh-c2 and dh-c3 to dh-c1, make vhost and users
#   deploy/cluster.sh url USER         the AMQP URL list (';'-separated, failover) for USER, node N first (FIRST=N)
#   deploy/cluster.sh kill N           SIGKILL node N's Erlang VM (a crash, not a clean stop)
#   deploy/cluster.sh restart N        start node N again; it rejoins the cluster from its own data
#   deploy/cluster.sh members          each queue of the vhost with its type, leader and members
#   deploy/cluster.sh stop             stop the three nodes and remove var/cluster/
source "$(dirname "$0")/lib.sh"
CLUSTER="$VAR/cluster"
CLUSTER_VHOST="${CLUSTER_VHOST:-donghanh_cluster}"
NODES=(1 2 3)

node_name() { echo "dh-c$1@localhost"; }
node_port() { echo $((5790 + $1)); }
node_dir() { echo "$CLUSTER/dh-c$1"; }
ctl() { local n="$1"; shift; rabbitmqctl -q -n "$(node_name "$n")" "$@"; }

node_env() {  # N: the node's own environment, every listener on loopback (as deploy/rabbitmq.conf for the shared)
  local n="$1" dir
  dir="$(node_dir "$n")"
  echo RABBITMQ_NODENAME="$(node_name "$n")" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$(node_port "$n")" RABBITMQ_DIST_PORT=$((25790 + n)) ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" RABBITMQ_MNESIA_BASE="$dir/mnesia" \
    RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_PID_FILE="$dir/node.pid"
}

write_node_files() {  # N
  local n="$1" dir
  dir="$(node_dir "$n")"
  mkdir -p "$dir/mnesia" "$dir/log"
  cat > "$dir/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$(node_port "$n")
distribution.listener.interface = 127.0.0.1
EOF
  echo '[].' > "$dir/enabled_plugins"
  chown -R rabbitmq:rabbitmq "$dir"
}

boot_node() {  # N: start it detached and wait until it runs
  local n="$1"
  env $(node_env "$n") rabbitmq-server -detached >/dev/null 2>&1 || true
  for _ in $(seq 1 120); do ctl "$n" ping >/dev/null 2>&1 && break; sleep 0.5; done
  ctl "$n" await_startup --timeout 120 >/dev/null
}

cluster_user() {  # user [configure write read]: on the cluster (users are cluster-wide), with its generated password
  local user="$1" password
  password=$(amqp_password "$user")
  ctl 1 list_users | cut -f1 | grep -qx "$user" || ctl 1 add_user "$user" "$password" >/dev/null
  ctl 1 change_password "$user" "$password" >/dev/null
  ctl 1 set_permissions -p "$CLUSTER_VHOST" "$user" "${2:-.*}" "${3:-.*}" "${4:-.*}" >/dev/null
}

start() {
  if [ -d "$CLUSTER" ]; then stop; fi
  for n in "${NODES[@]}"; do write_node_files "$n"; done
  for n in "${NODES[@]}"; do
    log "starting RabbitMQ node $(node_name "$n") on 127.0.0.1:$(node_port "$n")"
    boot_node "$n"
  done
  for n in 2 3; do
    ctl "$n" stop_app >/dev/null
    ctl "$n" join_cluster "$(node_name 1)" >/dev/null
    ctl "$n" start_app >/dev/null
    ctl "$n" await_startup --timeout 120 >/dev/null
  done
  ctl 1 list_users | cut -f1 | grep -qx guest && ctl 1 delete_user guest >/dev/null
  ctl 1 add_vhost "$CLUSTER_VHOST" >/dev/null
  cluster_user donghanh
  local user configure write read
  while IFS=$'\t' read -r -u 3 user configure write read; do  # fd 3: rabbitmqctl reads stdin
    cluster_user "$user" "$configure" "$write" "$read"
  done 3< <(cd "$ROOT" && "$PY" -m services.topology permissions)
  ctl 1 cluster_status --formatter json \
    | "$PY" -c 'import json,sys; s=json.load(sys.stdin); print("cluster:", " ".join(s["running_nodes"]))' >&2
}

url() {  # user: the three nodes' URLs, node FIRST first, for kombu's failover
  local user="$1" first="${FIRST:-1}" password urls=() n
  password=$(amqp_password "$user")
  for i in 0 1 2; do
    n=$(( (first - 1 + i) % 3 + 1 ))
    urls+=("amqp://$user:$password@127.0.0.1:$(node_port "$n")/$CLUSTER_VHOST")
  done
  (IFS=';'; echo "${urls[*]}")
}

kill_node() {  # N
  local pid
  pid=$(cat "$(node_dir "$1")/node.pid")
  kill -KILL "$pid"
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}

members() {  # asked of the first node that answers
  local n
  for n in "${NODES[@]}"; do
    if ctl "$n" ping >/dev/null 2>&1; then
      ctl "$n" list_queues -p "$CLUSTER_VHOST" name type leader members online messages
      return
    fi
  done
  return 1
}

stop() {
  local n pid
  for n in "${NODES[@]}"; do
    ctl "$n" stop >/dev/null 2>&1 || true
    pid=$(cat "$(node_dir "$n")/node.pid" 2>/dev/null) || continue
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  done
  rm -rf "$CLUSTER"
}

case "${1:-}" in
  start) start ;;
  url) url "$2" ;;
  kill) kill_node "$2" ;;
  restart) boot_node "$2" ;;
  members) members ;;
  stop) stop ;;
  *) echo "usage: $0 start|url USER|kill N|restart N|members|stop" >&2; exit 2 ;;
esac
