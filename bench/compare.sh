#!/usr/bin/env bash
# flatns against NSD and Knot, side by side on loopback (issue 6). Not a test:
# timing never decides pass or fail. Builds nothing; pass a Release flatns.
#
# Part 1: one zone set served by all three with one worker each, server
# threads pinned to one CPU, dnsperf to the other; two dnsperf processes
# (--dnsperfs) run for a fixed time against each in turn (flatns NSD Knot
# flatns NSD Knot ...), so that one client process is not the limit; each of
# the five rounds runs every mix, so all mixes share the same stretch of the
# machine, and the report gives each median with its min-max spread:
#   static   70% existing A, 10% AAAA, 10% NXDOMAIN, 10% apex A (UDP)
#   do       the same mix on an NSEC3-signed zone with DO=1
#   tcp      the static mix over TCP
#   flatten  100% A at apex names whose CNAME points into a served zone
#            (flatns only: NSD/Knot would answer the CNAME chain instead)
#   flatten-cached  100% A at apex names whose CNAME points outside the
#            served zones, to a zone NSD serves on loopback as flatns's
#            forwarder; the flattened-answer cache is warmed first (flatns
#            only; skipped with a note while flatns cannot flatten them)
# Part 2: loading a large zone: time from start until the first correct
# answer, and resident memory summed over all the server's processes.
# Part 3 (bench/hosting.sh): hosting scale, --hosting-zones small zones:
# time to answer the last zone, memory, reload time for one changed zone,
# queries over all the zones.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

flatns_bin="$root/build/server/flatns"
records=133000
signed_records=100000
load_records=1000000
load_rounds=3
query_lines=200000
duration=10
rounds=5
clients=8
dnsperfs=2
outstanding=200
port_base=26000
server_cpu=""
client_cpu=""
workers=1
flatten_zones=200
mixes="static do tcp flatten flatten-cached"
servers="flatns nsd knot"
do_load=1
hosting_zones=100000
keep=""
smoke=0

usage() {
  cat <<EOF
usage: bench/compare.sh [options]
  --flatns PATH          flatns binary (default: build/server/flatns, build it in Release)
  --records N            records in the static zone (default $records)
  --signed-records N     records in the NSEC3-signed zone for the DO=1 mix (default $signed_records)
  --load-records N       records in the zone of the load test (default $load_records)
  --load-rounds N        rounds of loading each zone in each server, medians reported (default $load_rounds)
  --queries N            lines in each dnsperf query file (default $query_lines)
  --duration S           seconds per dnsperf run (dnsperf -l, default $duration)
  --rounds N             rounds; each runs every mix on flatns NSD Knot (default $rounds);
                         medians are printed with the min-max spread over the rounds
  --clients N            dnsperf -c, shared out among the dnsperf processes (default $clients)
  --dnsperfs N           dnsperf processes at once against a server, so that one client process
                         is not the limit (default $dnsperfs); -c is divided among them, -q is per process
  --outstanding N        dnsperf -q (default $outstanding)
  --mixes "LIST"         of: static do tcp flatten flatten-cached (default "$mixes")
  --servers "LIST"       of: flatns nsd knot (default "$servers")
  --flatten-zones N      zones with an apex CNAME for the flatten mix (default $flatten_zones)
  --port-base P          ports P..P+2 for the runs, P+5 for the forwarder of flatten-cached,
                         P+10..P+12 for loading (default $port_base)
  --server-cpu LIST      CPUs the servers are pinned to (taskset list; default 0, with --workers > 1 0-1)
  --client-cpu LIST      CPUs dnsperf is pinned to (default 1, with --workers > 1 0-1)
  --workers N            server workers (flatns workers, NSD server-count, Knot udp-workers)
                         and dnsperf threads (-T); N > 1 is the issue's report-only row where
                         servers and dnsperf share the machine (default 1)
  --no-load              skip part 2 (loading)
  --hosting-zones N      zones for part 3, bench/hosting.sh (default $hosting_zones; 0 skips it)
  --keep DIR             work in DIR and keep it (zones, configs, logs, raw dnsperf output)
  --smoke                small sizes, 2 s per server, 1 round: checks that everything works
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --flatns) flatns_bin=$2; shift ;;
    --records) records=$2; shift ;;
    --signed-records) signed_records=$2; shift ;;
    --load-records) load_records=$2; shift ;;
    --load-rounds) load_rounds=$2; shift ;;
    --queries) query_lines=$2; shift ;;
    --duration) duration=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --clients) clients=$2; shift ;;
    --dnsperfs) dnsperfs=$2; shift ;;
    --outstanding) outstanding=$2; shift ;;
    --mixes) mixes=$2; shift ;;
    --servers) servers=$2; shift ;;
    --flatten-zones) flatten_zones=$2; shift ;;
    --port-base) port_base=$2; shift ;;
    --server-cpu) server_cpu=$2; shift ;;
    --client-cpu) client_cpu=$2; shift ;;
    --workers) workers=$2; shift ;;
    --no-load) do_load=0 ;;
    --hosting-zones) hosting_zones=$2; shift ;;
    --keep) keep=$2; shift ;;
    --smoke) smoke=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

