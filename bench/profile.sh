#!/usr/bin/env bash
# Instructions per query of flatns's packet path, counted by callgrind
# (valgrind --tool=callgrind), which stays exact on a loaded machine where
# wall-clock figures do not. Not a test.
#
# Starts flatns under callgrind with instrumentation off, waits until it answers,
# switches collection on, sends one pass of a fixed query file with dnsperf
# at a fixed rate, switches instrumentation off and stops the server. Prints the
# instructions per answered query for the whole process (user space: libuv,
# libc's system-call wrappers, flatns) and for answer_query alone, and the
# functions that dominate. The kernel's share is not counted.
#
# The part outside answer_query has a cost per wake-up (the event loop,
# epoll_wait, recvmmsg and sendmmsg) and a cost per datagram (the listener's
# loop), and the number of datagrams per wake-up depends on how fast
# callgrind runs, hence on the machine's load: so the script also prints the
# datagrams per recvmmsg and splits the rest into per-wake-up and per-query
# figures, which do not move with the load. --server knot profiles Knot
# (knotd, one UDP worker) on the same zone and queries instead, for the
# whole-process figure beside flatns's.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
bench_name=profile.sh
. "$here/lib.sh"

flatns_bin="$root/build/server/flatns"
server=flatns
mix=static
hosting_zones=0
zones_dir=""
records=20000
queries=20000
rate=4000
port=26050
out=""
top=25
cache=""

usage() {
  cat <<EOF
usage: bench/profile.sh [options]
  --flatns PATH     flatns binary (default: build/server/flatns; Release with -g reads best)
  --server flatns|knot  the server profiled (default $server)
  --mix static|do   static: the compare.sh static mix on an unsigned zone;
                    do: the same mix with DO=1 on an NSEC3-signed zone (default $mix)
  --records N       zone size (default $records)
  --queries N       queries sent, one pass of the file (default $queries)
  --rate Q          dnsperf -Q, queries per second (default $rate); the batch
                    size of the UDP listener depends on it
  --port P          UDP/TCP port on 127.0.0.1 (default $port)
  --top N           functions listed (default $top)
  --cache           simulate the caches too (callgrind --cache-sim=yes, last level
                    taken as 1 MiB 16-way, about an L2): data-read misses per query
  --out DIR         keep the zone, config and callgrind output in DIR
  --hosting-zones N also serve N small zones (bench/hosting_zones.py) beside the
                    queried one: zone choice must cost the same with many zones
  --zones-dir DIR   where the hosting zones are (or are written); default the work dir
EOF
}

parse_options --flatns=flatns_bin --server=server --mix=mix --records=records --queries=queries --rate=rate \
  --port=port --top=top "--cache=cache:--cache-sim=yes --LL=1048576,16,64" --out=out \
  --hosting-zones=hosting_zones --zones-dir=zones_dir -- "$@"
case $mix in static|do) ;; *) echo "profile.sh: --mix is static or do" >&2; exit 2 ;; esac
require_tools valgrind callgrind_control callgrind_annotate dnsperf kdig ldns-keygen ldns-signzone
[ "$server" != flatns ] || require_flatns
make_work "$out" flatns-profile

gen() { "$python" "$here/gen.py" "$@"; }
if [ "$mix" = static ]; then
  origin=bench.test
  gen zone "$origin" "$records" "$work/$origin.zone"
  gen queries "$origin" "$records" "$queries" "$work/queries"
  dnsperf_extra=()
else
  origin=sig.test
  gen zone "$origin" "$records" "$work/unsigned.zone"
  gen queries "$origin" "$records" "$queries" "$work/queries" --seed 3
  (
    cd "$work"
    ksk=$(ldns-keygen -a ECDSAP256SHA256 -k "$origin")
    zsk=$(ldns-keygen -a ECDSAP256SHA256 "$origin")
    ldns-signzone -n -t 0 -f "$work/$origin.zone" unsigned.zone "$zsk" "$ksk"
  )
  dnsperf_extra=(-D)
fi
read -r probe_name probe_ip < <(gen probe "$origin" "$records")
cat >"$work/flatns.yaml" <<EOF
server:
  listen: ["127.0.0.1:$port"]
  workers: 1
  log_level: warn
zones:
  - name: $origin
    file: $origin.zone
EOF
if [ "$hosting_zones" -gt 0 ]; then
  [ -n "$zones_dir" ] || zones_dir="$work/hosting"
  mkdir -p "$zones_dir"
  if ! [ -f "$zones_dir/zones.list" ] || [ "$(wc -l <"$zones_dir/zones.list")" != "$hosting_zones" ]; then
    rm -rf "$zones_dir/zones" "$zones_dir/zones.list"
    "$python" "$here/hosting_zones.py" write "$hosting_zones" "$zones_dir"
  fi
  awk -F'\t' '{ printf "  - name: %s\n    file: %s\n", $1, $2 }' "$zones_dir/zones.list" >>"$work/flatns.yaml"
fi

case $server in
  flatns) command=("$flatns_bin" serve -c "$work/flatns.yaml") ;;
  knot)
    command -v knotd >/dev/null || { echo "profile.sh: knotd is not installed" >&2; exit 1; }
    [ "$hosting_zones" = 0 ] || { echo "profile.sh: --hosting-zones is for flatns only" >&2; exit 2; }
    mkdir -p "$work/knot"
    cat >"$work/knot/knot.conf" <<EOF
server:
  rundir: "$work/knot"
  listen: 127.0.0.1@$port
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
log:
  - target: "$work/knot/knot.log"
    any: warning
