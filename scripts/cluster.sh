#!/usr/bin/env bash
# A throwaway cluster on this machine: a PostgreSQL of its own (run as the postgres user, initdb on a
# temp dir, a free port) and N nodes on loopback, each with its own ports and data dir, all with
# cluster-config/examples/cluster-node.yaml. Logs are in one place ($CLUSTER_DIR/logs).
#   scripts/cluster.sh up [N]         start the database and N nodes (default 3); returns when every node is up
#   scripts/cluster.sh status [--json] a line per node: name, pid, relay, submission and admin ports, state
#   scripts/cluster.sh down           stop the nodes (SIGTERM: each hands its shards off) and the database
# The nodes use this machine's resolver and deliver to port 25, as a single node does.
# CLUSTER_DIR (default ./data/cluster) holds everything; BASE_PORT (default 25250) is where ports start.
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER_DIR=${CLUSTER_DIR:-$PWD/data/cluster}
BASE_PORT=${BASE_PORT:-25250}
node_dll=src/MtaCluster.Node/bin/Release/net10.0/MtaCluster.Node.dll
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

log() { printf '%s\n' "$*" >&2; }
die() { log "cluster.sh: $*"; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

psql_cluster() {
  psql -X -q -At -h 127.0.0.1 -p "$(cat "$CLUSTER_DIR/pg.port")" -U postgres -d mtacluster -c "$1" 2>/dev/null
}

pg_up() {
  [ -n "$pg_bin" ] || die "PostgreSQL is not installed (apt-get install postgresql)"
  mkdir -p "$CLUSTER_DIR/logs"
  local port; port=$(free_port)
  echo "$port" > "$CLUSTER_DIR/pg.port"
  mkdir -p "$CLUSTER_DIR/pg"; chown postgres "$CLUSTER_DIR/pg"
  log "database: initdb and start on 127.0.0.1:$port"
  runuser -u postgres -- "$pg_bin/initdb" -D "$CLUSTER_DIR/pg/data" -A trust -U postgres -E UTF8 >/dev/null
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$CLUSTER_DIR/pg/data" -l "$CLUSTER_DIR/pg/postgres.log" -w \
    -o "-p $port -k $CLUSTER_DIR/pg -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
  psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE mtacluster" >/dev/null
}

node_up() {
  local i=$1 name="node$1"
  local relay=$((BASE_PORT + 10 * i)) submission=$((BASE_PORT + 10 * i + 1)) submissions=$((BASE_PORT + 10 * i + 2)) admin=$((BASE_PORT + 10 * i + 3))
  mkdir -p "$CLUSTER_DIR/$name"
  echo "$relay $submission $admin" > "$CLUSTER_DIR/$name/ports"
  MTA_Node__Name=$name \
  MTA_Node__DataDir="$CLUSTER_DIR/$name" \
  MTA_Spool__ConnectionString="Host=127.0.0.1;Port=$(cat "$CLUSTER_DIR/pg.port");Username=postgres;Database=mtacluster" \
  MTA_Smtp__Listeners__relay__Port=$relay \
  MTA_Smtp__Listeners__submission__Address=127.0.0.1 \
  MTA_Smtp__Listeners__submission__Port=$submission \
  MTA_Smtp__Listeners__submissions__Address=127.0.0.1 \
  MTA_Smtp__Listeners__submissions__Port=$submissions \
  MTA_Admin__Listen=127.0.0.1:$admin \
    setsid dotnet "$node_dll" --config cluster-config/examples/cluster-node.yaml \
    >"$CLUSTER_DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$CLUSTER_DIR/$name/pid"
  log "$name: pid $!, relay 127.0.0.1:$relay, submission 127.0.0.1:$submission, admin 127.0.0.1:$admin (scripts/pbm 127.0.0.1:$admin --token \$(cat $CLUSTER_DIR/$name/admin.token) cluster show), log $CLUSTER_DIR/logs/$name.log"
}

node_state() {
  local state
  state=$(psql_cluster "SELECT CASE WHEN state IN ('joining','up','leaving') AND heartbeat_at < now() - interval '10 seconds' THEN 'unreachable' ELSE state END FROM nodes WHERE name = '$1'" || true)
  echo "${state:-starting}"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

cmd_up() {
  local count=${1:-3}
  [[ "$count" =~ ^[1-9][0-9]*$ ]] || die "up takes a node count, not '$count'"
  [ -f "$CLUSTER_DIR/pg.port" ] && die "a cluster is already set up in $CLUSTER_DIR (scripts/cluster.sh down first)"
  log "building the node"
  dotnet build src/MtaCluster.Node -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
  pg_up
  for i in $(seq 1 "$count"); do node_up "$i"; done
  log "waiting for $count nodes to be up"
  local deadline=$((SECONDS + 120)) up=0
  while [ $SECONDS -lt $deadline ]; do
    up=$(psql_cluster "SELECT count(*) FROM nodes WHERE state = 'up'" || echo 0)
    printf '\r  %s of %s nodes up' "${up:-0}" "$count" >&2
    [ "${up:-0}" -ge "$count" ] && { echo >&2; cmd_status; return 0; }
    for i in $(seq 1 "$count"); do
      alive "$CLUSTER_DIR/node$i/pid" || { echo >&2; tail -5 "$CLUSTER_DIR/logs/node$i.log" >&2; die "node$i exited while starting"; }
    done
    sleep 0.5
  done
  echo >&2
  die "not every node was up within 120 s; see $CLUSTER_DIR/logs"
}

cmd_status() {
  local json=false
  [ "${1:-}" = "--json" ] && json=true
  [ -f "$CLUSTER_DIR/pg.port" ] || { $json && echo "[]" || log "no cluster in $CLUSTER_DIR"; return 0; }
  local rows=() dir name pid relay submission admin state
  for dir in "$CLUSTER_DIR"/node*; do
    [ -f "$dir/ports" ] || continue
    name=$(basename "$dir"); pid=$(cat "$dir/pid" 2>/dev/null || echo 0)
    read -r relay submission admin < "$dir/ports"
    if alive "$dir/pid"; then state=$(node_state "$name"); else state=stopped; fi
    rows+=("$name $pid $relay $submission $admin $state")
  done
  if $json; then
    printf '%s\n' "${rows[@]}" | python3 -c '
import json, sys
keys = ["name", "pid", "relay_port", "submission_port", "admin_port", "state"]
out = []
for line in sys.stdin.read().split("\n"):
    if not line.strip(): continue
    v = line.split()
    port = lambda p: None if p == "-" else int(p)
    out.append(dict(zip(keys, [v[0], int(v[1]), port(v[2]), port(v[3]), port(v[4]), v[5]])))
print(json.dumps(out))'
  else
    printf '%-8s %-8s %-6s %-11s %-6s %s\n' NAME PID RELAY SUBMISSION ADMIN STATE
    printf '%s\n' "${rows[@]}" | while read -r name pid relay submission admin state; do
      printf '%-8s %-8s %-6s %-11s %-6s %s\n' "$name" "$pid" "$relay" "$submission" "$admin" "$state"
    done
  fi
}

cmd_down() {
  [ -d "$CLUSTER_DIR" ] || { log "no cluster in $CLUSTER_DIR"; return 0; }
  local dir pid
  for dir in "$CLUSTER_DIR"/node*; do
    alive "$dir/pid" && { kill -TERM "$(cat "$dir/pid")"; log "$(basename "$dir"): leaving (SIGTERM)"; }
  done
  local deadline=$((SECONDS + 60))
  for dir in "$CLUSTER_DIR"/node*; do
    while alive "$dir/pid" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    if alive "$dir/pid"; then pid=$(cat "$dir/pid"); log "$(basename "$dir"): still running after 60 s, SIGKILL"; kill -KILL "$pid"; fi
  done
  if [ -f "$CLUSTER_DIR/pg/data/postmaster.pid" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$CLUSTER_DIR/pg/data" -m fast -w stop >/dev/null && log "database stopped"
  fi
  rm -rf "$CLUSTER_DIR"
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  status) shift; cmd_status "$@" ;;
  down) cmd_down ;;
  *) log "usage: scripts/cluster.sh up [N] | status [--json] | down"; exit 2 ;;
esac
