#!/usr/bin/env python3
"""Zone and query generator for bench/compare.sh (not a test).

The zone layout is deterministic so that query files can name existing
records without reading the zone back:

  apex:        SOA, 2 NS, MX, A, AAAA
  ns1, ns2:    A
  host<i>:     A 10.x.y.z for every i < hosts; AAAA as well when i % 3 == 0

hosts is chosen so that the zone holds about RECORDS records.
"""
import argparse
import random
import sys


def host_count(records: int) -> int:
    # hosts A records plus hosts/3 AAAA records ~= records - 8 fixed records
    return max(3, (max(records - 8, 4) * 3) // 4)


def host_ipv4(i: int) -> str:
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def host_ipv6(i: int) -> str:
    return f"2001:db8::{(i >> 16) & 0xffff:x}:{i & 0xffff:x}"


def soa_block(origin: str) -> str:
    return (f"$ORIGIN {origin}.\n$TTL 3600\n"
            f"@ IN SOA ns1.{origin}. hostmaster.{origin}. 2026120101 7200 3600 1209600 300\n")


def write_zone(origin: str, records: int, out: str) -> None:
    hosts = host_count(records)
    with open(out, "w") as f:
        f.write(soa_block(origin))
        f.write(f"@ IN NS ns1.{origin}.\n@ IN NS ns2.{origin}.\n@ IN MX 10 host0.{origin}.\n"
                "@ IN A 192.0.2.1\n@ IN AAAA 2001:db8::1\n"
                "ns1 IN A 192.0.2.53\nns2 IN A 192.0.2.54\n")
        lines = []
        for i in range(hosts):
            lines.append(f"host{i} IN A {host_ipv4(i)}\n")
            if i % 3 == 0:
                lines.append(f"host{i} IN AAAA {host_ipv6(i)}\n")
            if len(lines) >= 65536:
                f.writelines(lines)
                lines.clear()
        f.writelines(lines)


def write_queries(origin: str, records: int, count: int, out: str, seed: int,
                  existing_only: bool = False) -> None:
    """70% existing A, 10% existing AAAA, 10% NXDOMAIN, 10% apex A; with
    existing_only the NXDOMAIN tenth asks existing A names too."""
    hosts = host_count(records)
    rng = random.Random(seed)
    with open(out, "w") as f:
        for _ in range(count):
            r = rng.random()
            if r < 0.70 or (existing_only and 0.80 <= r < 0.90):
                f.write(f"host{rng.randrange(hosts)}.{origin} A\n")
            elif r < 0.80:
                f.write(f"host{3 * rng.randrange((hosts + 2) // 3)}.{origin} AAAA\n")
            elif r < 0.90:
                f.write(f"nx{rng.randrange(1 << 30)}.{origin} A\n")
            else:
                f.write(f"{origin} A\n")


def write_nonexistent(origin: str, count: int, out: str, seed: int) -> None:
    """`count` A queries for random names that do not exist (nx<30 random
    bits>.origin): a server cannot answer them from a cache of earlier
    answers, as long as each file is sent once."""
    rng = random.Random(seed)
    with open(out, "w") as f:
        f.writelines(f"nx{rng.getrandbits(30)}.{origin} A\n" for _ in range(count))


def write_apex_cname_zones(prefix: str, target_origin: str, records: int, zones: int, zone_dir: str,
                           zone_list: str, count: int, queries: str, seed: int, glue: bool,
                           warm: str | None = None) -> None:
    """Zones <prefix><i>.flat whose apex CNAME points at host<i % hosts> of
    target_origin, and `count` queries for their apex A in random order.
    zone_list receives one origin per line, `warm` (when given) each zone's
    query once. glue: the zone's NS is its own ns1 (192.0.2.53), else
    ns1.<target_origin>."""
    hosts = host_count(records)
    with open(zone_list, "w") as names, open(warm or "/dev/null", "w") as w:
        for z in range(zones):
            origin = f"{prefix}{z}.flat"
            ns = f"@ IN NS ns1.{origin}.\nns1 IN A 192.0.2.53\n" if glue else f"@ IN NS ns1.{target_origin}.\n"
            with open(f"{zone_dir}/{origin}.zone", "w") as f:
                f.write(soa_block(origin))
                f.write(ns + f"@ IN CNAME host{z % hosts}.{target_origin}.\n")
            names.write(origin + "\n")
            w.write(f"{origin} A\n")
    rng = random.Random(seed)
    with open(queries, "w") as f:
        for _ in range(count):
            f.write(f"{prefix}{rng.randrange(zones)}.flat A\n")


def write_flatten(target_origin: str, records: int, zones: int, zone_dir: str,
                  zone_list: str, count: int, queries: str, seed: int) -> None:
    """Zones f<i>.flat whose apex CNAME points at an existing host in
    target_origin (flatns flattens them locally)."""
    write_apex_cname_zones("f", target_origin, records, zones, zone_dir, zone_list, count, queries, seed,
                           glue=False)


def write_flatten_external(target_origin: str, records: int, zones: int, zone_dir: str,
                           zone_list: str, count: int, queries: str, warm: str, seed: int,
                           prefix: str = "x") -> None:
    """Zones x<i>.flat whose apex CNAME points at a host of target_origin, a
    zone flatns does not serve: flatns resolves it through its resolver (a
    forwarder on loopback) and answers from its flattened-answer cache once
    warm. `warm` receives each zone's query once, to fill the cache."""
    write_apex_cname_zones(prefix, target_origin, records, zones, zone_dir, zone_list, count, queries, seed,
                           glue=True, warm=warm)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    z = sub.add_parser("zone", help="write a zone of about RECORDS records")
    z.add_argument("origin")
    z.add_argument("records", type=int)
    z.add_argument("out")
    q = sub.add_parser("queries", help="write a dnsperf query file for the mix")
    q.add_argument("origin")
    q.add_argument("records", type=int)
    q.add_argument("count", type=int)
    q.add_argument("out")
    q.add_argument("--seed", type=int, default=1)
    q.add_argument("--existing", action="store_true", help="no NXDOMAIN queries: existing A names instead")
    nx = sub.add_parser("nx", help="write queries for random names that do not exist")
    nx.add_argument("origin")
    nx.add_argument("count", type=int)
    nx.add_argument("out")
    nx.add_argument("--seed", type=int, default=6)
    fl = sub.add_parser("flatten", help="write apex-CNAME zones and their queries")
    fl.add_argument("target_origin")
    fl.add_argument("records", type=int)
    fl.add_argument("zones", type=int)
    fl.add_argument("zone_dir")
    fl.add_argument("zone_list")
    fl.add_argument("count", type=int)
    fl.add_argument("queries")
    fl.add_argument("--seed", type=int, default=2)
    fx = sub.add_parser("flatten-external",
                        help="write apex-CNAME zones pointing outside the served zones, and their queries")
    fx.add_argument("target_origin")
    fx.add_argument("records", type=int)
    fx.add_argument("zones", type=int)
    fx.add_argument("zone_dir")
    fx.add_argument("zone_list")
    fx.add_argument("count", type=int)
    fx.add_argument("queries")
    fx.add_argument("warm")
    fx.add_argument("--seed", type=int, default=4)
    fx.add_argument("--prefix", default="x", help="zone names <prefix><i>.flat (default x)")
    h = sub.add_parser("probe", help="print 'NAME IPV4' of the last host (a load-time probe)")
    h.add_argument("origin")
    h.add_argument("records", type=int)
    h.add_argument("--index", type=int, help="this host instead of the last")
    a = p.parse_args()
    if a.cmd == "zone":
        write_zone(a.origin, a.records, a.out)
    elif a.cmd == "queries":
        write_queries(a.origin, a.records, a.count, a.out, a.seed, a.existing)
    elif a.cmd == "nx":
        write_nonexistent(a.origin, a.count, a.out, a.seed)
    elif a.cmd == "flatten":
        write_flatten(a.target_origin, a.records, a.zones, a.zone_dir, a.zone_list,
                      a.count, a.queries, a.seed)
    elif a.cmd == "flatten-external":
        write_flatten_external(a.target_origin, a.records, a.zones, a.zone_dir, a.zone_list,
                               a.count, a.queries, a.warm, a.seed, a.prefix)
    elif a.cmd == "probe":
        i = host_count(a.records) - 1 if a.index is None else a.index
        print(f"host{i}.{a.origin} {host_ipv4(i)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
