#!/usr/bin/env python3
"""Prints bench/compare.sh's tables from its raw result files (not a test).

runs.tsv:  mix server round sent completed lost qps lat_mean_s lat_max_s lat_sd_s cpu_s rcodes
           response_bytes (dnsperf's average response size: equal answers?) load1 (the
           machine's 1-minute load average after the run: wall-clock figures need it)
load.tsv:  case server records seconds rss_mib processes
Every figure in the tables is the median over the rounds.
"""
import statistics
import sys

SERVERS = ["flatns", "nsd", "knot"]


def median(values):
    return statistics.median(values) if values else float("nan")


def ratio(a, b):
    return f"{a / b:.2f}" if b and b == b and a == a else "-"


def runs_table(path):
    rows = {}
    with open(path) as f:
        for line in f:
            c = line.rstrip("\n").split("\t")
            if len(c) < 12 or c[0] == "mix":
                continue
            rows.setdefault((c[0], c[1]), []).append(c)
    mixes = []
    for mix, _ in rows:
        if mix not in mixes:
            mixes.append(mix)
    summary = {}
    print(f"{'mix':<9} {'server':<7} {'rounds':>6} {'queries/s':>10} {'lost':>8} "
          f"{'lat mean':>9} {'lat sd':>8} {'lat max':>8} {'CPU s':>7} {'q/CPU-s':>9} {'resp B':>6} {'load':>5}  rcodes (last round)")
    for mix in mixes:
        for server in SERVERS:
            rs = rows.get((mix, server))
            if not rs:
                continue
            qps = median([float(r[6]) for r in rs])
            lost = median([int(r[5]) for r in rs])
            mean_us = median([float(r[7]) * 1e6 for r in rs])
            max_us = median([float(r[8]) * 1e6 for r in rs])
            sd_us = median([float(r[9]) * 1e6 for r in rs])
            cpu = median([float(r[10]) for r in rs])
            per_cpu = median([int(r[4]) / float(r[10]) if float(r[10]) > 0 else float("nan")
                              for r in rs])
            resp = rs[-1][12] if len(rs[-1]) > 12 else "?"
            loads = [float(r[13]) for r in rs if len(r) > 13 and r[13]]
            load = f"{median(loads):.1f}" if loads else "?"
            summary[(mix, server)] = (qps, per_cpu)
            print(f"{mix:<9} {server:<7} {len(rs):>6} {qps:>10.0f} {lost:>8.0f} "
                  f"{mean_us:>7.0f}us {sd_us:>6.0f}us {max_us:>6.0f}us {cpu:>7.2f} {per_cpu:>9.0f} {resp:>6} {load:>5}  {rs[-1][11]}")
    print()
    print(f"{'ratios':<30} {'queries/s':>10} {'q/CPU-s':>9}")
    for mix in mixes:
        mine = summary.get((mix, "flatns"))
        if not mine:
            continue
        for other, label in (("nsd", "NSD"), ("knot", "Knot")):
            theirs = summary.get((mix, other))
            if theirs:
                print(f"{mix + ': flatns/' + label:<30} {ratio(mine[0], theirs[0]):>10} "
                      f"{ratio(mine[1], theirs[1]):>9}")
    static = summary.get(("static", "flatns"))
    for mix in mixes:
        flat = summary.get((mix, "flatns"))
        if mix.startswith("flatten") and flat and static:
            print(f"{mix + '/static (flatns)':<30} {ratio(flat[0], static[0]):>10} "
                  f"{ratio(flat[1], static[1]):>9}")


def load_table(path):
    rows = []
    with open(path) as f:
        for line in f:
            c = line.rstrip("\n").split("\t")
            if len(c) >= 6 and c[0] != "case":
                rows.append(c)
    if not rows:
        return
    print()
    print(f"{'load':<9} {'server':<7} {'records':>9} {'first answer':>13} {'RSS MiB':>8} {'procs':>5}")
    by = {}
    for c in rows:
        print(f"{c[0]:<9} {c[1]:<7} {c[2]:>9} {c[3]:>12}s {c[4]:>8} {c[5]:>5}")
        try:
            by[(c[0], c[1])] = (float(c[3]), float(c[4]))
        except ValueError:
            pass
    for case in dict.fromkeys(c[0] for c in rows):
        mine = by.get((case, "flatns"))
        if not mine:
            continue
        for other, label in (("nsd", "NSD"), ("knot", "Knot")):
            theirs = by.get((case, other))
            if theirs:
                print(f"{case}: flatns/{label}: load time {ratio(mine[0], theirs[0])}, "
                      f"memory {ratio(mine[1], theirs[1])}")


def main():
    if len(sys.argv) < 2:
        print("usage: report.py RUNS.tsv [LOAD.tsv]", file=sys.stderr)
        return 2
    runs_table(sys.argv[1])
    if len(sys.argv) > 2:
        load_table(sys.argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
