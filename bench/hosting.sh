#!/usr/bin/env bash
# Hosting scale (issue 16): many small zones served by flatns, NSD and Knot
# in one run, side by side on loopback. Not a test: timing never decides
# pass or fail. Builds nothing; pass a Release flatns. compare.sh calls it
# (--hosting-zones); it also runs alone:
#   bench/hosting.sh --zones 100000
#   bench/hosting.sh --zones 1000000 --no-queries
#   bench/hosting.sh --zones 100000 --workers 2
#
# Per server, with the zones of bench/hosting_zones.py (9 records each, one
# config entry each):
#   load     time from exec to the right answer from the last zone in the
#            config (kdig polled every 10 ms), the CPU seconds used by then,
#            RSS summed over the server's processes and PSS (proportional:
#            NSD's forked servers share pages), and memory per zone (PSS);
#   reload   one zone file changed (a new serial) among all the zones, then
#            the server told to reload (flatns and NSD: SIGHUP; Knot: `knotc
#            reload`), time until the new serial is answered;
#   queries  dnsperf for --duration s on random names of random zones
#            (apex and www A): queries/s and queries per server CPU-second,
#            to show that zone choice does not slow down with many zones.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
bench_name=hosting.sh
. "$here/lib.sh"

flatns_bin="$root/build/server/flatns"
zones=100000
workers=1
duration=10
port_base=26100
servers="flatns nsd knot"
do_queries=1
keep=""
zones_dir=""
changed=""
server_cpu=""
client_cpu=""

usage() {
  cat <<EOF
usage: bench/hosting.sh [options]
  --flatns PATH      flatns binary (default: build/server/flatns, build it in Release)
  --zones N          zones (default $zones)
  --workers N        server workers (flatns workers, NSD server-count, Knot udp-workers) and
                     dnsperf threads; N > 1 pins servers and dnsperf to CPUs 0-1 (default 1)
  --duration S       seconds of dnsperf per server (default $duration)
  --servers "LIST"   of: flatns nsd knot (default "$servers")
  --no-queries       skip the dnsperf part
  --zones-dir DIR    keep the generated zones in DIR and reuse them when the count matches
  --changed I        the zone changed for the reload (default: the middle one)
  --port-base P      ports P..P+2 (default $port_base)
  --keep DIR         work in DIR and keep it (configs, logs)
EOF
}

parse_options --flatns=flatns_bin --zones=zones --workers=workers --duration=duration --servers=servers \
  --no-queries=do_queries:0 --zones-dir=zones_dir --changed=changed --port-base=port_base --keep=keep -- "$@"

if [ "$workers" -gt 1 ]; then server_cpu=0-1 client_cpu=0-1; else server_cpu=0 client_cpu=1; fi
require_tools "$python" dnsperf kdig taskset
case " $servers " in *" knot "*) require_tools knotc ;; esac
require_servers "$servers"

make_work "$keep" flatns-hosting
[ -n "$zones_dir" ] || zones_dir="$work/zones-$zones"
mkdir -p "$zones_dir"; zones_dir=$(cd "$zones_dir" && pwd)
. "$here/servers.sh"
# "RSS_MiB PSS_MiB processes" summed over the process tree.
memory() {
  local rss=0 pss=0 n=0 p v w
  for p in $(descendants "$1"); do
    v=$(awk '/^Rss:/ {print $2}' /proc/"$p"/smaps_rollup 2>/dev/null) || continue
    w=$(awk '/^Pss:/ {print $2}' /proc/"$p"/smaps_rollup 2>/dev/null) || continue
    [ -n "$v" ] || continue
    rss=$((rss + v)); pss=$((pss + w)); n=$((n + 1))
  done
  awk -v r="$rss" -v p="$pss" -v n="$n" 'BEGIN { printf "%.0f %.0f %d\n", r / 1024, p / 1024, n }'
}

# --- zones ------------------------------------------------------------------
if [ -f "$zones_dir/zones.list" ] && [ "$(wc -l <"$zones_dir/zones.list")" = "$zones" ]; then
  log "reusing $zones zones in $zones_dir"
else
  log "generating $zones zones in $zones_dir"
  rm -rf "$zones_dir/zones" "$zones_dir/zones.list"
  "$python" "$here/hosting_zones.py" write "$zones" "$zones_dir"