database:
  storage: "$work/knot"
control:
  listen: "$work/knot/knot.sock"
template:
  - id: default
    storage: "$work/knot"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: $origin
    file: "$work/$origin.zone"
EOF
    command=(knotd -c "$work/knot/knot.conf") ;;
  *) echo "profile.sh: --server is flatns or knot" >&2; exit 2 ;;
esac
log "starting $server under callgrind ($mix mix, $records records)"
valgrind --tool=callgrind --instr-atstart=no $cache --callgrind-out-file="$work/callgrind.out" \
  "${command[@]}" >"$work/server.log" 2>&1 &
server_pid=$!
started_pids+=("$server_pid")
deadline=$(( $(date +%s) + 1800 ))
until [ "$(kdig @127.0.0.1 -p "$port" +notcp +time=2 +retry=0 +short "$probe_name" A 2>/dev/null)" = "$probe_ip" ]; do
  kill -0 "$server_pid" 2>/dev/null || { echo "profile.sh: $server exited; its log:" >&2; cat "$work/server.log" >&2; exit 1; }
  [ "$(date +%s)" -lt "$deadline" ] || { echo "profile.sh: $server did not answer within 1800 s" >&2; exit 1; }
  sleep 1
done
callgrind_control -i on "$server_pid" >/dev/null
log "collecting: $queries queries at $rate q/s"
dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries" -n 1 -Q "$rate" -c 1 -q 100 -t 30 \
  "${dnsperf_extra[@]}" >"$work/dnsperf.txt" 2>&1
callgrind_control -i off "$server_pid" >/dev/null
kill -TERM "$server_pid"
wait "$server_pid" 2>/dev/null || true
started_pids=()

completed=$(sed -n 's/^ *Queries completed: *\([0-9]*\).*/\1/p' "$work/dnsperf.txt")
lost=$(sed -n 's/^ *Queries lost: *\([0-9]*\).*/\1/p' "$work/dnsperf.txt")
callgrind_annotate "$work/callgrind.out" >"$work/exclusive.txt" 2>/dev/null
callgrind_annotate --inclusive=yes "$work/callgrind.out" >"$work/inclusive.txt" 2>/dev/null
total=$(grep -m1 'PROGRAM TOTALS' "$work/exclusive.txt" | awk '{ gsub(",", "", $1); print $1 }')
answer=$( (grep -m1 'flatns::server::answer_query' "$work/inclusive.txt" || true) | awk '{print $1}' | tr -d ,)
echo "$server: mix $mix, $records records, $hosting_zones other zones served, $completed queries answered ($lost lost) at $rate q/s"
# Calls of the system-call wrappers, from the call records of the output.
read -r receives waits < <("$python" - "$work/callgrind.out" <<'EOF'
import re, sys
names, calls, callee = {}, {}, None
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
    if m:
        if m.group(3):
            names[m.group(2)] = m.group(3)
        callee = m.group(2) if m.group(1) == "cfn" else callee
        continue
    m = re.match(r"^calls=(\d+)", line)
    if m and callee is not None:
        name = names.get(callee, "")
        calls[name] = calls.get(name, 0) + int(m.group(1))
count = lambda pattern: sum(v for k, v in calls.items() if re.fullmatch(pattern, k))
print(count(r"recvmmsg|recvmsg|recvfrom"), count(r"epoll_wait|epoll_pwait|poll|ppoll"))
EOF
)
inclusive() { (grep -m1 "$1" "$work/inclusive.txt" || true) | awk '{print $1}' | tr -d ,; }
loop=$(inclusive 'UdpListener::on_readable')
awk -v t="$total" -v a="${answer:-0}" -v n="$completed" -v r="$receives" -v w="$waits" -v l="${loop:-0}" 'BEGIN {
  printf "instructions per query: %.0f whole process (user space), %.0f in answer_query\n", t / n, a / n
  printf "datagrams per receive call: %.2f (%d receive calls, %d epoll/poll waits)\n", r ? n / r : 0, r, w
  if (l > 0 && w > 0) {
    printf "outside answer_query: %.0f per wake-up (event loop and epoll_wait), %.0f per query (UDP listener and parking)\n",
      (t - l) / w, (l - a) / n
  }
}'
if [ -n "$cache" ]; then
  # PROGRAM TOTALS and answer_query, inclusive: Ir Dr D1mr DLmr.
  callgrind_annotate --inclusive=yes --show=Ir,Dr,D1mr,DLmr "$work/callgrind.out" >"$work/cache.txt" 2>/dev/null
  for what in 'PROGRAM TOTALS' 'flatns::server::answer_query'; do
    (grep -m1 "$what" "$work/cache.txt" || true) | awk -v n="$completed" -v w="$what" '{
      gsub(/\([^)]*\)/, ""); gsub(",", ""); split($0, f, " ")
      printf "%s: data reads %.0f, D1 read misses %.1f, last-level (1 MiB) read misses %.2f per query\n", w, f[2] / n, f[3] / n, f[4] / n }'
  done
fi
echo "top functions (exclusive, per query):"
sed -n '/^-* *$/,$p' "$work/exclusive.txt" | grep -E '^ *[0-9,]+ ' | head -"$top" |
  sed -E "s/^ *([0-9,]+) *\( *[0-9.]+%\) */\1 /" | awk -v n="$completed" '{ ir = $1; gsub(",", "", ir); $1 = ""; printf "%8.0f %s\n", ir / n, $0 }'
