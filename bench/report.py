#!/usr/bin/env python3
"""Prints bench/compare.sh's tables from its raw result files (not a test).

runs.tsv:  mix server round sent completed lost qps lat_mean_s lat_max_s lat_sd_s cpu_s rcodes
           response_bytes (dnsperf's average response size: equal answers?) load1 (the
           machine's 1-minute load average after the run: wall-clock figures need it)
load.tsv:  case server records seconds rss_mib processes cpu_s (one row per round; medians shown)
Every figure in the tables is the median over the rounds; queries/s and
queries per CPU-second also show the spread [min-max] over the rounds, and a
ratio is marked "apart" only when the two servers' spreads do not overlap
(a lead to believe), "overlap" otherwise.
"""
import statistics
import sys

SERVERS = ["flatns", "nsd", "knot"]


def median(values):
    return statistics.median(values) if values else float("nan")


def ratio(a, b):
    return f"{a / b:.2f}" if b and b == b and a == a else "-"


def spread(values):
    return (min(values), max(values)) if values else (float("nan"), float("nan"))


def span(values):
    lo, hi = spread(values)
    return f"[{lo / 1000:.0f}k-{hi / 1000:.0f}k]"


def verdict(mine, theirs):
    """'apart' when the min-max spreads of the rounds do not overlap."""
    (a_lo, a_hi), (b_lo, b_hi) = spread(mine), spread(theirs)
    if len(mine) < 2 or len(theirs) < 2:
        return "1 round"  # a spread needs rounds
    return "apart" if a_lo > b_hi or a_hi < b_lo else "overlap"


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
    print(f"{'mix':<14} {'server':<7} {'rounds':>6} {'queries/s':>10} {'(min-max)':>13} {'lost':>8} "
          f"{'lat mean':>9} {'lat sd':>8} {'lat max':>8} {'CPU s':>7} {'q/CPU-s':>9} {'(min-max)':>13} {'resp B':>6} {'load':>5}  rcodes (last round)")
    for mix in mixes:
        for server in SERVERS:
            rs = rows.get((mix, server))
            if not rs:
                continue
            qps_all = [float(r[6]) for r in rs]
            qps = median(qps_all)
            lost = median([int(r[5]) for r in rs])
            mean_us = median([float(r[7]) * 1e6 for r in rs])
            max_us = median([float(r[8]) * 1e6 for r in rs])
            sd_us = median([float(r[9]) * 1e6 for r in rs])
            cpu = median([float(r[10]) for r in rs])
            per_cpu_all = [int(r[4]) / float(r[10]) for r in rs if float(r[10]) > 0]
            per_cpu = median(per_cpu_all)
            resp = rs[-1][12] if len(rs[-1]) > 12 else "?"
            loads = [float(r[13]) for r in rs if len(r) > 13 and r[13]]
            load = f"{median(loads):.1f}" if loads else "?"
            summary[(mix, server)] = (qps, per_cpu, qps_all, per_cpu_all)
            print(f"{mix:<14} {server:<7} {len(rs):>6} {qps:>10.0f} {span(qps_all):>13} {lost:>8.0f} "
                  f"{mean_us:>7.0f}us {sd_us:>6.0f}us {max_us:>6.0f}us {cpu:>7.2f} {per_cpu:>9.0f} {span(per_cpu_all):>13} "
                  f"{resp:>6} {load:>5}  {rs[-1][11]}")
    print()
    print(f"{'ratios (medians)':<30} {'queries/s':>10} {'spreads':>8} {'q/CPU-s':>9} {'spreads':>8}")
    for mix in mixes:
        mine = summary.get((mix, "flatns"))
        if not mine:
            continue
        for other, label in (("nsd", "NSD"), ("knot", "Knot")):
            theirs = summary.get((mix, other))
            if theirs:
                print(f"{mix + ': flatns/' + label:<30} {ratio(mine[0], theirs[0]):>10} "
                      f"{verdict(mine[2], theirs[2]):>8} {ratio(mine[1], theirs[1]):>9} {verdict(mine[3], theirs[3]):>8}")
    def own_ratio(mix, base, note=""):
        mine, theirs = summary.get((mix, "flatns")), summary.get((base, "flatns"))
        if mine and theirs:
            print(f"{mix + '/' + base + ' (flatns)':<30} {ratio(mine[0], theirs[0]):>10} "
                  f"{verdict(mine[2], theirs[2]):>8} {ratio(mine[1], theirs[1]):>9} {verdict(mine[3], theirs[3]):>8}"
                  f"{note}")

    def per_round(mix, base):
        """The ratio within each round (runs seconds apart), which a drift
        of the machine's load over the run disturbs less than the medians."""
        mine, theirs = summary.get((mix, "flatns")), summary.get((base, "flatns"))
        if mine and theirs and len(mine[3]) == len(theirs[3]) > 1:
            each = [a / b for a, b in zip(mine[3], theirs[3]) if b]
            print(f"{mix + '/' + base + ' per round':<30} q/CPU-s " + " ".join(f"{r:.2f}" for r in each) +
                  f", median {median(each):.2f}")

    for mix in mixes:
        if mix.startswith("flatten"):
            own_ratio(mix, "static")
    # Online signing (issue 14): the signed flattened answers against the
    # pre-signed DO=1 figure (target >= 0.8 per CPU-second), and against the
    # same answers unsigned; the compact denial against Knot's mod-onlinesign
    # is the signed-nx flatns/Knot row above (target >= 1.0 per CPU-second).
    own_ratio("signed-flat", "do", "  (issue 14 target: q/CPU-s >= 0.8)")
    per_round("signed-flat", "do")
    own_ratio("signed-flat", "flatten-cached")
    own_ratio("signed-static", "do")
    if summary.get(("signed-nx", "flatns")) and summary.get(("signed-nx", "knot")):
        print("(signed-nx: flatns/Knot, issue 14 target: q/CPU-s >= 1.0)")