fi
last=$((zones - 1))
[ -n "$changed" ] || changed=$((zones / 2))
read -r last_name last_ip < <("$python" "$here/hosting_zones.py" probe "$last")
read -r changed_name _ < <("$python" "$here/hosting_zones.py" probe "$changed")
"$python" "$here/hosting_zones.py" queries "$zones" 200000 "$work/queries"

# --- configs ----------------------------------------------------------------
server_port() {
  case $1 in flatns) echo "$port_base" ;; nsd) echo $((port_base + 1)) ;; knot) echo $((port_base + 2)) ;; esac
}
# write_hosting_config SERVER PORT DIR : one config entry per zone of zones.list.
write_hosting_config() {
  local server=$1 port=$2 dir=$3
  mkdir -p "$dir"
  case $server in
    flatns)
      {
        printf 'server:\n  listen: ["127.0.0.1:%s"]\n  workers: %s\n  log_level: info\nzones:\n' "$port" "$workers"
        awk -F'\t' '{ printf "  - name: %s\n    file: %s\n", $1, $2 }' "$zones_dir/zones.list"
      } >"$dir/flatns.yaml" ;;
    nsd)
      {
        printf 'server:\n  ip-address: 127.0.0.1@%s\n  server-count: %s\n  username: ""\n  chroot: ""\n' "$port" "$workers"
        printf '  database: ""\n  zonelistfile: "%s/zone.list"\n  xfrdfile: "%s/xfrd.state"\n' "$dir" "$dir"
        printf '  xfrdir: "%s"\n  pidfile: "%s/nsd.pid"\n  logfile: "%s/nsd.log"\n  zonesdir: "%s"\n' \
          "$dir" "$dir" "$dir" "$dir"
        printf '  verbosity: 1\n  rrl-ratelimit: 0\n  minimal-responses: yes\n  zonefiles-write: 0\n'
        printf 'remote-control:\n  control-enable: no\n'
        awk -F'\t' '{ printf "zone:\n  name: %s\n  zonefile: \"%s\"\n", $1, $2 }' "$zones_dir/zones.list"
      } >"$dir/nsd.conf" ;;
    knot)
      {
        printf 'server:\n  rundir: "%s"\n  listen: 127.0.0.1@%s\n  udp-workers: %s\n' "$dir" "$port" "$workers"
        printf '  tcp-workers: 1\n  background-workers: %s\n' "$workers"
        printf 'log:\n  - target: "%s/knot.log"\n    any: info\n' "$dir"
        printf 'database:\n  storage: "%s"\ncontrol:\n  listen: "%s/knot.sock"\n' "$dir" "$dir"
        printf 'template:\n  - id: default\n    storage: "%s"\n    zonefile-sync: -1\n' "$dir"
        printf '    zonefile-load: whole\n    journal-content: none\nzone:\n'
        awk -F'\t' '{ printf "  - domain: %s\n    file: \"%s\"\n", $1, $2 }' "$zones_dir/zones.list"
      } >"$dir/knot.conf" ;;
  esac
}
# answer PORT NAME TYPE: the first answer line, short form.
answer() { kdig @127.0.0.1 -p "$1" +notcp +time=1 +retry=0 +short "$2" "$3" 2>/dev/null | head -1; }
# wait_for PID PORT NAME TYPE EXPECTED_REGEX TIMEOUT
wait_for() {
  local deadline=$(( $(date +%s) + $6 ))
  until [[ "$(answer "$2" "$3" "$4")" =~ $5 ]]; do
    kill -0 "$1" 2>/dev/null || return 1
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.01
  done
}
reload_server() {
  local server=$1 pid=$2 dir=$3
  case $server in
    flatns|nsd) kill -HUP "$pid" ;;
    # knotc waits for the reply, which comes once Knot has read the new configuration.
    knot) knotc -t 3600 -s "$dir/knot.sock" reload >/dev/null || log "knotc reload failed" ;;
  esac
}

