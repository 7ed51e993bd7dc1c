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
#   signed-online  DO=1 queries to zones flatns signs online (issue 14,
#            `dnssec: {signing: online}`, a CSK made by `flatns keygen`),
#            reported as three mixes:
#     signed-flat    100% A at apex names of signed zones flattened to the
#                    flatten-cached targets, cache warmed first (flatns only)
#     signed-static  the do mix's existing names (no NXDOMAIN) in a signed
#                    zone of --signed-records records
#     signed-nx      random names that do not exist in that zone (compact
#                    denial), a fresh file per round and dnsperf process so
#                    no answer repeats; Knot serves the same zone with
#                    mod-onlinesign and the same key (keymgr import-bind).
#                    NSD has no online signing and sits these out.
# Part 2: loading a large zone: time from start until the first correct
# answer, and resident memory summed over all the server's processes.
# Part 3 (bench/hosting.sh): hosting scale, --hosting-zones small zones:
# time to answer the last zone, memory, reload time for one changed zone,
# queries over all the zones.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
bench_name=compare.sh
. "$here/lib.sh"

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
mixes="static do tcp flatten flatten-cached signed-online"
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
  --mixes "LIST"         of: static do tcp flatten flatten-cached signed-online (default "$mixes");
                         signed-online runs signed-flat, signed-static and signed-nx (each can be named alone)
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

parse_options --flatns=flatns_bin --records=records --signed-records=signed_records \
  --load-records=load_records --load-rounds=load_rounds --queries=query_lines --duration=duration \
  --rounds=rounds --clients=clients --dnsperfs=dnsperfs --outstanding=outstanding --mixes=mixes \
  --servers=servers --flatten-zones=flatten_zones --port-base=port_base --server-cpu=server_cpu \
  --client-cpu=client_cpu --workers=workers --no-load=do_load:0 --hosting-zones=hosting_zones \
  --keep=keep --smoke=smoke:1 -- "$@"
mixes=$(echo " $mixes " | sed 's/ signed-online / signed-flat signed-static signed-nx /')

if [ "$smoke" = 1 ]; then
  records=2000 signed_records=1000 load_records=20000 load_rounds=1 query_lines=5000
  duration=2 rounds=1 flatten_zones=20 hosting_zones=2000
fi
clients_each=$(( clients / dnsperfs > 0 ? clients / dnsperfs : 1 ))
outstanding_each=$outstanding

if [ "$workers" -gt 1 ]; then
  : "${server_cpu:=0-1}" "${client_cpu:=0-1}"
else
  : "${server_cpu:=0}" "${client_cpu:=1}"
fi

require_tools "$python" dnsperf kdig taskset ldns-keygen ldns-signzone
require_servers "$servers"
signed_mixes=0
[[ " $mixes " == *" signed-"* ]] && signed_mixes=1
if [ "$signed_mixes" = 1 ]; then
  require_flatns   # its keygen makes the signed zones' key, for Knot too
  case " $servers " in *" knot "*) require_tools keymgr ;; esac
fi
# The flatten-cached and signed-flat mixes flatten targets outside the served
# zones, through an NSD upstream.
need_upstream=0
[[ " $mixes " == *" flatten-cached "* || " $mixes " == *" signed-flat "* ]] && need_upstream=1

make_work "$keep" flatns-bench
. "$here/servers.sh"
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
if [ "$need_upstream" = 1 ]; then
  mkdir -p "$work/flatx"
  gen zone ext.test 2000 "$work/zones/ext.test.zone"
  gen flatten-external ext.test 2000 "$flatten_zones" "$work/flatx" "$work/flatx.list" "$query_lines" \
    "$work/flatten-cached.queries" "$work/flatten-cached.warm"