if [ "$smoke" = 1 ]; then
  records=2000 signed_records=1000 load_records=20000 load_rounds=1 query_lines=5000
  duration=2 rounds=1 flatten_zones=20 hosting_zones=2000
fi
clients_each=$(( clients / dnsperfs > 0 ? clients / dnsperfs : 1 ))
outstanding_each=$outstanding

# A pyenv shim can take seconds to start on a loaded machine: prefer the
# system interpreter (the generator needs only the standard library).
python=python3
[ -x /usr/bin/python3 ] && python=/usr/bin/python3
if [ "$workers" -gt 1 ]; then
  : "${server_cpu:=0-1}" "${client_cpu:=0-1}"
else
  : "${server_cpu:=0}" "${client_cpu:=1}"
fi

for tool in "$python" dnsperf kdig taskset ldns-keygen ldns-signzone; do
  command -v "$tool" >/dev/null || { echo "compare.sh: '$tool' is not installed" >&2; exit 1; }
done
case " $servers " in *" nsd "*) command -v nsd >/dev/null || { echo "compare.sh: nsd is not installed" >&2; exit 1; } ;; esac
case " $servers " in *" knot "*) command -v knotd >/dev/null || { echo "compare.sh: knotd is not installed" >&2; exit 1; } ;; esac
case " $servers " in *" flatns "*) [ -x "$flatns_bin" ] || { echo "compare.sh: flatns binary '$flatns_bin' not found (build it: cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build --target flatns)" >&2; exit 1; } ;; esac
flatns_bin=$(cd "$(dirname "$flatns_bin")" && pwd)/$(basename "$flatns_bin")

if [ -n "$keep" ]; then
  mkdir -p "$keep"; work=$(cd "$keep" && pwd)
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/flatns-bench.XXXXXX")
fi
started_pids=()
. "$here/servers.sh"

cleanup() {
  local pid
  for pid in "${started_pids[@]}"; do stop_server "$pid"; done
  started_pids=()
  if [ -z "$keep" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { echo "[compare.sh $(date -u +%H:%M:%S)] $*" >&2; }

# CPU seconds (utime+stime) of a process tree, from /proc/PID/stat; the
# process's own line sums all of its threads.
clk_tck=$(getconf CLK_TCK)
cpu_seconds() {
  local ticks=0 p stat rest
  for p in $(descendants "$1"); do
    stat=$(cat /proc/"$p"/stat 2>/dev/null) || continue
    rest=${stat##*) }                 # fields from 3 on (the name may hold spaces)
    set -- $rest
    ticks=$((ticks + ${12} + ${13}))  # fields 14 utime, 15 stime
  done
  awk -v t="$ticks" -v hz="$clk_tck" 'BEGIN { printf "%.2f\n", t / hz }'
}
rss_mib() {
  local kb=0 p v n=0
  for p in $(descendants "$1"); do
    v=$(awk '/^VmRSS:/ {print $2}' /proc/"$p"/status 2>/dev/null) || continue
    [ -n "$v" ] || continue
    kb=$((kb + v)); n=$((n + 1))
  done
  awk -v kb="$kb" -v n="$n" 'BEGIN { printf "%.0f %d\n", kb / 1024, n }'
}

# --- zones and queries ------------------------------------------------------
gen() { "$python" "$here/gen.py" "$@"; }
mkdir -p "$work/zones" "$work/flat" "$work/keys"
log "work dir $work; generating zones ($records records, $signed_records signed, $flatten_zones flatten zones)"
gen zone bench.test "$records" "$work/zones/bench.test.zone"
gen queries bench.test "$records" "$query_lines" "$work/static.queries"
gen zone sig.test "$signed_records" "$work/keys/sig.test.zone"
gen queries sig.test "$signed_records" "$query_lines" "$work/do.queries" --seed 3
gen flatten bench.test "$records" "$flatten_zones" "$work/flat" "$work/flat.list" "$query_lines" "$work/flatten.queries"
cp "$work/static.queries" "$work/tcp.queries"
if [[ " $mixes " == *" flatten-cached "* ]]; then
  mkdir -p "$work/flatx"
  gen zone ext.test 2000 "$work/zones/ext.test.zone"
  gen flatten-external ext.test 2000 "$flatten_zones" "$work/flatx" "$work/flatx.list" "$query_lines" \
    "$work/flatten-cached.queries" "$work/flatten-cached.warm"
fi
(
  cd "$work/keys"
  ksk=$(ldns-keygen -a ECDSAP256SHA256 -k sig.test)
  zsk=$(ldns-keygen -a ECDSAP256SHA256 sig.test)
  # RFC 9276: NSEC3 with no extra iterations and an empty salt.
  ldns-signzone -n -t 0 -f "$work/zones/sig.test.zone" sig.test.zone "$zsk" "$ksk"
)
log "signed sig.test: $(grep -c . "$work/zones/sig.test.zone") lines"


server_port() {
  case $1 in flatns) echo "$port_base" ;; nsd) echo $((port_base + 1)) ;; knot) echo $((port_base + 2)) ;; esac
}