results="$work/hosting.tsv"
printf 'server\tzones\tworkers\tload_s\tload_cpu_s\trss_mib\tpss_mib\tprocesses\treload_s\treload_cpu_s\tqps\tq_cpu_s\tload1\n' >"$results"
serial=2026120101
for server in $servers; do
  port=$(server_port "$server")
  dir="$work/$server"
  write_hosting_config "$server" "$port" "$dir"
  sync
  start=$(now_ns)
  start_server "$server" "$dir"
  pid=$server_pid
  if ! wait_for "$pid" "$port" "$last_name" A "^$last_ip\$" 1800; then
    echo "hosting.sh: $server did not answer $last_name; its log:" >&2
    tail -20 "$dir/out.log" "$dir"/*.log >&2 2>/dev/null || true
    exit 1
  fi
  load_s=$(since "$start")
  load_cpu=$(cpu_seconds "$pid")
  sleep 2   # let forks and background work settle before reading memory
  read -r rss pss procs < <(memory "$pid")
  log "$server: $zones zones, last zone answers after ${load_s}s (${load_cpu} CPU s), RSS ${rss} MiB, PSS ${pss} MiB over $procs processes"

  serial=$((serial + 1))
  "$python" "$here/hosting_zones.py" bump "$zones_dir" "$changed" "$serial"
  cpu_before=$(cpu_seconds "$pid")
  start=$(now_ns)
  reload_server "$server" "$pid" "$dir"
  if wait_for "$pid" "$port" "$changed_name" SOA " $serial " 600; then
    reload_s=$(since "$start")
  else
    reload_s=nan
    log "$server: the changed zone $changed_name did not serve serial $serial within 600 s"
  fi
  # Knot and NSD may go on checking zones after the changed one answers.
  sleep 2
  reload_cpu=$(awk -v a="$(cpu_seconds "$pid")" -v b="$cpu_before" 'BEGIN { printf "%.2f\n", a - b }')
  log "$server: reload with one changed zone: new serial after ${reload_s}s, ${reload_cpu} CPU s"

  qps=nan q_cpu=nan
  if [ "$do_queries" = 1 ]; then
    sleep 1
    before=$(cpu_seconds "$pid")
    taskset -c "$client_cpu" dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries" -l "$duration" -c 8 -q 200 \
      -T "$workers" >"$dir/dnsperf.txt" 2>&1 || true
    after=$(cpu_seconds "$pid")
    qps=$(sed -n 's/^ *Queries per second: *\([0-9.]*\).*/\1/p' "$dir/dnsperf.txt" | head -1)
    q_cpu=$(awk -v q="${qps:-0}" -v d="$duration" -v c="$(awk -v a="$after" -v b="$before" 'BEGIN{print a-b}')" \
      'BEGIN { if (c > 0) printf "%.0f\n", q * d / c; else print "nan" }')
    log "$server: dnsperf over all zones: ${qps:-?} q/s, $q_cpu queries per CPU-second ($(sed -n 's/^ *Response codes: *//p' "$dir/dnsperf.txt"))"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$zones" "$workers" "$load_s" "$load_cpu" \
    "$rss" "$pss" "$procs" "$reload_s" "$reload_cpu" "${qps:-nan}" "$q_cpu" "$(cut -d' ' -f1 /proc/loadavg)" >>"$results"
  stop_server "$pid"
  started_pids=()
done
# The changed zone back to its first serial, for the next run on these zones.
"$python" "$here/hosting_zones.py" bump "$zones_dir" "$changed" 2026120101

echo
echo "hosting scale: $zones zones of 9 records, $workers worker(s) (servers on CPU $server_cpu, dnsperf on CPU $client_cpu);" \
  "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs"
printf '%-7s %8s %12s %8s %8s %8s %6s %8s %10s %9s %9s %9s %5s\n' server zones "last zone s" "CPU s" "RSS MiB" "PSS MiB" procs "PSS B/z" "reload1 s" "rl CPU s" "q/s" "q/CPU-s" load
awk -F'\t' 'NR == 1 { next }
  { printf "%-7s %8s %12.2f %8.2f %8s %8s %6s %8.0f %10s %9s %9.0f %9s %5s\n",
      $1, $2, $4, $5, $6, $7, $8, $7 * 1048576 / $2, $9, $10, $11, $12, $13 }' "$results"
echo "(reload1: one zone file changed, then SIGHUP (flatns, NSD) or knotc reload (Knot): seconds until its new serial is"
echo " answered, and the server's CPU seconds for the whole reload; q/s: dnsperf -c 8 -q 200 over apex and www A of random zones)"
