#!/usr/bin/python3
"""AXFR out: flatns against NSD and Knot in one run (issue 15). Not a test.

Generates a zone of --records records (gen.py's layout), serves it from
flatns, NSD and Knot on 127.0.0.1 (ports --port-base .. +2, transfers
allowed from 127.0.0.1, no TSIG), then transfers it --rounds times from
each in turn with `kdig AXFR` and reports, per server, the best and median
wall time of the transfer as kdig sees it and the server's CPU time
(user+system from /proc/PID/stat) spent on it, and flatns's ratio to the
faster of NSD and Knot.

Usage: bench/axfr.py --flatns build/server/flatns [--records 1000000] [--rounds 5]
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ORIGIN = "bench.example"
HOST = "127.0.0.1"


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime


def process_cpu(pid):
    """CPU seconds of every process in the server's process group (NSD
    answers from forked children), each with all its threads."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[2]) == pid:  # pgrp
                total += cpu_seconds(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    return total


def wait_soa(port, timeout=600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        p = subprocess.run(["kdig", f"@{HOST}", "-p", str(port), ORIGIN, "SOA", "+short", "+timeout=1", "+retry=0"],
                           capture_output=True, text=True)
        if any(line and not line.startswith(";;") for line in p.stdout.splitlines()):
            return
        time.sleep(0.2)
    raise RuntimeError(f"nothing answers {ORIGIN} SOA on port {port}")


def start(name, argv, folder):
    log = open(os.path.join(folder, f"{name}.log"), "wb")
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=folder, start_new_session=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flatns", required=True)
    ap.add_argument("--records", type=int, default=1000000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--port-base", type=int, default=27750)
    args = ap.parse_args()
    for tool in ("kdig", "nsd", "knotd"):
        if not (shutil.which(tool) or os.path.exists("/usr/sbin/" + tool)):
            print(f"needs {tool}")
            return 1
    folder = tempfile.mkdtemp(prefix="flatns-bench-axfr-")
    procs = {}
    try:
        zone = os.path.join(folder, f"{ORIGIN}.zone")
        subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), "zone", ORIGIN, str(args.records), zone],
                       check=True)
        records = sum(1 for line in open(zone) if line.strip() and not line.startswith(("$", ";", " ", "\t")))
        ports = {"flatns": args.port_base, "nsd": args.port_base + 1, "knot": args.port_base + 2}
        with open(os.path.join(folder, "flatns.yaml"), "w") as f:
            f.write(f'server:\n  listen: ["{HOST}:{ports["flatns"]}"]\n  workers: 1\n'
                    f"zones:\n  - name: {ORIGIN}\n    file: {zone}\n    allow_transfer: [{{address: {HOST}}}]\n")
        with open(os.path.join(folder, "nsd.conf"), "w") as f:
            f.write(f'server:\n  ip-address: {HOST}\n  port: {ports["nsd"]}\n  server-count: 1\n  username: ""\n'
                    f'  chroot: ""\n  zonesdir: "{folder}"\n  database: ""\n  pidfile: "{folder}/nsd.pid"\n'
                    f'  xfrdfile: "{folder}/xfrd.state"\n  zonelistfile: "{folder}/zone.list"\n'
                    f"remote-control:\n  control-enable: no\n"
                    f'zone:\n  name: {ORIGIN}\n  zonefile: "{zone}"\n  provide-xfr: {HOST} NOKEY\n')
        with open(os.path.join(folder, "knot.conf"), "w") as f:
            f.write(f'server:\n  rundir: "{folder}"\n  listen: {HOST}@{ports["knot"]}\n  tcp-workers: 1\n'
                    f"  udp-workers: 1\n  background-workers: 1\n"
                    f'database:\n  storage: "{folder}"\nacl:\n  - id: xfr\n    address: {HOST}\n    action: transfer\n'
                    f'zone:\n  - domain: {ORIGIN}\n    storage: "{folder}"\n    file: "{zone}"\n    acl: xfr\n'
                    f"    journal-content: none\n    zonefile-sync: -1\n")
        procs["flatns"] = start("flatns", [args.flatns, "serve", "-c", os.path.join(folder, "flatns.yaml")], folder)
        procs["nsd"] = start("nsd", [shutil.which("nsd") or "/usr/sbin/nsd", "-d", "-c",
                                     os.path.join(folder, "nsd.conf")], folder)
        procs["knot"] = start("knot", [shutil.which("knotd") or "/usr/sbin/knotd", "-c",
                                       os.path.join(folder, "knot.conf")], folder)
        for name, port in ports.items():
            wait_soa(port)
        results = {name: {"wall": [], "cpu": []} for name in ports}
        for _ in range(args.rounds):
            for name, port in ports.items():
                pid = procs[name].pid
                cpu0 = process_cpu(pid)
                t0 = time.monotonic()
                p = subprocess.run(["kdig", f"@{HOST}", "-p", str(port), ORIGIN, "AXFR", "+noall", "+stat"],
                                   capture_output=True, text=True)
                wall = time.monotonic() - t0
                cpu = process_cpu(pid) - cpu0
                if p.returncode != 0 or "Received" not in p.stdout + p.stderr:
                    raise RuntimeError(f"{name}: kdig AXFR failed:\n{p.stdout}{p.stderr}")
                results[name]["wall"].append(wall)
                results[name]["cpu"].append(cpu)
        print(f"AXFR of {ORIGIN}: {records} records, {args.rounds} rounds (flatns, NSD, Knot in turn)")
        print(f"{'server':8} {'best s':>8} {'median s':>9} {'CPU s (median)':>15}")
        for name, r in results.items():
            print(f"{name:8} {min(r['wall']):8.3f} {statistics.median(r['wall']):9.3f} "
                  f"{statistics.median(r['cpu']):15.3f}")
        fastest = min(statistics.median(results[n]["wall"]) for n in ("nsd", "knot"))
        fastest_cpu = min(statistics.median(results[n]["cpu"]) for n in ("nsd", "knot"))
        print(f"flatns / faster of NSD and Knot: time {statistics.median(results['flatns']['wall']) / fastest:.2f}x, "
              f"server CPU {statistics.median(results['flatns']['cpu']) / max(fastest_cpu, 1e-9):.2f}x")
    finally:
        for p in procs.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
