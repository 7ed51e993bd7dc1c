#!/usr/bin/env python3
"""Hosting-style zones for bench/hosting.sh (issue 16; not a test).

A DNS host serves many small zones. Zone i is d<i>.hosting.test with 9 records:

  @     SOA, NS ns1.hoster.test., NS ns2.hoster.test., MX 10 mail, TXT (SPF),
        A  10.x.y.z (from i, so that every zone's answer is its own)
  www   A  (the same address), AAAA 2001:db8::x:y
  mail  A  192.0.2.25

Files go to DIR/zones/<i // 1000>/<origin>.zone (a thousand a folder), and
DIR/zones.list gets one line per zone: "origin<TAB>file<TAB>apex address".

  hosting_zones.py write COUNT DIR         write the zones and the list
  hosting_zones.py probe I                 print "origin address" of zone I
  hosting_zones.py bump DIR I SERIAL       rewrite zone I with a new serial
  hosting_zones.py queries COUNT N OUT     dnsperf file: N queries over COUNT zones
"""
import os
import random
import sys

SERIAL = 2026120101


def origin(i: int) -> str:
    return f"d{i}.hosting.test"


def apex_ipv4(i: int) -> str:
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def zone_text(i: int, serial: int = SERIAL) -> str:
    o = origin(i)
    return (f"$ORIGIN {o}.\n$TTL 3600\n"
            f"@ IN SOA ns1.hoster.test. hostmaster.hoster.test. {serial} 7200 3600 1209600 300\n"
            "@ IN NS ns1.hoster.test.\n@ IN NS ns2.hoster.test.\n@ IN MX 10 mail\n"
            '@ IN TXT "v=spf1 mx -all"\n'
            f"@ IN A {apex_ipv4(i)}\nwww IN A {apex_ipv4(i)}\n"
            f"www IN AAAA 2001:db8::{(i >> 16) & 0xffff:x}:{i & 0xffff:x}\n"
            "mail IN A 192.0.2.25\n")


def zone_path(folder: str, i: int) -> str:
    return os.path.join(folder, "zones", str(i // 1000), origin(i) + ".zone")


def write(count: int, folder: str) -> None:
    with open(os.path.join(folder, "zones.list"), "w") as names:
        for i in range(count):
            path = zone_path(folder, i)
            if i % 1000 == 0:
                os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(zone_text(i))
            names.write(f"{origin(i)}\t{path}\t{apex_ipv4(i)}\n")


def bump(folder: str, i: int, serial: int) -> None:
    path = zone_path(folder, i)
    tmp = path + ".new"
    with open(tmp, "w") as f:
        f.write(zone_text(i, serial))
    os.replace(tmp, path)


def queries(count: int, n: int, out: str) -> None:
    rng = random.Random(16)
    with open(out, "w") as f:
        for _ in range(n):
            i = rng.randrange(count)
            f.write(f"www.{origin(i)} A\n" if rng.random() < 0.5 else f"{origin(i)} A\n")


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[0] == "write":
        write(int(argv[1]), argv[2])
    elif len(argv) == 2 and argv[0] == "probe":
        i = int(argv[1])
        print(origin(i), apex_ipv4(i))
    elif len(argv) == 4 and argv[0] == "bump":
        bump(argv[1], int(argv[2]), int(argv[3]))
    elif len(argv) == 4 and argv[0] == "queries":
        queries(int(argv[1]), int(argv[2]), argv[3])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
