#!/usr/bin/env bash
# System calls and wake-ups per query of flatns, NSD and Knot under the same
# dnsperf load (issue 19). Not a test. Counts do not depend on how busy the
# machine is the way queries/s do, but batch sizes (datagrams per recvmmsg)
# follow the offered load and how promptly the server runs, so compare
# servers measured in the same run, at the same --rate.
#
# Each server (one worker, pinned to --server-cpu) in turn serves the static
# mix of compare.sh on a --records zone; dnsperf (on --client-cpu) sends for
# --duration seconds at --rate queries/s per dnsperf process (0: as fast as
# it can) while `perf stat` counts the server's system calls by tracepoint
# (syscalls:sys_enter_*) and its context switches (sleeps: each one is a
# wake-up later), and `perf record` takes the return value of every
# recvmmsg / sendmmsg (the batch sizes reached); user and system CPU time per
# query come from /proc (clock ticks: rough, and they do move with the load).
# Needs perf with tracepoint access (root, or kernel.perf_event_paranoid <= -1).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
bench_name=syscalls.sh
. "$here/lib.sh"

flatns_bin="$root/build/server/flatns"
records=20000
query_lines=100000
duration=5
rate=0
clients=8
outstanding=200
dnsperfs=1
port_base=27800
server_cpu=0
client_cpu=1
servers="flatns nsd knot"
keep=""
workers=1

usage() {
  cat <<EOF
usage: bench/syscalls.sh [options]
  --flatns PATH      flatns binary (default: build/server/flatns)
  --records N        records in the zone (default $records)
  --queries N        lines in the query file (default $query_lines)
  --duration S       seconds per server (default $duration)
  --rate Q           dnsperf -Q per dnsperf process; 0: unlimited (default $rate)
  --dnsperfs N       dnsperf processes at once (default $dnsperfs)
  --clients N        dnsperf -c (default $clients)
  --outstanding N    dnsperf -q (default $outstanding)
  --servers "LIST"   of: flatns nsd knot (default "$servers")
  --port-base P      ports P..P+2 (default $port_base)
  --server-cpu LIST  (default $server_cpu)   --client-cpu LIST (default $client_cpu)
  --keep DIR         work in DIR and keep it
EOF
}
parse_options --flatns=flatns_bin --records=records --queries=query_lines --duration=duration --rate=rate \
  --dnsperfs=dnsperfs --clients=clients --outstanding=outstanding --servers=servers --port-base=port_base \
  --server-cpu=server_cpu --client-cpu=client_cpu --keep=keep -- "$@"
require_tools perf dnsperf kdig taskset
require_flatns
perf stat -e syscalls:sys_enter_recvmmsg -- true >/dev/null 2>&1 ||
  { echo "syscalls.sh: perf cannot read syscall tracepoints here (root, or kernel.perf_event_paranoid)" >&2; exit 1; }

