# Throwaway Postfix instances on loopback, for benchmarks side by side with MtaCluster.
# Source this file; every instance lives under its own directory and is stopped by postfix_stop.

# postfix_start DIR PORT MODE [SINK_PORT]
#   MODE accept: accept into the queue with delivery held (defer_transports = smtp)
#   MODE relay:  relay everything to [127.0.0.1]:SINK_PORT
postfix_start() {
  local dir=$1 port=$2 mode=$3 sink=${4:-2600}
  rm -rf "$dir"; mkdir -p "$dir/conf" "$dir/queue" "$dir/data"
  # The services come whole from postfix-master.cf, with this instance's listener on top.
  { echo "127.0.0.1:$port inet n - n - - smtpd"; cat "$(dirname "${BASH_SOURCE[0]}")/postfix-master.cf"; } > "$dir/conf/master.cf"
  cat > "$dir/conf/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = bench.localdomain
mydestination =
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$sink
smtpd_relay_restrictions = permit_mynetworks, reject
maillog_file_prefixes = $dir
maillog_file = $dir/maillog
default_process_limit = 100
smtp_destination_concurrency_limit = 20
CONF
  [ "$mode" = accept ] && echo "defer_transports = smtp" >> "$dir/conf/main.cf"
  chown postfix "$dir/data"
  postfix -c "$dir/conf" start >/dev/null 2>&1 || { echo "postfix failed to start; see $dir/maillog" >&2; return 1; }
  wait_port "$port"
}

postfix_stop() {
  local dir=$1
  postfix -c "$dir/conf" stop >/dev/null 2>&1 || true
  postfix -c "$dir/conf" abort >/dev/null 2>&1 || true
}

# Counts messages in a Postfix queue (every queued message is one file).
postfix_queued() {
  local dir=$1
  find "$dir/queue/incoming" "$dir/queue/active" "$dir/queue/deferred" "$dir/queue/maildrop" -type f 2>/dev/null | wc -l
}

wait_port() {
  local port=$1 i
  for i in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$port" >&2; return 1
}
