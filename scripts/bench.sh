#!/usr/bin/env bash
# Throughput benchmarks, MtaCluster side by side with Postfix on the same machine in the same run.
#
#   scripts/bench.sh accept [RUNS]   smtp-source -> relay port, messages/s accepted into the durable spool
#                                    (Postfix: accepted into its queue with delivery held)
#   scripts/bench.sh e2e [RUNS]      smtp-source -> MTA -> smtp-sink, messages/s end to end, for
#                                    2 KiB x 1 rcpt, 2 KiB x 10 rcpts and 100 KiB x 1 rcpt; for
#                                    MtaCluster also the rate until every message is removed from
#                                    its spool, the messages left and the spool's size (file + -wal)
#   scripts/bench.sh cluster [RUNS]  smtp-source -> MTA -> smtp-sink, 2 KiB x 1 rcpt, messages/s end to
#                                    end for Postfix, one node on SQLite, one node on PostgreSQL and
#                                    three nodes on one PostgreSQL (scripts/cluster.sh; the load split
#                                    over the three relay ports). All of it shares this machine's cores.
#   scripts/bench.sh dkim [RUNS]     the accept load three ways in each round: Postfix, a node that does
#                                    not sign, and a node that signs every message with an RSA-2048 key
#                                    (dkim-keygen); the signing cost is 1 - signed / unsigned
#   scripts/bench.sh scale           a node restarted on a large queue with delivery on: seconds to
#                                    listening, peak RSS, time to drain into smtp-sink, and the drain
#                                    rate against this node's own e2e rate for 2 KiB x 10 rcpts
#
# Scale environment: SCALE_RECIPIENTS (default 1000000), SCALE_DOMAINS (default 10000); 10
# recipients of one domain per message. SCALE_MAX_ACTIVE_DOMAINS (default 2000, the node's own
# default) sets Delivery:MaxActiveDomains; every domain here is routed to the one smtp-sink, and the
# node-wide Delivery:MaxConnections (default 1000) bounds how many connections it sees at once. The
# queue is written straight into the spool of a node that ran once with delivery held
# (scripts/lib/fill_spool.py), then the node restarts.
#
# Each figure is the median of RUNS runs (default 3); the ratio is MtaCluster / Postfix.
# Environment: MESSAGES (default 20000 for accept, 10000 for e2e), SESSIONS (default 20),
# POSTFIX_PORT, NODE_PORT, SINK_PORT (default 12525, 22525, 12600).
# BASELINE_DLL (e2e): the MtaCluster.Node.dll of another build (say, one from before finished mail
# was removed) run in each round right after this one, same load, same sink; its column is the rate
# to the sink, and it is not waited for to empty its spool. BASELINE_LISTENERS=list for a build from
# before listeners were a map keyed by name.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postfix.sh