fi
online_zones="" online_keys="$work/online-keys"
if [ "$signed_mixes" = 1 ]; then
  # son.test: the do mix's layout, signed online by flatns (and Knot's
  # mod-onlinesign) with one CSK made here; s<i>.flat: apex CNAMEs to the
  # flatten-cached targets, signed online by flatns with keys it makes at load.
  mkdir -p "$online_keys" "$work/flats"
  gen zone son.test "$signed_records" "$work/zones/son.test.zone"
  gen queries son.test "$signed_records" "$query_lines" "$work/signed-static.queries" --seed 5 --existing
  for round in $(seq "$rounds"); do
    for i in $(seq "$dnsperfs"); do
      gen nx son.test "$query_lines" "$work/signed-nx.queries.$round.$i" --seed $((1000 * round + i))
    done
  done
  gen flatten-external ext.test 2000 "$flatten_zones" "$work/flats" "$work/flats.list" "$query_lines" \
    "$work/signed-flat.queries" "$work/signed-flat.warm" --prefix s --seed 7
  son_key=$("$flatns_bin" keygen son.test "$online_keys")
  online_zones="son.test $(paste -sd' ' "$work/flats.list")"
  log "son.test key: $son_key"
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
if [ "$need_upstream" = 1 ]; then
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
[ "$signed_mixes" = 1 ] && read -r son_probe_name son_probe_ip < <(gen probe son.test "$signed_records")
# drop_mix MIX NOTE : the mix is skipped, and the table says why.
skipped_notes=()
drop_mix() {
  skipped_notes+=("$2")
  log "$2"
  mixes=$(echo " $mixes " | sed "s/ $1 / /")
}
# check_signed_zone SERVER : son.test answers signed (a name and a denial);
# for flatns, the signed flattened zones are warmed and answer signed.
check_signed_zone() {
  local server=$1 port got
  port=$(server_port "$server")
  if ! signed_answer "$port" "$son_probe_name" A "$son_probe_ip" || ! signed_answer "$port" nx1.son.test A; then
    got=$(kdig @127.0.0.1 -p "$port" +notcp +time=2 +retry=0 +dnssec "$son_probe_name" A 2>&1 | head -30)
    die "$server does not answer son.test signed ($son_probe_name A with an RRSIG, and a signed denial of nx1.son.test); it answered: $got"
  fi
  [ "$server" = flatns ] && [[ " $mixes " == *" signed-flat "* ]] || return 0
  dnsperf -s 127.0.0.1 -p "$port" -d "$work/signed-flat.warm" -n 1 -c 1 -q 20 -t 5 -D \
    >"$work/signed-flat.warm.txt" 2>&1 || true
  read -r ext0_name ext0_ip < <(gen probe ext.test 2000 --index 0)   # s0.flat's target
  if signed_answer "$port" s0.flat A "$ext0_ip"; then
    log "signed-flat: cache warmed ($(sed -n 's/^ *Response codes: *//p' "$work/signed-flat.warm.txt"))"
  else
    got=$(kdig @127.0.0.1 -p "$port" +notcp +time=2 +retry=0 +dnssec s0.flat A 2>&1 | grep -E "status|EDE|RRSIG" | head -3 | tr '\n' ' ')
    drop_mix signed-flat "signed-flat: skipped: flatns does not answer s0.flat (signed online, apex CNAME to $ext0_name) with $ext0_ip and an RRSIG; it answered: $got"
  fi
}
declare -A pid_of
for server in $servers; do
  zones=("bench.test=$work/zones/bench.test.zone" "sig.test=$work/zones/sig.test.zone")
  if [ "$server" = flatns ]; then
    while read -r origin; do zones+=("$origin=$work/flat/$origin.zone"); done <"$work/flat.list"
    if [ -n "$flatns_forwarder" ]; then
      while read -r origin; do zones+=("$origin=$work/flatx/$origin.zone"); done <"$work/flatx.list"
    fi
    if [ "$signed_mixes" = 1 ]; then
      while read -r origin; do zones+=("$origin=$work/flats/$origin.zone"); done <"$work/flats.list"
    fi
  fi
  [ "$signed_mixes" = 1 ] && [ "$server" != nsd ] && zones+=("son.test=$work/zones/son.test.zone")
  write_config "$server" "$(server_port "$server")" "$work/$server" "${zones[@]}"
  if [ "$signed_mixes" = 1 ] && [ "$server" = knot ]; then
    knot_import_keys "$work/knot" son.test || die "Knot could not import the key of son.test"
  fi
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
      drop_mix flatten-cached "flatten-cached: skipped: flatns does not answer x0.flat (apex CNAME to $ext0_name, outside its zones) with $ext0_ip through its forwarder; it answered: $got"
    fi
  fi
  if [ "$signed_mixes" = 1 ] && [ "$server" != nsd ]; then
    check_signed_zone "$server"
  fi
  pin "${pid_of[$server]}"
  log "$server up (pid ${pid_of[$server]}, port $(server_port "$server"), answering after ${t}s)"
done

runs="$work/runs.tsv"
[ "$signed_mixes" = 1 ] && [[ " $servers " == *" nsd "* ]] &&
  skipped_notes+=("signed-*: NSD has no online signing; it serves none of these mixes")
printf 'mix\tserver\tround\tsent\tcompleted\tlost\tqps\tlat_mean_s\tlat_max_s\tlat_sd_s\tcpu_s\trcodes\tresponse_bytes\tload1\n' >"$runs"
field() { sed -n "s/^ *$1: *\([0-9.]*\).*/\1/p" "$2" | head -1; }
# Round-major: every round runs every mix on every server in turn, so a drift
# in the machine (other tenants of the host) reaches all mixes alike and the
# flatten/static ratios compare runs minutes apart at most, not a whole run.
for round in $(seq "$rounds"); do
  for mix in $mixes; do
    for server in $servers; do
      [[ "$mix" == flatten* || "$mix" == signed-flat ]] && [ "$server" != flatns ] && continue
      [[ "$mix" == signed-* ]] && [ "$server" = nsd ] && continue
      port=$(server_port "$server")
      extra=()
      case $mix in do|signed-*) extra=(-D) ;; tcp) extra=(-m tcp) ;; esac
      out="$work/dnsperf.$mix.$server.$round.txt"
      before=$(cpu_seconds "${pid_of[$server]}")
      # --dnsperfs processes at once, each with its own share of the clients
      # and its own copy of the query file's order (they all read it whole).
      perf_pids=()
      for i in $(seq "$dnsperfs"); do
        queries="$work/$mix.queries"
        [ -f "$queries.$round.$i" ] && queries="$queries.$round.$i"   # signed-nx: names never sent before
        taskset -c "$client_cpu" dnsperf -s 127.0.0.1 -p "$port" -d "$queries" \
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
stop_all

# --- part 2: loading ----------------------------------------------------------
# Each round loads each zone in each server in turn (flatns NSD Knot ...), so
# that a change in the machine's load shows in every server's medians. CPU s
# is user+system time of the server's processes when the first answer came:
# on a shared machine it moves less than the wall-clock time (reaped
# children included: NSD forks).
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
        cpu=$(cpu_seconds_reaped "$pid")
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
for note in "${skipped_notes[@]}"; do echo "$note"; done
[ "$signed_mixes" = 1 ] && echo "signed-*: son.test ($signed_records records) signed online by flatns and by Knot's mod-onlinesign with one CSK ($son_key, imported into Knot);" \
  "$flatten_zones signed apex-CNAME zones (signed-flat); signed-nx: a new file of random names per round and dnsperf process"
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
