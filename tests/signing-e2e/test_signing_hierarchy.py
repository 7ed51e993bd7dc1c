#!/usr/bin/env python3
"""Online signing with EXTERNAL flattened targets (issue 14's "done when",
and issue 5's incident in a signed zone).

A signed hierarchy (tests/resolver-e2e/hierarchy.py, NSD on 127.55.x.y:53,
taking turns through its lock file) holds the targets:

  .              127.55.0.1             signed; its KSK's DS is flatns's trust anchor
  tld1.          127.55.1.1 -> .201.1   relays to NSD: 127.55.1.1 a good copy,
                 127.55.1.2 -> .201.2   127.55.1.2 a copy whose signatures expired
                                        (the incident: one stale gtld server)
  secure.tld1.   127.55.10.1            signed: www A+AAAA, v4 A only

flatns serves shop.example. signed online (flatten: all): the apex CNAME ->
www.secure.tld1. and v4 CNAME -> v4.secure.tld1., resolved and validated by
its embedded resolver from the root. Unbound (trust anchor from `flatns ds`,
stub-zone to flatns) must give AD=1 for the flattened apex A and AAAA, the
signed NODATA of v4 AAAA (the target has no AAAA), a name that does not
exist and the apex MX; delv must say "fully validated" for each. The
incident: each of several cold flatns processes (same keys) resolves the
targets afresh while one of the two tld1 servers is stale; every answer
must still be AD=1, and the stale server must have been asked at least once
(else the scenario did not happen).

Ports: 127.0.0.1:25440-25479 (flatns, Unbound), hierarchy Unbound 25499.
Exit 77 when nsd, unbound, delv or ldns-signzone is missing.
Usage: test_signing_hierarchy.py --flatns PATH
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "resolver-e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "dnssec"))
sys.path.insert(0, os.path.join(HERE, "..", "flatten-e2e"))

import hierarchy  # noqa: E402
import relay  # noqa: E402  (tests/flatten-e2e)
import signing_e2e as e2e  # noqa: E402

ROOT = "127.55.0.1"
GOOD_TLD1, GOOD_BACKEND = "127.55.1.1", "127.55.201.1"
BAD_TLD1, BAD_BACKEND = "127.55.1.2", "127.55.201.2"
TARGETS_NS = "127.55.10.1"
TLD1_SERVERS = [("ns1.tld1.", GOOD_TLD1), ("ns2.tld1.", BAD_TLD1)]

ZONES = {
    ".": hierarchy.zone_text(".", [("ns.root.", ROOT)], [("tld1.", TLD1_SERVERS, 172800)]),
    "tld1.": hierarchy.zone_text("tld1.", TLD1_SERVERS, [("secure.tld1.", [("ns.secure.tld1.", TARGETS_NS)], 3600)]),
    "secure.tld1.": hierarchy.zone_text("secure.tld1.", [("ns.secure.tld1.", TARGETS_NS)], records=[
        "www.secure.tld1. 600 IN A 192.0.2.11", "www.secure.tld1. 700 IN AAAA 2001:db8::11",
        "v4.secure.tld1. 600 IN A 192.0.2.44"]),
}
LAYOUT = hierarchy.Layout(
    zones=ZONES, signing_order=["secure.tld1.", "tld1.", "."],
    parent={"secure.tld1.": "tld1.", "tld1.": "."}, unsigned=set(),
    servers={ROOT: ["."], GOOD_BACKEND: ["tld1."], BAD_BACKEND: ["tld1..expired"], TARGETS_NS: ["secure.tld1."]},
    root_address=ROOT, unbound_port=25499, nsec3_optout=set(), corrupt=[], expired_only=set(),
    workdir_prefix="flatns-signing-hierarchy-")

ZONE = """$ORIGIN shop.example.
$TTL 3600
@        IN SOA  ns1 hostmaster 2026120401 7200 3600 1209600 300
@        IN NS   ns1
@        IN MX   10 mail
@        IN CNAME www.secure.tld1.
ns1      IN A    192.0.2.53
mail     IN A    192.0.2.25
v4       IN CNAME v4.secure.tld1.
"""

CASES = [
    ("shop.example.", "A", "answer"),
    ("shop.example.", "AAAA", "answer"),
    ("shop.example.", "MX", "answer"),
    ("v4.shop.example.", "A", "answer"),
    ("v4.shop.example.", "AAAA", "nodata"),
    ("nope.shop.example.", "A", "nxdomain"),
]


def start_flatns(binary, workdir, port, root_ds):
    with open(os.path.join(workdir, "shop.example.zone"), "w") as f:
        f.write(ZONE)
    cfg = os.path.join(workdir, f"flatns-{port}.yaml")
    with open(cfg, "w") as f:
        f.write(f"""server:
  listen: ["127.0.0.1:{port}"]
  workers: 1
