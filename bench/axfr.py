#!/usr/bin/python3
"""AXFR and IXFR out: flatns against NSD and Knot in one run (issue 15). Not a test.

Generates a zone of --records records (gen.py's layout), serves a copy of it
from each of flatns, NSD and Knot on 127.0.0.1 (ports --port-base .. +2,
transfers allowed from 127.0.0.1, no TSIG), then:

1. AXFR: transfers it --rounds times from each in turn (flatns, NSD, Knot,
   flatns, ...) with `kdig AXFR` and reports per server the median and the
   min-max over the rounds of the wall time of the transfer as the client
   sees it (kdig started to kdig done, every record parsed) and of the
   server's CPU time spent meanwhile (the on-CPU nanoseconds of every thread
   of every process of the server's process group, from
   /proc/PID/task/TID/schedstat); then flatns's ratio to the faster of NSD
   and Knot, round by round (flatns's figure over the smaller of NSD's and
   Knot's in the same round), as median [min-max].
2. IXFR (unless --ixfr-changes 0): changes the address of --ixfr-changes
   host A records and the serial in each server's copy, has each reload it
   (SIGHUP to flatns and NSD, SIGHUP to knotd) and waits for the new serial;
   then `kdig IXFR=<old serial>` --rounds times from each, reporting the
   milliseconds kdig measures for the transfer ("in X ms") and the records
   it received: 4 SOA + 2 x changes for an incremental answer. flatns
   answers from its journal (computed at reload), Knot from its journal
   (`zonefile-load: difference`, `journal-content: changes`); NSD 4.6 has no
   IXFR-out from differences (that came with NSD 4.7's create-ixfr) and
   answers with the whole zone, which the table shows. Also reported: the
   seconds from the signal until the new serial was answered (the reload,
   with the difference computed).

The machine is shared: run it when nothing else runs; the rounds' min-max
shows how much the figures moved.

Usage: bench/axfr.py --flatns build/server/flatns [--records 1000000] [--rounds 5] [--ixfr-changes 10]
"""

import argparse
import os
import re
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
SERVERS = ("flatns", "nsd", "knot")
SERIAL = 2026120101  # gen.py's


def group_cpu_seconds(pgrp):
    """On-CPU seconds of every thread of every process in the process group
    (NSD answers from forked children), in nanoseconds from schedstat."""
    total_ns = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgrp:
                continue
            for tid in os.listdir(f"/proc/{entry}/task"):
                with open(f"/proc/{entry}/task/{tid}/schedstat") as f:
                    total_ns += int(f.read().split()[0])
        except (OSError, IndexError, ValueError):
            pass
    return total_ns / 1e9


def kdig(port, *args):
    return subprocess.run(["kdig", f"@{HOST}", "-p", str(port), "+timeout=30", "+retry=0", *args],
                          capture_output=True, text=True)


def serial_of(port):
    p = kdig(port, ORIGIN, "SOA", "+short", "+timeout=1")
    for line in p.stdout.splitlines():
        fields = line.split()
        if len(fields) == 7 and not line.startswith(";;"):
            return int(fields[2])
    return None


def wait_serial(port, serial, timeout=900):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if serial_of(port) == serial:
            return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} did not answer serial {serial} within {timeout} s")


def start(name, argv, folder):
    log = open(os.path.join(folder, f"{name}.log"), "wb")
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=folder, start_new_session=True)


def transfer_stats(p):
    """(records, kdig's milliseconds, octets, messages) from kdig +stat output."""
    text = p.stdout + p.stderr
    received = re.search(r"Received (\d+) B \((\d+) messages?, (\d+) records?\)", text)
    ms = re.search(r" in ([0-9.]+) ms", text)
    if p.returncode != 0 or not received or not ms:
        return None
    return int(received.group(3)), float(ms.group(1)), int(received.group(1)), int(received.group(2))


def spread(values, fmt="{:.3f}"):
    return f"{fmt.format(statistics.median(values))} [{fmt.format(min(values))}-{fmt.format(max(values))}]"