def load_table(path):
    rows = {}
    with open(path) as f:
        for line in f:
            c = line.rstrip("\n").split("\t")
            if len(c) >= 6 and c[0] != "case":
                rows.setdefault((c[0], c[1]), []).append(c)
    if not rows:
        return
    print()
    print(f"{'load':<9} {'server':<7} {'records':>16} {'rounds':>6} {'first answer':>13} "
          f"{'CPU s':>6} {'RSS MiB':>8} {'procs':>5}")
    by = {}
    for (case, server), rs in rows.items():
        def med(i):
            vals = []
            for c in rs:
                try:
                    vals.append(float(c[i]))
                except (ValueError, IndexError):
                    pass
            return statistics.median(vals) if vals else None
        t, rss, cpu = med(3), med(4), med(6)
        show = lambda v, fmt: format(v, fmt) if v is not None else "-"
        print(f"{case:<9} {server:<7} {rs[0][2]:>16} {len(rs):>6} {show(t, '.2f'):>12}s "
              f"{show(cpu, '.2f'):>6} {show(rss, '.0f'):>8} {rs[0][5]:>5}")
        if t is not None and rss is not None:
            by[(case, server)] = (t, rss, cpu)
    for case in dict.fromkeys(k[0] for k in rows):
        mine = by.get((case, "flatns"))
        if not mine:
            continue
        for other, label in (("nsd", "NSD"), ("knot", "Knot")):
            theirs = by.get((case, other))
            if theirs:
                cpu = ""
                if mine[2] is not None and theirs[2] is not None:
                    cpu = f", CPU {ratio(mine[2], theirs[2])}"
                print(f"{case}: flatns/{label}: load time {ratio(mine[0], theirs[0])}, "
                      f"memory {ratio(mine[1], theirs[1])}{cpu}")


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