zones:
  - name: shop.example
    file: shop.example.zone
    flatten: all
    dnssec:
      signing: online
      keys: keys
resolver:
  root_hints: ["{ROOT}"]
  trust_anchors: {root_ds}
  qname_minimisation: false
flatten:
  deadline_ms: 3000
""")
    log = open(os.path.join(workdir, f"flatns-{port}.log"), "w")
    proc = subprocess.Popen([binary, "serve", "-c", cfg], stdout=log, stderr=subprocess.STDOUT)
    e2e.wait_udp(port, "shop.example.")
    return proc, cfg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flatns", required=True)
    args = ap.parse_args()
    tool = e2e.missing_tool("nsd", "unbound", "unbound-checkconf", "delv", "ldns-signzone", "ldns-keygen")
    if tool:
        print(f"SKIP: {tool} not found")
        return 77
    work = tempfile.mkdtemp(prefix="flatns-signing-hierarchy-")
    failures = []
    relays = []
    try:
        with hierarchy.Hierarchy(LAYOUT) as world:
            relays = [relay.Relay(GOOD_TLD1, GOOD_BACKEND), relay.Relay(BAD_TLD1, BAD_BACKEND)]
            bad = relays[1]
            root_ds = os.path.join(world.dir, "root.ds")
            ports = e2e.free_ports(20, 25440, 25480)
            # Cold runs: a new flatns each (empty caches), the same keys and DS.
            runs, asked_bad = 10, 0  # never asked in 10 runs: 1 in 1024 if chosen at random
            anchor = anchor_conf = None
            for run in range(runs):
                flatns_port, unbound_port = ports[2 * run], ports[2 * run + 1]
                start = time.monotonic()
                proc, cfg = start_flatns(args.flatns, work, flatns_port, root_ds)
                procs = [proc]
                try:
                    if anchor is None:
                        anchor, anchor_conf = e2e.write_anchor(args.flatns, cfg, work, "shop.example")
                    conf_dir = os.path.join(work, f"unbound-{run}")
                    os.makedirs(conf_dir, exist_ok=True)
                    procs.append(e2e.start_unbound(conf_dir, "unbound", unbound_port, flatns_port, anchor,
                                                   "shop.example"))
                    print(f"run {run + 1}/{runs}")
                    failures += e2e.check_unbound(unbound_port, CASES)
                    if run == 0:
                        failures += e2e.check_delv(flatns_port, anchor_conf, "shop.example", CASES)
                finally:
                    e2e.stop(procs)
                if bad.received(start):
                    asked_bad += 1
            print(f"incident: the stale tld1 server was asked in {asked_bad} of {runs} cold runs")
            if asked_bad == 0:
                failures.append(f"the stale tld1 server {BAD_TLD1} was never asked in {runs} runs: "
                                "the incident did not happen")
    finally:
        for r in relays:
            r.close()
        if failures:
            for name in sorted(os.listdir(work)):
                if name.endswith(".log"):
                    print(f"--- {name}\n" + open(os.path.join(work, name)).read()[-2000:])
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