def write_configs(folder, zones, ports):
    with open(os.path.join(folder, "flatns.yaml"), "w") as f:
        f.write(f'server:\n  listen: ["{HOST}:{ports["flatns"]}"]\n  workers: 1\n'
                f"zones:\n  - name: {ORIGIN}\n    file: {zones['flatns']}\n    allow_transfer: [{{address: {HOST}}}]\n")
    with open(os.path.join(folder, "nsd.conf"), "w") as f:
        f.write(f'server:\n  ip-address: {HOST}\n  port: {ports["nsd"]}\n  server-count: 1\n  username: ""\n'
                f'  chroot: ""\n  zonesdir: "{folder}"\n  database: ""\n  pidfile: "{folder}/nsd.pid"\n'
                f'  xfrdfile: "{folder}/xfrd.state"\n  zonelistfile: "{folder}/zone.list"\n'
                f"remote-control:\n  control-enable: no\n"
                f'zone:\n  name: {ORIGIN}\n  zonefile: "{zones["nsd"]}"\n  provide-xfr: {HOST} NOKEY\n')
    with open(os.path.join(folder, "knot.conf"), "w") as f:
        f.write(f'server:\n  rundir: "{folder}"\n  listen: {HOST}@{ports["knot"]}\n  tcp-workers: 1\n'
                f"  udp-workers: 1\n  background-workers: 1\n"
                f'database:\n  storage: "{folder}"\nacl:\n  - id: xfr\n    address: {HOST}\n    action: transfer\n'
                f'zone:\n  - domain: {ORIGIN}\n    storage: "{folder}"\n    file: "{zones["knot"]}"\n    acl: xfr\n'
                f"    zonefile-load: difference\n    journal-content: changes\n    zonefile-sync: -1\n")


def change_zone(path, changes, serial):
    """Rewrites the serial and the address of host1 .. host<changes>."""
    wanted = {f"host{i}" for i in range(1, changes + 1)}
    tmp = path + ".new"
    with open(path) as src, open(tmp, "w") as dst:
        for line in src:
            fields = line.split()
            if len(fields) >= 4 and fields[1:3] == ["IN", "SOA"]:
                line = line.replace(f" {SERIAL} ", f" {serial} ")
            elif fields and fields[0] in wanted and fields[2] == "A":
                line = f"{fields[0]} IN A 172.16.0.{fields[0][4:]}\n"
            dst.write(line)
    os.replace(tmp, path)


def axfr_rounds(args, ports, procs):
    results = {name: {"wall": [], "cpu": [], "records": 0, "octets": 0, "messages": 0} for name in SERVERS}
    for _ in range(args.rounds):
        for name in SERVERS:
            cpu0 = group_cpu_seconds(procs[name].pid)
            t0 = time.monotonic()
            p = kdig(ports[name], ORIGIN, "AXFR", "+noall", "+stat")
            wall = time.monotonic() - t0
            cpu = group_cpu_seconds(procs[name].pid) - cpu0
            got = transfer_stats(p)
            if not got:
                raise RuntimeError(f"{name}: kdig AXFR failed:\n{p.stdout}{p.stderr}")
            results[name]["wall"].append(wall)
            results[name]["cpu"].append(cpu)
            results[name]["records"], _, results[name]["octets"], results[name]["messages"] = got
    return results


def print_axfr(results, records, rounds):
    print(f"AXFR of {ORIGIN}: {records} records in the zone file, {rounds} rounds (flatns, NSD, Knot in turn)")
    print(f"{'server':8} {'records':>8} {'octets':>10} {'messages':>8} {'wall s: median [min-max]':>28} "
          f"{'server CPU s: median [min-max]':>32}")
    for name in SERVERS:
        r = results[name]
        print(f"{name:8} {r['records']:8} {r['octets']:10} {r['messages']:8} {spread(r['wall']):>28} "
              f"{spread(r['cpu']):>32}")
    for what in ("wall", "cpu"):
        ratios = [results["flatns"][what][i] / max(min(results["nsd"][what][i], results["knot"][what][i]), 1e-9)
                  for i in range(rounds)]
        label = "time" if what == "wall" else "server CPU"
        print(f"flatns / faster of NSD and Knot, {label}: {spread(ratios, '{:.2f}')}x (round by round)")


