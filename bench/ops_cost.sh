#!/usr/bin/env bash
# The cost of operations features on the static mix (issue 17): the same
# flatns serving the same zone twice, once with nothing on and once with the
# Prometheus endpoint (scraped every second during the run) and dnstap to a
# file (queries and responses), one worker pinned to CPU 0, dnsperf pinned
# to CPU 1, alternating off/on for ROUNDS rounds of SECONDS each. Prints the
# median queries/s of each and the ratio on/off (target: >= 0.95). Not a
# test: timing never decides pass or fail. Ports 26100-26103.
#
# Usage: bench/ops_cost.sh [FLATNS_BINARY] [ROUNDS] [SECONDS]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
flatns=${1:-$here/../build/server/flatns}
rounds=${2:-5}
seconds=${3:-10}
records=133000
work=$(mktemp -d "${TMPDIR:-/tmp}/flatns-ops-cost.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
python3 "$here/gen.py" zone bench.test "$records" "$work/bench.test.zone"
python3 "$here/gen.py" queries bench.test "$records" 200000 "$work/static.queries"
read -r probe_name probe_ip < <(python3 "$here/gen.py" probe bench.test "$records")

config() {  # NAME PORT EXTRA...
  local name=$1 port=$2; shift 2
  { echo "server:"; echo "  listen: [\"127.0.0.1:$port\"]"; echo "  workers: 1"; echo "  log_level: warn"
    for line in "$@"; do echo "  $line"; done
    echo "zones:"; echo "  - name: bench.test"; echo "    file: $work/bench.test.zone"; } >"$work/$name.yaml"
}
config off 26100
config on 26101 'metrics: "127.0.0.1:26102"' "dnstap: {file: $work/dnstap.fstrm}"
for name in off on; do
  taskset -c 0 "$flatns" serve -c "$work/$name.yaml" >"$work/$name.log" 2>&1 &
  pids+=($!)
done
port_of() { [ "$1" = off ] && echo 26100 || echo 26101; }
for name in off on; do
  for _ in $(seq 1 300); do
    kdig @127.0.0.1 -p "$(port_of "$name")" +short +time=1 +retry=0 "$probe_name" A 2>/dev/null | grep -qx "$probe_ip" && break
    sleep 0.2
  done
done
declare -A qps
for round in $(seq 1 "$rounds"); do
  for name in off on; do
    scraper=""
    if [ "$name" = on ]; then
      ( while true; do curl -s -o /dev/null http://127.0.0.1:26102/metrics; sleep 1; done ) &
      scraper=$!
    fi
    out=$(taskset -c 1 dnsperf -s 127.0.0.1 -p "$(port_of "$name")" -d "$work/static.queries" -l "$seconds" \
            -c 8 -q 200 2>&1)
    [ -n "$scraper" ] && { kill "$scraper"; wait "$scraper" 2>/dev/null || true; }
    q=$(sed -n 's/^ *Queries per second: *\([0-9.]*\).*/\1/p' <<<"$out")
    qps[$name]+="$q "
    echo "round $round $name: $q queries/s" >&2
  done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
off=$(echo "${qps[off]}" | median)
on=$(echo "${qps[on]}" | median)
dropped=$(curl -s http://127.0.0.1:26102/metrics | sed -n 's/^flatns_dnstap_dropped_total //p')
written=$(curl -s http://127.0.0.1:26102/metrics | sed -n 's/^flatns_dnstap_messages_total //p')
printf 'static mix, 1 worker: off %.0f q/s, metrics+dnstap on %.0f q/s, ratio %.3f (dnstap written %s, dropped %s)\n' \
  "$off" "$on" "$(echo "$on / $off" | bc -l)" "$written" "$dropped"