# --- part 1: throughput -----------------------------------------------------
read -r probe_name probe_ip < <(gen probe bench.test "$records")
flatns_forwarder=""
if [[ " $mixes " == *" flatten-cached "* ]]; then
  # The upstream of the cached flatten mix: NSD on the client's CPU (it only
  # answers while the cache is warmed).
  write_config nsd $((port_base + 5)) "$work/upstream" "ext.test=$work/zones/ext.test.zone"
  taskset -c "$client_cpu" nsd -d -c "$work/upstream/nsd.conf" >"$work/upstream/out.log" 2>&1 &
  upstream_pid=$!
  started_pids+=("$upstream_pid")
  read -r ext_name ext_ip < <(gen probe ext.test 2000)
  START_NS=$(date +%s%N)
  wait_ready "$upstream_pid" $((port_base + 5)) "$ext_name" "$ext_ip" 60 >/dev/null ||
    { echo "compare.sh: the upstream NSD for flatten-cached did not start; its log:" >&2; tail -20 "$work/upstream"/*.log >&2; exit 1; }
  flatns_forwarder=$((port_base + 5))
fi
read -r sig_probe_name sig_probe_ip < <(gen probe sig.test "$signed_records")
declare -A pid_of
for server in $servers; do
  zones=("bench.test=$work/zones/bench.test.zone" "sig.test=$work/zones/sig.test.zone")
  if [ "$server" = flatns ]; then
    while read -r origin; do zones+=("$origin=$work/flat/$origin.zone"); done <"$work/flat.list"
    if [ -n "$flatns_forwarder" ]; then
      while read -r origin; do zones+=("$origin=$work/flatx/$origin.zone"); done <"$work/flatx.list"
    fi
  fi
  write_config "$server" "$(server_port "$server")" "$work/$server" "${zones[@]}"
  START_NS=$(date +%s%N)
  start_server "$server" "$work/$server"
  pid_of[$server]=$server_pid
  if ! t=$(wait_ready "${pid_of[$server]}" "$(server_port "$server")" "$probe_name" "$probe_ip" 300) ||
     ! answers "$(server_port "$server")" "$sig_probe_name" "$sig_probe_ip"; then
    echo "compare.sh: $server did not answer correctly on port $(server_port "$server"); its log:" >&2
    tail -20 "$work/$server/out.log" "$work/$server"/*.log >&2 2>/dev/null || true
    exit 1
  fi
  if [ "$server" = flatns ] && [[ " $mixes " == *" flatten "* ]]; then
    read -r host0_name host0_ip < <(gen probe bench.test "$records" --index 0)   # f0.flat's target
    if ! answers "$(server_port flatns)" f0.flat "$host0_ip"; then
      echo "compare.sh: flatns does not flatten f0.flat to $host0_ip (from $host0_name)" >&2; exit 1
    fi
  fi
  if [ "$server" = flatns ] && [ -n "$flatns_forwarder" ]; then
    # Warm the flattened-answer cache: every zone once, then check one answer.
    dnsperf -s 127.0.0.1 -p "$(server_port flatns)" -d "$work/flatten-cached.warm" -n 1 -c 1 -q 20 -t 5 \
      >"$work/flatten-cached.warm.txt" 2>&1 || true
    read -r ext0_name ext0_ip < <(gen probe ext.test 2000 --index 0)   # x0.flat's target
    if answers "$(server_port flatns)" x0.flat "$ext0_ip"; then
      log "flatten-cached: cache warmed ($(sed -n 's/^ *Response codes: *//p' "$work/flatten-cached.warm.txt"))"
    else
      got=$(kdig @127.0.0.1 -p "$(server_port flatns)" +notcp +time=2 +retry=0 x0.flat A 2>&1 | grep -E "status|EDE" | head -2 | tr '\n' ' ')
      skipped_note="flatten-cached: skipped: flatns does not answer x0.flat (apex CNAME to $ext0_name, outside its zones) with $ext0_ip through its forwarder; it answered: $got"
      log "$skipped_note"
      mixes=$(echo " $mixes " | sed 's/ flatten-cached / /')
    fi
  fi
  pin "${pid_of[$server]}"
  log "$server up (pid ${pid_of[$server]}, port $(server_port "$server"), answering after ${t}s)"
done

runs="$work/runs.tsv"
printf 'mix\tserver\tround\tsent\tcompleted\tlost\tqps\tlat_mean_s\tlat_max_s\tlat_sd_s\tcpu_s\trcodes\tresponse_bytes\tload1\n' >"$runs"
field() { sed -n "s/^ *$1: *\([0-9.]*\).*/\1/p" "$2" | head -1; }
# Round-major: every round runs every mix on every server in turn, so a drift
# in the machine (other tenants of the host) reaches all mixes alike and the
# flatten/static ratios compare runs minutes apart at most, not a whole run.
for round in $(seq "$rounds"); do
  for mix in $mixes; do
    for server in $servers; do
      [[ "$mix" == flatten* ]] && [ "$server" != flatns ] && continue
      port=$(server_port "$server")
      extra=()
      case $mix in do) extra=(-D) ;; tcp) extra=(-m tcp) ;; esac
      out="$work/dnsperf.$mix.$server.$round.txt"
      before=$(cpu_seconds "${pid_of[$server]}")
      # --dnsperfs processes at once, each with its own share of the clients
      # and its own copy of the query file's order (they all read it whole).
      perf_pids=()
      for i in $(seq "$dnsperfs"); do
        taskset -c "$client_cpu" dnsperf -s 127.0.0.1 -p "$port" -d "$work/$mix.queries" \
          -l "$duration" -c "$clients_each" -q "$outstanding_each" -T "$workers" "${extra[@]}" >"$out.$i" 2>&1 &
        perf_pids+=($!)
      done
      for p in "${perf_pids[@]}"; do wait "$p" || true; done
      after=$(cpu_seconds "${pid_of[$server]}")
      kill -0 "${pid_of[$server]}" 2>/dev/null || { echo "compare.sh: $server died during the $mix run" >&2; exit 1; }
      # One summary for the round: counts and rates summed over the dnsperf
      # processes, latency means weighted by answers, the largest maximum.
      for i in $(seq "$dnsperfs"); do
        [ -n "$(field "Queries sent" "$out.$i")" ] ||
          { echo "compare.sh: dnsperf failed against $server:" >&2; cat "$out.$i" >&2; exit 1; }
      done
      read -r sent completed lost qps lat lat_max sd < <(
        for i in $(seq "$dnsperfs"); do
          f="$out.$i"
          echo "$(field "Queries sent" "$f") $(field "Queries completed" "$f") $(field "Queries lost" "$f")" \
            "$(field "Queries per second" "$f") $(field "Average Latency (s)" "$f")" \
            "$(sed -n 's/^ *Average Latency.*max \([0-9.]*\)).*/\1/p' "$f" | head -1) $(field "Latency StdDev (s)" "$f")"
        done | awk '{ s += $1; c += $2; l += $3; q += $4; lat += $5 * $2; if ($6 > m) m = $6; sd += $7 * $2 }
                    END { printf "%d %d %d %.2f %.6f %.6f %.6f\n", s, c, l, q, c ? lat / c : 0, m, c ? sd / c : 0 }')
      cat "$out".* >"$out"
      rcodes=$(sed -n 's/^ *Response codes: *//p' "$out.1" | head -1)
      response_bytes=$(sed -n 's/^ *Average packet size:.*response \([0-9]*\).*/\1/p' "$out.1" | head -1)
      cpu=$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f\n", a - b }')
      load1=$(cut -d' ' -f1 /proc/loadavg)   # the machine's load over the last minute
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mix" "$server" "$round" "$sent" \
        "$completed" "$lost" "$qps" "${lat:-0}" "${lat_max:-0}" "${sd:-0}" "$cpu" "$rcodes" \
        "${response_bytes:-?}" "$load1" >>"$runs"
      log "$mix round $round $server: $qps q/s, lost $lost, CPU ${cpu}s"
    done
  done
done
for pid in "${started_pids[@]}"; do stop_server "$pid"; done
started_pids=()
. "$here/servers.sh"

# --- part 2: loading ----------------------------------------------------------
# Each round loads each zone in each server in turn (flatns NSD Knot ...), so
# that a change in the machine's load shows in every server's medians. CPU s
# is user+system time of the server's processes when the first answer came:
# on a shared machine it moves less than the wall-clock time.
cpu_seconds() {
  local p total=0 ticks
  ticks=$(getconf CLK_TCK)
  for p in $(descendants "$1"); do
    # utime stime cutime cstime, counted after the ")" that ends the command name
    total=$((total + $(sed 's/.*) //' /proc/"$p"/stat 2>/dev/null | awk '{print $12 + $13 + $14 + $15}' || echo 0)))
  done
  awk -v t="$total" -v hz="$ticks" 'BEGIN { printf "%.2f\n", t / hz }'
}
load="$work/load.tsv"
printf 'case\tserver\trecords\tseconds\trss_mib\tprocesses\tcpu_s\n' >"$load"
if [ "$do_load" = 1 ]; then
  log "generating the load zone ($load_records records)"
  gen zone load.test "$load_records" "$work/zones/load.test.zone"
  read -r load_name load_ip < <(gen probe load.test "$load_records")
  for round in $(seq "$load_rounds"); do
    for case_ in large signed; do
      for server in $servers; do
        port=$((port_base + 10))
        dir="$work/load-$case_-$server"
        if [ "$case_" = large ]; then
          write_config "$server" "$port" "$dir" "load.test=$work/zones/load.test.zone"
          name=$load_name ip=$load_ip n=$load_records
        else
          write_config "$server" "$port" "$dir" "sig.test=$work/zones/sig.test.zone"
          name=$sig_probe_name ip=$sig_probe_ip n="$signed_records (NSEC3)"
        fi
        sync
        START_NS=$(date +%s%N)
        start_server "$server" "$dir"
        pid=$server_pid
        if ! t=$(wait_ready "$pid" "$port" "$name" "$ip" 600); then
          echo "compare.sh: $server did not load $case_ zone; its log:" >&2
          tail -20 "$dir/out.log" "$dir"/*.log >&2 2>/dev/null || true
          exit 1
        fi
        cpu=$(cpu_seconds "$pid")
        sleep 1   # let forks and background loading settle before reading memory
        read -r rss procs < <(rss_mib "$pid")
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$case_" "$server" "$n" "$t" "$rss" "$procs" "$cpu" >>"$load"
        log "load $case_ $server (round $round): first answer after ${t}s (${cpu} CPU s), ${rss} MiB RSS over $procs processes"
        stop_server "$pid"
        started_pids=()
      done
    done
  done
fi

echo
echo "flatns $("$flatns_bin" --version 2>/dev/null | head -1) / $(nsd -v 2>&1 | head -1) / $(knotd -V 2>&1 | head -1) / dnsperf $(dnsperf -h 2>&1 | sed -n 's/^Version //p')"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; ${clk_tck} ticks/s CPU accounting); $(nproc) CPUs"
[ -n "${skipped_note:-}" ] && echo "$skipped_note"
echo "zone: $records records (static, tcp), $signed_records NSEC3-signed (do), $flatten_zones apex-CNAME zones (flatten);" \
  "$dnsperfs x dnsperf -l $duration -c $clients_each -q $outstanding_each -T $workers on CPU $client_cpu, servers ($workers worker(s)) on CPU $server_cpu, $rounds round(s), medians"
"$python" "$here/report.py" "$runs" "$load"

if [ "$hosting_zones" -gt 0 ]; then
  echo
  hosting_args=(--flatns "$flatns_bin" --zones "$hosting_zones" --workers "$workers" --servers "$servers"
                --duration "$duration" --port-base $((port_base + 20)))
  [ -n "$keep" ] && hosting_args+=(--keep "$work/hosting")
  "$here/hosting.sh" "${hosting_args[@]}"
fi