def ixfr_rounds(args, ports, procs, zones):
    new_serial = SERIAL + 1
    reload_s = {}
    for name in SERVERS:
        change_zone(zones[name], args.ixfr_changes, new_serial)
        t0 = time.monotonic()
        os.kill(procs[name].pid, signal.SIGHUP)
        wait_serial(ports[name], new_serial)
        reload_s[name] = time.monotonic() - t0
    results = {name: {"ms": [], "records": 0} for name in SERVERS}
    for _ in range(args.rounds):
        for name in SERVERS:
            p = kdig(ports[name], ORIGIN, f"IXFR={SERIAL}", "+noall", "+stat")
            got = transfer_stats(p)
            if not got:
                raise RuntimeError(f"{name}: kdig IXFR failed:\n{p.stdout}{p.stderr}")
            results[name]["records"] = got[0]
            results[name]["ms"].append(got[1])
    incremental = 4 + 2 * args.ixfr_changes
    print(f"\nIXFR from serial {SERIAL} to {new_serial}: {args.ixfr_changes} A records changed "
          f"({incremental} records when incremental), {args.rounds} rounds")
    print(f"{'server':8} {'records':>8} {'kdig ms: median [min-max]':>28} {'reload s':>9}  answer")
    for name in SERVERS:
        r = results[name]
        kind = "incremental" if r["records"] == incremental else "whole zone (AXFR-style)"
        print(f"{name:8} {r['records']:8} {spread(r['ms'], '{:.1f}'):>28} {reload_s[name]:9.2f}  {kind}")
    fast = [n for n in ("nsd", "knot") if results[n]["records"] == incremental]
    if fast:
        ratios = [results["flatns"]["ms"][i] / min(results[n]["ms"][i] for n in fast) for i in range(args.rounds)]
        print(f"flatns / faster incremental of {' and '.join(fast)}, time: {spread(ratios, '{:.2f}')}x")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flatns", required=True)
    ap.add_argument("--records", type=int, default=1000000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--ixfr-changes", type=int, default=10, help="A records changed for the IXFR (0: no IXFR)")
    ap.add_argument("--port-base", type=int, default=27750)
    args = ap.parse_args()
    args.flatns = os.path.abspath(args.flatns)  # the servers run in the temp folder
    for tool in ("kdig", "nsd", "knotd"):
        if not (shutil.which(tool) or os.path.exists("/usr/sbin/" + tool)):
            print(f"needs {tool}")
            return 1
    folder = tempfile.mkdtemp(prefix="flatns-bench-axfr-")
    procs = {}
    try:
        master = os.path.join(folder, f"{ORIGIN}.zone")
        subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), "zone", ORIGIN, str(args.records), master],
                       check=True)
        records = sum(1 for line in open(master) if line.strip() and not line.startswith(("$", ";", " ", "\t")))
        zones = {}
        for name in SERVERS:  # each server its own copy, changed for the IXFR
            zones[name] = os.path.join(folder, f"{name}.{ORIGIN}.zone")
            shutil.copyfile(master, zones[name])
        ports = {name: args.port_base + i for i, name in enumerate(SERVERS)}
        write_configs(folder, zones, ports)
        procs["flatns"] = start("flatns", [args.flatns, "serve", "-c", os.path.join(folder, "flatns.yaml")], folder)
        procs["nsd"] = start("nsd", [shutil.which("nsd") or "/usr/sbin/nsd", "-d", "-c",
                                     os.path.join(folder, "nsd.conf")], folder)
        procs["knot"] = start("knot", [shutil.which("knotd") or "/usr/sbin/knotd", "-c",
                                       os.path.join(folder, "knot.conf")], folder)
        for name in SERVERS:
            wait_serial(ports[name], SERIAL)
        results = axfr_rounds(args, ports, procs)
        print_axfr(results, records, args.rounds)
        if args.ixfr_changes > 0:
            ixfr_rounds(args, ports, procs, zones)
        print(f"\nload average (1, 5, 15 min) at the end: {' '.join(open('/proc/loadavg').read().split()[:3])}")
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
