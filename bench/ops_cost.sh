#!/usr/bin/env bash
# The cost of operations features on the static mix (issue 17): the same
# flatns serving the same zone three times: with nothing on; with the
# Prometheus endpoint (scraped every second during the run); with the
# endpoint and dnstap to a file (queries and responses). One worker, the
# whole process (writer threads too) pinned to CPU 0, dnsperf to CPU 1,
# alternating for ROUNDS rounds of SECONDS each; a fourth flatns has dnstap
# alone. Prints the median queries/s of each and, since the machine may be
# shared, the median queries per CPU-second of the flatns process (all its
# threads: user + system time from /proc/PID/stat over the round), each with
# its ratio to "off" (target: >= 0.95). Not a test: timing never decides
# pass or fail. Ports 26100-26105.
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
config metrics 26103 'metrics: "127.0.0.1:26104"'
config dnstap 26105 "dnstap: {file: $work/dnstap-only.fstrm}"
variants="off metrics dnstap on"
declare -A pid_of
for name in $variants; do
  taskset -c 0 "$flatns" serve -c "$work/$name.yaml" >"$work/$name.log" 2>&1 &
  pids+=($!)
  pid_of[$name]=$!
done
port_of() { case $1 in off) echo 26100 ;; on) echo 26101 ;; metrics) echo 26103 ;; dnstap) echo 26105 ;; esac; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
metrics_port_of() { [ "$1" = on ] && echo 26102 || echo 26104; }
for name in $variants; do
  for _ in $(seq 1 300); do
    kdig @127.0.0.1 -p "$(port_of "$name")" +short +time=1 +retry=0 "$probe_name" A 2>/dev/null | grep -qx "$probe_ip" && break
    sleep 0.2
  done
done
declare -A qps per_cpu
hz=$(getconf CLK_TCK)
for round in $(seq 1 "$rounds"); do
  for name in $variants; do
    scraper=""
    if [ "$name" = metrics ] || [ "$name" = on ]; then
      ( while true; do curl -s -o /dev/null "http://127.0.0.1:$(metrics_port_of "$name")/metrics"; sleep 1; done ) &
      scraper=$!
    fi
    before=$(cpu_ticks "${pid_of[$name]}")
    out=$(taskset -c 1 dnsperf -s 127.0.0.1 -p "$(port_of "$name")" -d "$work/static.queries" -l "$seconds" \
            -c 8 -q 200 2>&1)
    after=$(cpu_ticks "${pid_of[$name]}")
    [ -n "$scraper" ] && { kill "$scraper"; wait "$scraper" 2>/dev/null || true; }
    q=$(sed -n 's/^ *Queries per second: *\([0-9.]*\).*/\1/p' <<<"$out")
    completed=$(sed -n 's/^ *Queries completed: *\([0-9]*\).*/\1/p' <<<"$out")
    pc=$(echo "$completed * $hz / ($after - $before)" | bc -l)
    qps[$name]+="$q "
    per_cpu[$name]+="$pc "
    printf 'round %s %s: %s queries/s, %.0f queries per CPU-second\n' "$round" "$name" "$q" "$pc" >&2
  done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
off=$(echo "${qps[off]}" | median)
on=$(echo "${qps[on]}" | median)
metrics=$(echo "${qps[metrics]}" | median)
dnstap=$(echo "${qps[dnstap]}" | median)
dropped=$(curl -s http://127.0.0.1:26102/metrics | sed -n 's/^flatns_dnstap_dropped_total //p')
written=$(curl -s http://127.0.0.1:26102/metrics | sed -n 's/^flatns_dnstap_messages_total //p')
printf 'static mix, 1 worker: off %.0f q/s; metrics only %.0f q/s (ratio %.3f); dnstap only %.0f q/s (ratio %.3f); metrics+dnstap %.0f q/s (ratio %.3f; dnstap written %s, dropped %s)\n' \
  "$off" "$metrics" "$(echo "$metrics / $off" | bc -l)" "$dnstap" "$(echo "$dnstap / $off" | bc -l)" \
  "$on" "$(echo "$on / $off" | bc -l)" "$written" "$dropped"
c_off=$(echo "${per_cpu[off]}" | median)
c_metrics=$(echo "${per_cpu[metrics]}" | median)
c_dnstap=$(echo "${per_cpu[dnstap]}" | median)
c_on=$(echo "${per_cpu[on]}" | median)
printf 'per CPU-second of flatns: off %.0f; metrics only %.0f (ratio %.3f); dnstap only %.0f (ratio %.3f); metrics+dnstap %.0f (ratio %.3f)\n' \
  "$c_off" "$c_metrics" "$(echo "$c_metrics / $c_off" | bc -l)" "$c_dnstap" "$(echo "$c_dnstap / $c_off" | bc -l)" \
  "$c_on" "$(echo "$c_on / $c_off" | bc -l)"
