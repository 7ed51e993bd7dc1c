# Sourced by bench/compare.sh, bench/syscalls.sh and bench/hosting.sh after
# bench/lib.sh (not run on its own): configs for flatns, NSD and Knot serving
# the same zones on loopback, starting them pinned to a CPU, waiting for a
# correct answer. Uses the caller's variables: flatns_bin, workers,
# server_cpu, started_pids (an array), flatns_forwarder (may be empty), and
# START_NS for wait_ready; online_zones (origins, may be empty) are signed
# online with the keys in online_keys (flatns `dnssec: {signing: online}`,
# Knot's mod-onlinesign with those keys imported by `keymgr import-bind`).

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
          if is_online_zone "${z%%=*}"; then
            echo "    dnssec:"
            echo "      signing: online"
            echo "      keys: $online_keys"
          fi
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
        if [ -n "${online_zones:-}" ]; then
          # The keys imported from online_keys (knot_import_keys), one CSK
          # used as it is: Knot makes and rolls none of its own.
          echo "policy:"
          echo "  - id: imported"
          echo "    manual: on"
          echo "    single-type-signing: on"
          echo "mod-onlinesign:"
          echo "  - id: imported"
          echo "    policy: imported"
        fi
        echo "zone:"
        for z in "$@"; do
          echo "  - domain: ${z%%=*}"
          echo "    file: \"${z#*=}\""
          if is_online_zone "${z%%=*}"; then echo "    module: mod-onlinesign/imported"; fi
        done
      } >"$dir/knot.conf" ;;
  esac
}

is_online_zone() { [[ " ${online_zones:-} " == *" $1 "* ]]; }

# knot_import_keys DIR ORIGIN... : the BIND-format keys of these zones (in
# online_keys) into the KASP database of the Knot config in DIR, before
# knotd starts. import-bind makes a flags-257 key a KSK only; flatns uses
# it as a CSK, so Knot is told it signs the zone too (zsk=yes).
knot_import_keys() {
  local dir=$1 origin key id; shift
  for origin in "$@"; do
    for key in "$online_keys"/K"$origin".+*.private; do
      [ -e "$key" ] || { echo "no key for $origin in $online_keys" >&2; return 1; }
      id=$(keymgr -c "$dir/knot.conf" "$origin" import-bind "$key" 2>>"$dir/keymgr.log" | head -1) &&
        [ -n "$id" ] && keymgr -c "$dir/knot.conf" "$origin" set "$id" zsk=yes >>"$dir/keymgr.log" 2>&1 ||
        { echo "keymgr import-bind $key failed:" >&2; cat "$dir/keymgr.log" >&2; return 1; }
    done
  done
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

# signed_answer PORT NAME TYPE [EXPECTED] : true when a DO=1 query for NAME
# TYPE is answered with an RRSIG (over the answer, or over the denial in the
# authority section) and, when given, EXPECTED among the answer's data.
signed_answer() {
  local got
  got=$(kdig @127.0.0.1 -p "$1" +notcp +time=1 +retry=0 +dnssec +noall +answer +authority "$2" "$3" 2>/dev/null) ||
    return 1
  grep -q "[[:space:]]RRSIG[[:space:]]" <<<"$got" || return 1
  [ -z "${4:-}" ] || grep -q "[[:space:]]$3[[:space:]]\+$4\$" <<<"$got"
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
