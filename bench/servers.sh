# Sourced by bench/compare.sh and bench/syscalls.sh (not run on its own):
# configs for flatns, NSD and Knot serving the same zones on loopback,
# starting them pinned to a CPU, waiting for a correct answer, stopping them
# with every child. Uses the caller's variables: flatns_bin, workers,
# server_cpu, started_pids (an array), flatns_forwarder (may be empty), and
# START_NS for wait_ready.

# Every process this script started, and their children (NSD forks), is
# stopped on any exit.
descendants() {
  local pid=$1 child
  echo "$pid"
  for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do descendants "$child"; done
}
stop_server() {
  local pid=$1 all p i
  all=$(descendants "$pid")
  kill -TERM $all 2>/dev/null || true
  for i in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  for p in $all; do kill -KILL "$p" 2>/dev/null || true; done
  wait "$pid" 2>/dev/null || true
}

pin() {
  local p
  for p in $(descendants "$1"); do taskset -a -p -c "$server_cpu" "$p" >/dev/null; done
}

# --- servers ----------------------------------------------------------------
# write_config SERVER PORT DIR ZONE... : a one-worker config serving the zones
# (each ZONE is origin=file).
write_config() {
  local server=$1 port=$2 dir=$3; shift 3
  local z origin file
  mkdir -p "$dir"
  case $server in
    flatns)
      {
        echo "server:"
        echo "  listen: [\"127.0.0.1:$port\"]"
        echo "  workers: $workers"
        echo "  log_level: warn"
        if [ -n "${flatns_forwarder:-}" ]; then
          echo "resolver:"
          echo "  mode: forward"
          echo "  forwarders: [\"127.0.0.1:$flatns_forwarder\"]"
          echo "  dnssec: off"
        fi
        echo "zones:"
        for z in "$@"; do
          echo "  - name: ${z%%=*}"
          echo "    file: ${z#*=}"
        done
      } >"$dir/flatns.yaml" ;;
    nsd)
      {
        echo "server:"
        echo "  ip-address: 127.0.0.1@$port"
        echo "  server-count: $workers"
        echo "  username: \"\""
        echo "  chroot: \"\""
        echo "  database: \"\""
        echo "  zonelistfile: \"$dir/zone.list\""
        echo "  xfrdfile: \"$dir/xfrd.state\""
        echo "  xfrdir: \"$dir\""
        echo "  pidfile: \"$dir/nsd.pid\""
        echo "  logfile: \"$dir/nsd.log\""
        echo "  zonesdir: \"$dir\""
        echo "  verbosity: 0"
        echo "  rrl-ratelimit: 0"
        # Knot and flatns leave the authority NS set out of positive answers;
        # without this NSD's answers are twice as large.
        echo "  minimal-responses: yes"
        echo "remote-control:"
        echo "  control-enable: no"
        for z in "$@"; do
          echo "zone:"
          echo "  name: ${z%%=*}"
          echo "  zonefile: \"${z#*=}\""
        done
      } >"$dir/nsd.conf" ;;
    knot)
      {
        echo "server:"
        echo "  rundir: \"$dir\""
        echo "  listen: 127.0.0.1@$port"
        echo "  udp-workers: $workers"
        echo "  tcp-workers: 1"
        echo "  background-workers: 1"
        echo "log:"
        echo "  - target: \"$dir/knot.log\""
        echo "    any: warning"
        echo "database:"
        echo "  storage: \"$dir\""
        echo "control:"
        echo "  listen: \"$dir/knot.sock\""
        echo "template:"
        echo "  - id: default"
        echo "    storage: \"$dir\""
        echo "    zonefile-sync: -1"
        echo "    zonefile-load: whole"
        echo "    journal-content: none"
        echo "zone:"
        for z in "$@"; do
          echo "  - domain: ${z%%=*}"
          echo "    file: \"${z#*=}\""
        done
      } >"$dir/knot.conf" ;;
  esac
}

# start_server SERVER DIR : starts it pinned to the server CPU; its PID goes
# to server_pid (not printed: a command substitution would lose track of it).
start_server() {
  local server=$1 dir=$2
  case $server in
    flatns) taskset -c "$server_cpu" "$flatns_bin" serve -c "$dir/flatns.yaml" >"$dir/out.log" 2>&1 & ;;
    nsd) taskset -c "$server_cpu" nsd -d -c "$dir/nsd.conf" >"$dir/out.log" 2>&1 & ;;
    knot) taskset -c "$server_cpu" knotd -c "$dir/knot.conf" >"$dir/out.log" 2>&1 & ;;
  esac
  server_pid=$!
  started_pids+=("$server_pid")
}

# answers PORT NAME EXPECTED : true when an A query for NAME answers EXPECTED.
answers() {
  local got
  got=$(kdig @127.0.0.1 -p "$1" +notcp +time=1 +retry=0 +short "$2" A 2>/dev/null) || return 1
  [ "$got" = "$3" ]
}

# wait_ready PID PORT NAME EXPECTED TIMEOUT : polls until the answer is right.
# Prints seconds since START_NS (set by the caller just before starting).
wait_ready() {
  local pid=$1 port=$2 name=$3 expected=$4 timeout=$5 deadline
  deadline=$(( $(date +%s) + timeout ))
  until answers "$port" "$name" "$expected"; do
    if ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    if [ "$(date +%s)" -ge "$deadline" ]; then return 1; fi
    sleep 0.01
  done
  awk -v now="$(date +%s%N)" -v start="$START_NS" 'BEGIN { printf "%.2f\n", (now - start) / 1e9 }'
}