make_work "$keep" flatns-syscalls
flatns_forwarder=""
. "$here/servers.sh"
# "utime stime" in clock ticks, summed over a process tree's threads.
cpu_ticks() {
  local p u=0 k=0 stat rest
  for p in $(descendants "$1"); do
    stat=$(cat /proc/"$p"/stat 2>/dev/null) || continue
    rest=${stat##*) }
    set -- $rest
    u=$((u + ${12})); k=$((k + ${13}))
  done
  echo "$u $k"
}

gen() { "$python" "$here/gen.py" "$@"; }
mkdir -p "$work/zones"
gen zone bench.test "$records" "$work/zones/bench.test.zone"
gen queries bench.test "$records" "$query_lines" "$work/static.queries"
read -r probe_name probe_ip < <(gen probe bench.test "$records")

events=raw_syscalls:sys_enter,context-switches
calls="recvmmsg sendmmsg recvmsg sendmsg recvfrom sendto epoll_wait epoll_pwait poll ppoll select pselect6 io_uring_enter"
for c in $calls; do events+=",syscalls:sys_enter_$c"; done

port=$port_base
results="$work/results.tsv"
: >"$results"
for server in $servers; do
  dir="$work/$server"
  write_config "$server" "$port" "$dir" "bench.test=$work/zones/bench.test.zone"
  START_NS=$(date +%s%N)
  start_server "$server" "$dir"
  pid=$server_pid
  wait_ready "$pid" "$port" "$probe_name" "$probe_ip" 120 >/dev/null ||
    { echo "syscalls.sh: $server did not answer; its log:" >&2; tail -20 "$dir"/*.log >&2; exit 1; }
  sleep 0.5
  pin "$pid"
  pids=$(descendants "$pid" | paste -sd,)
  perf stat -x, -e "$events" -p "$pids" -o "$dir/perf-stat.csv" &
  stat_pid=$!
  perf record -q -e syscalls:sys_exit_recvmmsg,syscalls:sys_exit_sendmmsg -p "$pids" -o "$dir/perf.data" \
    >/dev/null 2>&1 &
  record_pid=$!
  sleep 0.3
  read -r user0 sys0 < <(cpu_ticks "$pid")
  qargs=()
  [ "$rate" != 0 ] && qargs=(-Q "$rate")
  for i in $(seq "$dnsperfs"); do
    taskset -c "$client_cpu" dnsperf -s 127.0.0.1 -p "$port" -d "$work/static.queries" -l "$duration" \
      -c "$clients" -q "$outstanding" "${qargs[@]}" >"$dir/dnsperf.$i.txt" 2>&1 &
  done
  wait_for=$(jobs -p | grep -v -x -e "$stat_pid" -e "$record_pid" | grep -v -x -F -f <(printf '%s\n' "${started_pids[@]}") || true)
  for j in $wait_for; do wait "$j" || true; done
  read -r user1 sys1 < <(cpu_ticks "$pid")
  kill -INT "$stat_pid" "$record_pid" 2>/dev/null || true
  wait "$stat_pid" 2>/dev/null || true
  wait "$record_pid" 2>/dev/null || true
  completed=0
  for i in $(seq "$dnsperfs"); do
    n=$(sed -n 's/^ *Queries completed: *\([0-9]*\).*/\1/p' "$dir/dnsperf.$i.txt")
    completed=$((completed + ${n:-0}))
  done
  perf script -i "$dir/perf.data" -F event,trace 2>/dev/null >"$dir/batches.txt" || true
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$completed" "$dir/perf-stat.csv" "$dir/batches.txt" \
    $((user1 - user0)) $((sys1 - sys0)) >>"$results"
  log "$server: $completed queries answered"
  stop_server "$pid"
  started_pids=()
  port=$((port + 1))
done

echo "static mix, $records records, dnsperf x$dnsperfs -c $clients -q $outstanding$([ "$rate" != 0 ] && echo " -Q $rate") for $duration s on CPU $client_cpu, servers on CPU $server_cpu; load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" - "$results" "$(getconf CLK_TCK)" <<'EOF'
import collections, sys
hz = int(sys.argv[2])
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
print(f"{'server':<7} {'queries':>9} {'syscalls/q':>10} {'recv calls/q':>12} {'send calls/q':>12} "
      f"{'waits/q':>8} {'ctx sw/q':>8} {'user us/q':>9} {'sys us/q':>8}  {'datagrams per recvmmsg (mean; 0 1 2-3 4-7 8-15 16-31 32-63 64+ calls %)':<40}  per sendmmsg")
for server, completed, stat_path, batch_path, user_ticks, sys_ticks in rows:
    q = int(completed) or 1
    counts = {}
    for line in open(stat_path):
        c = line.strip().split(",")
        if len(c) > 2 and c[0] and c[0][0].isdigit():
            counts[c[2]] = int(c[0])
    g = lambda n: counts.get(f"syscalls:sys_enter_{n}", 0)
    recv = g("recvmmsg") + g("recvmsg") + g("recvfrom")
    send = g("sendmmsg") + g("sendmsg") + g("sendto")
    waits = g("epoll_wait") + g("epoll_pwait") + g("poll") + g("ppoll") + g("select") + g("pselect6") + g("io_uring_enter")
    hist = {"recvmmsg": collections.Counter(), "sendmmsg": collections.Counter()}
    for line in open(batch_path):
        parts = line.split()
        if len(parts) < 2:
            continue
        kind = "recvmmsg" if "recvmmsg" in parts[0] else "sendmmsg"
        try:
            ret = int(parts[-1], 16)
        except ValueError:
            continue
        if ret >= 1 << 63:
            ret = 0  # -EAGAIN
        hist[kind][ret] += 1
    def show(h):
        calls = sum(h.values())
        if not calls:
            return "-"
        mean = sum(k * v for k, v in h.items()) / calls
        edges = [(0, 0), (1, 1), (2, 3), (4, 7), (8, 15), (16, 31), (32, 63), (64, 1 << 30)]
        pct = [100 * sum(v for k, v in h.items() if a <= k <= b) / calls for a, b in edges]
        return f"{mean:5.2f}; " + " ".join(f"{p:.0f}" for p in pct)
    print(f"{server:<7} {q:>9} {counts.get('raw_syscalls:sys_enter', 0) / q:>10.3f} {recv / q:>12.3f} {send / q:>12.3f} "
          f"{waits / q:>8.3f} {counts.get('context-switches', 0) / q:>8.3f} "
          f"{int(user_ticks) / hz / q * 1e6:>9.2f} {int(sys_ticks) / hz / q * 1e6:>8.2f}  {show(hist['recvmmsg']):<40}  {show(hist['sendmmsg'])}")
EOF
