#!/usr/bin/python3
"""Secondary start-up storm: flatns as the secondary of --zones zones from a
Knot primary (issue 15). Not a test.

Knot (127.0.0.1:--port-base) serves --zones small zones (d<i>.storm.test:
SOA with refresh --refresh and retry --refresh/2, NS, A, www A) with
mod-stats counting queries by type; flatns (127.0.0.1:--port-base+1) has
each as a secondary zone (`primaries:` that Knot, its `file` in a temp
folder). Once a second the script reads Knot's counters (`knotc stats
mod-stats.query-type`) and prints, per phase, how many SOA, AXFR and IXFR
queries reached the primary in each second:

1. cold: flatns starts with no zone files: every zone needs an SOA check and
   an AXFR. Reported until every zone was transferred, then --seconds more
   (the first refresh timers, 0-10 % jitter, run out after --refresh s).
2. warm: flatns restarts with every zone file in place: one SOA query per
   zone and no transfer (the serials are unchanged), then the refresh
   timers; observed for --seconds.

The figures to read: the largest number of SOA queries in one second (a
storm would be --zones at once, or a burst every --refresh seconds) and how
the checks spread. The machine is shared: rates are rough.

Usage: bench/xfr_storm.py --flatns build/server/flatns [--zones 10000] [--refresh 60] [--seconds 150]
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HOST = "127.0.0.1"
SERIAL = 2026120101


def origin(i):
    return f"d{i}.storm.test"


def zone_text(i, refresh):
    a = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
    return (f"$ORIGIN {origin(i)}.\n$TTL 3600\n"
            f"@ IN SOA ns1.storm.test. hostmaster.storm.test. {SERIAL} {refresh} {max(refresh // 2, 1)} 1209600 300\n"
            f"@ IN NS ns1.storm.test.\n@ IN A {a}\nwww IN A {a}\n")


def start(name, argv, folder):
    log = open(os.path.join(folder, f"{name}.log"), "ab")
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=folder, start_new_session=True)


def stop(p):
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def knot_counts(socket):
    """Knot's query counts by type so far: {"SOA": n, "AXFR": n, ...}."""
    p = subprocess.run(["knotc", "-s", socket, "stats", "mod-stats"], capture_output=True, text=True)
    counts = {}
    for m in re.finditer(r"query-type\[(\w+)\] = (\d+)", p.stdout):
        counts[m.group(1)] = int(m.group(2))
    # Transfers are counted by operation (query-type counts plain queries).
    for m in re.finditer(r"server-operation\[(axfr|ixfr)\] = (\d+)", p.stdout):
        counts[m.group(1).upper()] = int(m.group(2))
    return counts


def serves(port, i):
    p = subprocess.run(["kdig", f"@{HOST}", "-p", str(port), f"www.{origin(i)}", "A", "+short", "+timeout=1",
                        "+retry=0"], capture_output=True, text=True)
    return any(line and not line.startswith(";;") for line in p.stdout.splitlines())