mode=${1:-accept}; runs=${2:-3}
sessions=${SESSIONS:-20}
work=$(mktemp -d /tmp/mta-bench.XXXXXX)
# Postfix and smtp-sink drop privileges to the postfix user, which must be able to enter it.
chmod 755 "$work"
node_pid=""; sink_pid=""
# Extra environment of the next bench node (configuration overrides such as MTA_Dkim__...).
node_env=()
cleanup() {
  [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null
  [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null
  postfix_stop "$work/postfix"
  [ -d "$work/cluster/run" ] && CLUSTER_DIR="$work/cluster/run" scripts/cluster.sh down >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# Fixed by default so runs compare; set them apart when two benchmarks share the machine.
POSTFIX_PORT=${POSTFIX_PORT:-12525}; NODE_PORT=${NODE_PORT:-22525}; SINK_PORT=${SINK_PORT:-12600}

progress() { printf '  %-44s' "$*"; }

echo "building MtaCluster.Node (Release)..."
dotnet build src/MtaCluster.Node -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
node_dll=src/MtaCluster.Node/bin/Release/net10.0/MtaCluster.Node.dll

# node_yaml DIR HOLD [DELIVERY_LINES] [LOG_LEVEL_LINES]: a bench node's configuration on stdout,
# only the relay listener, on NODE_PORT (the submission ones off), mail routed by DIR/domains.yaml, warnings only unless told.
node_yaml() {
  local dir=$1 hold=$2 delivery=${3:-} levels=${4:-}
  cat <<YAML
Node:
  DataDir: $dir/data
Logging:
  LogLevel:
    Default: Warning
${levels}
Smtp:
  Listeners:
$(listeners_yaml)
Delivery:
  Hold: $hold
  DomainsFile: $dir/domains.yaml
${delivery}
YAML
}

# The relay listener alone on NODE_PORT; LISTENERS=list writes it in the list form of builds from
# before listeners were a map keyed by name (for BASELINE_DLL).
listeners_yaml() {
  if [ "${LISTENERS:-map}" = list ]; then
    printf '    - Name: relay\n      Address: 127.0.0.1\n      Port: %s\n      Kind: Relay\n' "$NODE_PORT"
  else
    printf '    relay:\n      Port: %s\n    submission:\n      Enabled: false\n    submissions:\n      Enabled: false\n' "$NODE_PORT"
  fi
}

# node_start MODE [SINK_PORT] [DLL]: a fresh node on a fresh data dir (accept: delivery held).
node_start() {
  local mode=$1 sink=${2:-$SINK_PORT} dll=${3:-$node_dll} dir="$work/node"
  rm -rf "$dir"; mkdir -p "$dir"
  node_yaml "$dir" "$([ "$mode" = accept ] && echo true || echo false)" > "$dir/bench.yaml"
  # Like Postfix's relayhost: everything to the sink, with as many connections as Postfix may use.
  cat > "$dir/domains.yaml" <<YAML
default:
  route: 127.0.0.1:$sink
  max-connections: 20
  max-messages-per-connection: 1000
  tls: none
YAML
  env "${node_env[@]}" dotnet "$dll" --config "$dir/bench.yaml" > "$dir/node.log" 2>&1 &
  node_pid=$!
  wait_port "$NODE_PORT" || { cat "$dir/node.log" >&2; return 1; }
}
node_stop() { [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null; wait "$node_pid" 2>/dev/null || true; node_pid=""; }

sink_start() {
  : > "$work/sink.out"
  smtp-sink -c -u postfix "127.0.0.1:$SINK_PORT" 1000 > "$work/sink.out" 2>&1 &
  sink_pid=$!
  wait_port "$SINK_PORT"
}
sink_stop() { [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null; wait "$sink_pid" 2>/dev/null || true; sink_pid=""; }
sink_count() { tr '\r' '\n' < "$work/sink.out" | sed -nE 's/.*mesg=([0-9]+).*/\1/p' | tail -n 1; }

# Waits until smtp-sink has seen N messages; prints nothing, fails after TIMEOUT seconds of no progress.
sink_wait() {
  local want=$1 last=-1 still=0 got
  while :; do
    got=$(sink_count); got=${got:-0}
    [ "$got" -ge "$want" ] && return 0
    if [ "$got" -eq "$last" ]; then still=$((still + 1)); else still=0; last=$got; fi
    [ "$still" -ge 600 ] && { echo "stalled at $got of $want" >&2; return 1; }
    sleep 0.1
  done
}

# The running bench node's spool, read beside it (WAL lets a reader in without stopping the writer).
spool_db() { echo "$work/node/data/spool.db"; }
spool_left() { sqlite3 -readonly "$(spool_db)" "SELECT COUNT(*) FROM messages"; }
spool_bytes() { local f; f=$(spool_db); echo $(( $(stat -c %s "$f") + $([ -f "$f-wal" ] && stat -c %s "$f-wal" || echo 0) )); }

# Waits until the node's spool holds no message; fails after 60 s of no progress.
spool_wait_empty() {
  local left last=-1 still=0
  while :; do
    left=$(spool_left)
    [ "$left" -eq 0 ] && return 0
    if [ "$left" -eq "$last" ]; then still=$((still + 1)); else still=0; last=$left; fi
    [ "$still" -ge 600 ] && { echo "spool stalled at $left messages" >&2; return 1; }
    sleep 0.1
  done
}

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }
median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# accept_run TARGET PORT MESSAGES -> msgs/s
accept_run() {
  local port=$1 n=$2 t0 t1
  t0=$(now)
  smtp-source -s "$sessions" -m "$n" -l 2048 -f sender@example.com -t rcpt@example.net "127.0.0.1:$port" >/dev/null
  t1=$(now)
  rate "$n" "$t0" "$t1"
}

bench_accept() {
  local n=${MESSAGES:-20000} ours=() theirs=() r
  echo "accept: smtp-source -s $sessions -m $n -l 2048, median of $runs"
  for i in $(seq 1 "$runs"); do
    progress "run $i/$runs postfix"
    postfix_start "$work/postfix" "$POSTFIX_PORT" accept
    r=$(accept_run "$POSTFIX_PORT" "$n"); theirs+=("$r")
    echo "$r msg/s ($(postfix_queued "$work/postfix") queued)"
    postfix_stop "$work/postfix"
    progress "run $i/$runs mtacluster"
    node_start accept
    r=$(accept_run "$NODE_PORT" "$n"); ours+=("$r")
    echo "$r msg/s"
    node_stop
  done
  local m_ours m_theirs
  m_ours=$(echo "${ours[*]}" | median); m_theirs=$(echo "${theirs[*]}" | median)
  printf '\n| load | Postfix msg/s | MtaCluster msg/s | ratio |\n|---|---|---|---|\n'
  printf '| accept 2 KiB x 1 rcpt, %s sessions | %s | %s | %sx |\n' "$sessions" "$m_theirs" "$m_ours" "$(ratio "$m_ours" "$m_theirs")"
}

bench_dkim() {
  local n=${MESSAGES:-20000} ours=() signed=() theirs=() r key="$work/dkim/s1.example.com.pem"
  mkdir -p "$work/dkim"
  dotnet "$node_dll" dkim-keygen --domain example.com --selector s1 --algorithm rsa --bits 2048 --out "$key" >/dev/null
  # Every message is signed: smtp-source's From has no domain of its own, so the default domain signs it.
  local signing=(MTA_Dkim__DefaultDomain=example.com MTA_Dkim__Domains__example.com__Selector=s1
    MTA_Dkim__Domains__example.com__Algorithm=rsa-sha256 "MTA_Dkim__Domains__example.com__KeyPath=$key")
  echo "dkim: smtp-source -s $sessions -m $n -l 2048, unsigned and RSA-2048 signed, median of $runs"
  for i in $(seq 1 "$runs"); do
    progress "run $i/$runs postfix"
    postfix_start "$work/postfix" "$POSTFIX_PORT" accept
    r=$(accept_run "$POSTFIX_PORT" "$n"); theirs+=("$r")
    echo "$r msg/s"
    postfix_stop "$work/postfix"
    progress "run $i/$runs mtacluster unsigned"
    node_env=(); node_start accept
    r=$(accept_run "$NODE_PORT" "$n"); ours+=("$r")
    echo "$r msg/s"
    node_stop
    progress "run $i/$runs mtacluster signed"
    node_env=("${signing[@]}"); node_start accept
    r=$(accept_run "$NODE_PORT" "$n"); signed+=("$r")
    echo "$r msg/s"
    node_stop; node_env=()
  done
  local m_ours m_signed m_theirs
  m_ours=$(echo "${ours[*]}" | median); m_signed=$(echo "${signed[*]}" | median); m_theirs=$(echo "${theirs[*]}" | median)
  printf '\n| load | Postfix msg/s | unsigned msg/s | RSA-2048 signed msg/s | signed / Postfix | signing cost |\n|---|---|---|---|---|---|\n'
  printf '| accept 2 KiB x 1 rcpt, %s sessions | %s | %s | %s | %sx | %s%% |\n' "$sessions" "$m_theirs" "$m_ours" "$m_signed" \
    "$(ratio "$m_signed" "$m_theirs")" "$(awk -v s="$m_signed" -v u="$m_ours" 'BEGIN { printf "%.0f", 100 * (1 - s / u) }')"
}

# e2e_run PORT MESSAGES SIZE RCPTS -> msgs/s, measured until smtp-sink saw every message
e2e_run() {
  local port=$1 n=$2 size=$3 rcpts=$4 t0 t1 before
  before=$(sink_count); before=${before:-0}
  t0=$(now)
  smtp-source -s "$sessions" -m "$n" -l "$size" -r "$rcpts" -f sender@example.com -t rcpt@example.net "127.0.0.1:$port" >/dev/null
  sink_wait $((before + n))
  t1=$(now)
  rate "$n" "$t0" "$t1"
}

# node_e2e_run PORT MESSAGES SIZE RCPTS REMOVAL -> "msgs/s-to-sink msgs/s-to-removal messages-left spool-bytes";
# with REMOVAL no, the second figure is "-" and the spool is read as soon as the sink has everything.
node_e2e_run() {
  local port=$1 n=$2 size=$3 rcpts=$4 removal=$5 t0 t1 t2 before removed=-
  before=$(sink_count); before=${before:-0}
  t0=$(now)
  smtp-source -s "$sessions" -m "$n" -l "$size" -r "$rcpts" -f sender@example.com -t rcpt@example.net "127.0.0.1:$port" >/dev/null
  sink_wait $((before + n))
  t1=$(now)
  if [ "$removal" = yes ]; then
    spool_wait_empty
    t2=$(now)
    removed=$(rate "$n" "$t0" "$t2")
  fi
  echo "$(rate "$n" "$t0" "$t1") $removed $(spool_left) $(spool_bytes)"
}

bench_e2e() {
  local n=${MESSAGES:-10000} table="" size rcpts label baseline=${BASELINE_DLL:-}
  echo "e2e: smtp-source -s $sessions -m $n -> MTA -> smtp-sink, median of $runs${baseline:+, baseline $baseline}"
  for load in "2048 1 2 KiB x 1 rcpt" "2048 10 2 KiB x 10 rcpts" "102400 1 100 KiB x 1 rcpt"; do
    read -r size rcpts label <<<"$load"
    local ours=() removed=() theirs=() base=() r m_ours m_removed m_theirs m_base left bytes sink_rate removal_rate
    for i in $(seq 1 "$runs"); do
      sink_start
      progress "$label run $i/$runs postfix"
      postfix_start "$work/postfix" "$POSTFIX_PORT" relay "$SINK_PORT"
      r=$(e2e_run "$POSTFIX_PORT" "$n" "$size" "$rcpts"); theirs+=("$r"); echo "$r msg/s"
      postfix_stop "$work/postfix"
      progress "$label run $i/$runs mtacluster"
      node_start e2e "$SINK_PORT"
      read -r sink_rate removal_rate left bytes <<<"$(node_e2e_run "$NODE_PORT" "$n" "$size" "$rcpts" yes)"
      ours+=("$sink_rate"); removed+=("$removal_rate")
      echo "$sink_rate msg/s to the sink, $removal_rate msg/s to an empty spool ($left left, spool $bytes bytes)"
      node_stop
      if [ -n "$baseline" ]; then
        progress "$label run $i/$runs baseline"
        LISTENERS=${BASELINE_LISTENERS:-map} node_start e2e "$SINK_PORT" "$baseline"
        read -r sink_rate removal_rate left bytes <<<"$(node_e2e_run "$NODE_PORT" "$n" "$size" "$rcpts" no)"
        base+=("$sink_rate")
        echo "$sink_rate msg/s to the sink ($left messages left in its spool, $bytes bytes)"
        node_stop
      fi
      sink_stop
    done
    m_ours=$(echo "${ours[*]}" | median); m_theirs=$(echo "${theirs[*]}" | median); m_removed=$(echo "${removed[*]}" | median)
    if [ -n "$baseline" ]; then
      m_base=$(echo "${base[*]}" | median)
      table+=$(printf '| %s | %s | %s | %sx | %s | %s | %sx |' "$label" "$m_theirs" "$m_ours" "$(ratio "$m_ours" "$m_theirs")" \
        "$m_removed" "$m_base" "$(ratio "$m_removed" "$m_base")")$'\n'
    else
      table+=$(printf '| %s | %s | %s | %sx | %s |' "$label" "$m_theirs" "$m_ours" "$(ratio "$m_ours" "$m_theirs")" "$m_removed")$'\n'
    fi
  done
  if [ -n "$baseline" ]; then
    printf '\n| load (%s sessions) | Postfix msg/s | MtaCluster msg/s | ratio | MtaCluster msg/s to an empty spool | baseline msg/s | removal / baseline |\n|---|---|---|---|---|---|---|\n%s' "$sessions" "$table"
  else
    printf '\n| load (%s sessions) | Postfix msg/s | MtaCluster msg/s | ratio | MtaCluster msg/s to an empty spool |\n|---|---|---|---|---|\n%s' "$sessions" "$table"
  fi
}

# scale_config DIR HOLD: a node on DIR/data, every domain routed to the sink (like e2e).
scale_config() {
  local dir=$1 hold=$2 active=$3
  node_yaml "$dir" "$hold" "  MaxActiveDomains: $active" \
    "    MtaCluster.Delivery.Domains.DeliveryEngine: Information
    MtaCluster.Node.Hosting.NodeLifecycleService: Information
    MtaCluster.Smtp.Server.SmtpServer: Information" > "$dir/scale.yaml"
  # Each domain has only ten messages, two connections each: the active-domain cap and the node's
  # connection budget, not per-domain parallelism, decide how many connections the sink sees.
  cat > "$dir/domains.yaml" <<YAML
default:
  route: 127.0.0.1:$SINK_PORT
  max-connections: 2
  max-messages-per-connection: 1000
  tls: none
YAML
}

# scale_start DIR: starts the node (node_pid) and sets listen_s to the seconds from exec to the
# relay port accepting a connection. Not run in $(...), which would lose node_pid.
scale_start() {
  local dir=$1 t0 t1
  if (exec 3<>"/dev/tcp/127.0.0.1/$NODE_PORT") 2>/dev/null; then echo "port $NODE_PORT is already taken" >&2; return 1; fi
  t0=$(now)
  dotnet "$node_dll" --config "$dir/scale.yaml" >> "$dir/node.log" 2>&1 &
  node_pid=$!
  for _ in $(seq 1 3000); do
    (exec 3<>"/dev/tcp/127.0.0.1/$NODE_PORT") 2>/dev/null && break
    kill -0 "$node_pid" 2>/dev/null || { cat "$dir/node.log" >&2; return 1; }
    sleep 0.01
  done
  t1=$(now)
  listen_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
}

# in_app_ms LOG: from the host's first service starting to the relay listener, in the last start's lines.
in_app_ms() {
  awk '/ starting; data dir / { s = $1 } /SMTP listener relay/ { l = $1 } END {
    split(substr(s, 12), a, ":"); split(substr(l, 12), b, ":");
    printf "%.0f", ((b[1] * 3600 + b[2] * 60 + b[3]) - (a[1] * 3600 + a[2] * 60 + a[3])) * 1000 }' "$1"
}

rss_mib() { awk -v k="$2" '$1 == k":" { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

bench_scale() {
  local total=${SCALE_RECIPIENTS:-1000000} domains=${SCALE_DOMAINS:-10000} per=10 dir="$work/scale"
  local messages=$((total / per)) ref empty empty_app listen listen_app t0 t1 got last=-1 still=0 peak drain active=${SCALE_MAX_ACTIVE_DOMAINS:-2000}
  echo "scale: $total recipients over $domains domains ($per per message, $messages messages), Delivery:MaxActiveDomains $active"

  sink_start
  progress "reference: e2e 2 KiB x 10 rcpts"
  node_start e2e "$SINK_PORT"
  ref=$(e2e_run "$NODE_PORT" "${SCALE_REFERENCE_MESSAGES:-10000}" 2048 10); echo "$ref msg/s"
  node_stop; sink_stop

  rm -rf "$dir"; mkdir -p "$dir"
  scale_config "$dir" true "$active"
  progress "empty spool, delivery held: to listening"
  scale_start "$dir"; echo "$listen_s s (the first start also makes the TLS certificate)"
  node_stop
  progress "empty spool, second start: to listening"
  scale_start "$dir"; empty=$listen_s; empty_app=$(in_app_ms "$dir/node.log"); echo "$empty s ($empty_app ms after the host started)"
  node_stop
  echo "  filling the spool directly (the node made its schema and stored its shard count)"
  python3 scripts/lib/fill_spool.py "$dir/data/spool.db" "$total" "$domains" "$per" 1024
  echo "  spool: $(du -sh "$dir/data" | cut -f1)"

  sink_start
  scale_config "$dir" false "$active"
  progress "restart with delivery on: to listening"
  t0=$(now)
  scale_start "$dir"; listen=$listen_s; listen_app=$(in_app_ms "$dir/node.log"); echo "$listen s ($listen_app ms after the host started)"
  while :; do
    got=$(sink_count); got=${got:-0}
    [ "$got" -ge "$messages" ] && break
    if [ "$got" -eq "$last" ]; then still=$((still + 1)); else still=0; last=$got; fi
    [ "$still" -ge 120 ] && { echo "stalled at $got of $messages" >&2; tail -n 20 "$dir/node.log" >&2; return 1; }
    printf '\r  draining: %s/%s messages at the sink, RSS %s MiB   ' "$got" "$messages" "$(rss_mib "$node_pid" VmRSS)"
    sleep 1
  done
  t1=$(now)
  peak=$(rss_mib "$node_pid" VmHWM)
  echo
  grep -h "recovery finished" "$dir/node.log" | sed 's/^/  /' || true
  node_stop; sink_stop
  drain=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  local rate; rate=$(rate "$messages" "$t0" "$t1")
  printf '\n| scale (%s recipients, %s domains) | value | goal |\n|---|---|---|\n' "$total" "$domains"
  printf '| seconds from exec to listening, empty spool (host started to listening) | %s (%s ms) | |\n' "$empty" "$empty_app"
  printf '| seconds from exec to listening, %s queued (host started to listening) | %s (%s ms) | < 1 |\n' "$total" "$listen" "$listen_app"
  printf '| peak RSS MiB | %s | < 1536 |\n' "$peak"
  printf '| seconds to drain %s messages | %s | |\n' "$messages" "$drain"
  printf '| drain msg/s / e2e 2 KiB x 10 rcpts msg/s | %s / %s = %s | >= 0.80 |\n' "$rate" "$ref" "$(ratio "$rate" "$ref")"
}

# cluster_e2e_run COUNT MESSAGES -> msgs/s: a cluster of COUNT nodes on a fresh PostgreSQL (scripts/cluster.sh),
# every domain routed to the sink, the messages split over the nodes' relay ports, until the sink saw them all.
cluster_e2e_run() {
  local count=$1 n=$2 dir="$work/cluster" t0 t1 before pids=() i per
  mkdir -p "$dir"
  cat > "$dir/domains.yaml" <<YAML
default:
  route: 127.0.0.1:$SINK_PORT
  max-connections: 20
  max-messages-per-connection: 1000
  tls: none
YAML
  # The shards spread over the nodes before the clock starts (a rebalance step per second otherwise).
  CLUSTER_DIR="$dir/run" BASE_PORT=$CLUSTER_BASE_PORT MTA_Delivery__DomainsFile="$dir/domains.yaml" \
    MTA_Logging__LogLevel__Default=Warning MTA_Cluster__RebalanceAbsoluteLimit=1024 MTA_Cluster__RebalanceRelativeLimit=1 \
    scripts/cluster.sh up "$count" >/dev/null 2>"$dir/up.log" || { cat "$dir/up.log" >&2; return 1; }
  local pg_port; pg_port=$(cat "$dir/run/pg.port")
  for _ in $(seq 1 600); do
    [ "$(psql -X -At -h 127.0.0.1 -p "$pg_port" -U postgres -d mtacluster -c \
      "SELECT max(c) - min(c) <= 1 AND count(*) = $count FROM (SELECT count(*) c FROM shard_leases WHERE owner IS NOT NULL GROUP BY owner) x")" = t ] && break
    sleep 0.2
  done
  before=$(sink_count); before=${before:-0}
  per=$((n / count))
  t0=$(now)
  for i in $(seq 1 "$count"); do
    smtp-source -s $(( (sessions + count - 1) / count )) -m "$per" -l 2048 -f sender@example.com -t rcpt@example.net \
      "127.0.0.1:$((CLUSTER_BASE_PORT + 10 * i))" >/dev/null &
    pids+=($!)
  done
  wait "${pids[@]}"
  sink_wait $((before + per * count))
  t1=$(now)
  CLUSTER_DIR="$dir/run" scripts/cluster.sh down >/dev/null 2>&1
  rate $((per * count)) "$t0" "$t1"
}

bench_cluster() {
  local n=${MESSAGES:-6000} postfix=() sqlite=() pg1=() pg3=() r
  CLUSTER_BASE_PORT=${CLUSTER_BASE_PORT:-32250}
  echo "cluster: smtp-source -s $sessions -m $n -l 2048 -> MTA -> smtp-sink, median of $runs (every process shares this machine's cores)"
  for i in $(seq 1 "$runs"); do
    sink_start
    progress "run $i/$runs postfix"
    postfix_start "$work/postfix" "$POSTFIX_PORT" relay "$SINK_PORT"
    r=$(e2e_run "$POSTFIX_PORT" "$n" 2048 1); postfix+=("$r"); echo "$r msg/s"
    postfix_stop "$work/postfix"
    progress "run $i/$runs one node, SQLite"
    node_start e2e "$SINK_PORT"
    r=$(e2e_run "$NODE_PORT" "$n" 2048 1); sqlite+=("$r"); echo "$r msg/s"
    node_stop
    progress "run $i/$runs one node, PostgreSQL"
    r=$(cluster_e2e_run 1 "$n"); pg1+=("$r"); echo "$r msg/s"
    progress "run $i/$runs three nodes, PostgreSQL"
    r=$(cluster_e2e_run 3 "$n"); pg3+=("$r"); echo "$r msg/s"
    sink_stop
  done
  local m_postfix m_sqlite m_pg1 m_pg3
  m_postfix=$(echo "${postfix[*]}" | median); m_sqlite=$(echo "${sqlite[*]}" | median)
  m_pg1=$(echo "${pg1[*]}" | median); m_pg3=$(echo "${pg3[*]}" | median)
  printf '\n| e2e 2 KiB x 1 rcpt, %s sessions | msg/s | ratio to Postfix |\n|---|---|---|\n' "$sessions"
  printf '| Postfix | %s | 1.00x |\n' "$m_postfix"
  printf '| MtaCluster, one node, SQLite | %s | %sx |\n' "$m_sqlite" "$(ratio "$m_sqlite" "$m_postfix")"
  printf '| MtaCluster, one node, PostgreSQL | %s | %sx |\n' "$m_pg1" "$(ratio "$m_pg1" "$m_postfix")"
  printf '| MtaCluster, three nodes, one PostgreSQL | %s | %sx |\n' "$m_pg3" "$(ratio "$m_pg3" "$m_postfix")"
}

case "$mode" in
  accept) bench_accept ;;
  dkim) bench_dkim ;;
  e2e) bench_e2e ;;
  scale) bench_scale ;;
  cluster) bench_cluster ;;
  all) bench_accept; bench_e2e ;;
  *) echo "usage: scripts/bench.sh accept|dkim|e2e|scale|cluster|all [RUNS]" >&2; exit 2 ;;
esac