def observe(label, socket, zones, seconds, until_transfers=None):
    """Prints SOA/AXFR/IXFR per second until `until_transfers` AXFR+IXFR were
    counted (if given) and then `seconds` more; returns the SOA series."""
    print(f"\n{label}")
    print(f"{'second':>6} {'SOA':>6} {'AXFR':>6} {'IXFR':>6}")
    base = knot_counts(socket)
    last = dict(base)
    series = []
    t0 = time.monotonic()
    done_at = None if until_transfers else 0.0
    second = 0
    while True:
        second += 1
        time.sleep(max(0.0, t0 + second - time.monotonic()))
        now = knot_counts(socket)
        row = {t: now.get(t, 0) - last.get(t, 0) for t in ("SOA", "AXFR", "IXFR")}
        last = now
        series.append(row)
        print(f"{second:6} {row['SOA']:6} {row['AXFR']:6} {row['IXFR']:6}", flush=True)
        transfers = now.get("AXFR", 0) + now.get("IXFR", 0) - base.get("AXFR", 0) - base.get("IXFR", 0)
        if done_at is None and transfers >= until_transfers:
            done_at = second
            print(f"  every zone transferred after {second} s")
        if done_at is not None and second >= done_at + seconds:
            break
        if done_at is None and second > 3600:
            print("  gave up waiting for the transfers after an hour")
            break
    soa = [r["SOA"] for r in series]
    total = {t: sum(r[t] for r in series) for t in ("SOA", "AXFR", "IXFR")}
    busiest = max(soa) if soa else 0
    print(f"  {label.split(':')[0]}: {total['SOA']} SOA, {total['AXFR']} AXFR, {total['IXFR']} IXFR in "
          f"{len(series)} s; most SOA in one second: {busiest} (of {zones} zones); "
          f"seconds with any SOA: {sum(1 for n in soa if n)}")
    return series


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flatns", required=True)
    ap.add_argument("--zones", type=int, default=10000)
    ap.add_argument("--refresh", type=int, default=60, help="SOA refresh of every zone, seconds")
    ap.add_argument("--seconds", type=int, default=150, help="seconds observed after the start-up")
    ap.add_argument("--port-base", type=int, default=27760)
    args = ap.parse_args()
    args.flatns = os.path.abspath(args.flatns)  # the servers run in the temp folder
    for tool in ("kdig", "knotd", "knotc"):
        if not (shutil.which(tool) or os.path.exists("/usr/sbin/" + tool)):
            print(f"needs {tool}")
            return 1
    folder = tempfile.mkdtemp(prefix="flatns-bench-storm-")
    procs = []
    try:
        primary_dir = os.path.join(folder, "primary")
        secondary_dir = os.path.join(folder, "secondary")
        os.makedirs(primary_dir)
        os.makedirs(secondary_dir)
        for i in range(args.zones):
            with open(os.path.join(primary_dir, f"{origin(i)}.zone"), "w") as f:
                f.write(zone_text(i, args.refresh))
        knot_port, flatns_port = args.port_base, args.port_base + 1
        socket = os.path.join(folder, "knot.sock")
        with open(os.path.join(folder, "knot.conf"), "w") as f:
            f.write(f'server:\n  rundir: "{folder}"\n  listen: {HOST}@{knot_port}\n  tcp-workers: 1\n'
                    f"  udp-workers: 1\n  background-workers: 1\n"
                    f'database:\n  storage: "{folder}"\ncontrol:\n  listen: "{socket}"\n'
                    f"mod-stats:\n  - id: counts\n    query-type: on\n    server-operation: on\n"
                    f"acl:\n  - id: xfr\n    address: {HOST}\n    action: transfer\n"
                    f"template:\n  - id: default\n    storage: \"{primary_dir}\"\n    file: \"%s.zone\"\n"
                    f"    acl: xfr\n    journal-content: none\n    zonefile-sync: -1\n"
                    f"    global-module: mod-stats/counts\nzone:\n")
            for i in range(args.zones):
                f.write(f"  - domain: {origin(i)}\n")
        with open(os.path.join(folder, "flatns.yaml"), "w") as f:
            f.write(f'server:\n  listen: ["{HOST}:{flatns_port}"]\n  workers: 1\nzones:\n')
            for i in range(args.zones):
                f.write(f"  - name: {origin(i)}\n    file: {secondary_dir}/{origin(i)}.zone\n"
                        f'    primaries: [{{address: "{HOST}:{knot_port}"}}]\n')
        knot = start("knot", [shutil.which("knotd") or "/usr/sbin/knotd", "-c", os.path.join(folder, "knot.conf")],
                     folder)
        procs.append(knot)
        deadline = time.monotonic() + 600
        while not serves(knot_port, args.zones - 1):
            if time.monotonic() > deadline or knot.poll() is not None:
                raise RuntimeError("Knot does not serve the last zone (see knot.log)")
            time.sleep(0.5)
        print(f"{args.zones} secondary zones on flatns from one Knot primary; SOA refresh {args.refresh} s, "
              f"retry {max(args.refresh // 2, 1)} s; queries counted at the primary (knotc stats)")
        flatns_argv = [args.flatns, "serve", "-c", os.path.join(folder, "flatns.yaml")]
        flatns = start("flatns", flatns_argv, folder)
        procs.append(flatns)
        observe("cold: flatns starts without zone files", socket, args.zones, args.seconds,
                until_transfers=args.zones)
        if not serves(flatns_port, args.zones - 1):
            print("  (flatns does not serve the last zone yet)")
        stop(flatns)
        flatns = start("flatns", flatns_argv, folder)
        procs.append(flatns)
        observe("warm: flatns restarts with every zone file", socket, args.zones, args.seconds)
        print(f"\nload average (1, 5, 15 min) at the end: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
