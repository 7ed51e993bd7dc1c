#!/usr/bin/env python3
"""Secondaries follow a re-sign of a zone signed online (issue 14): flatns,
primary of signed.test. signed online, re-signs the whole zone at a key
event a few seconds after start (the CSK signing at start goes inactive, a
second CSK, published from the start, becomes active: every RRSIG is made
anew), with no SIGHUP. It must serve a higher SOA serial and NOTIFY its
secondaries — a flatns secondary and a Knot secondary, both transferring
with TSIG — which must then serve that serial and the new signatures: the
same RRSIGs as the primary over the SOA, DNSKEY, MX, an address and the
NSEC of a NODATA, all by the new key, with a later inception than before.
delv (trust anchor: the DS of both keys) must say "fully validated" for
those answers asked of each secondary. The zone's SOA refresh is 7200 s:
only the NOTIFY makes the secondaries follow within the test.

What delv makes of each secondary's answer for a name that does not exist
and for a name under the wildcard is printed, not checked: a secondary
holds the NSEC of the names in the zone only, so it cannot prove a name
absent (README "Serial and secondaries").

Ports: 127.0.0.1:27400-27449 (the first free ones). Exit 77 when knotd or
delv is missing.
Usage: test_signing_secondary.py --flatns PATH
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import dns.dnssec
import dns.message
import dns.query
import dns.rdata
import dns.rdatatype
import dns.serial

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "transfer-interop"))

import peers  # noqa: E402  (tests/transfer-interop)
from signing_e2e import (Checks, check_delv, clean_up, free_ports, keygen, missing_tool,  # noqa: E402
                         set_timing, start_flatns)

LEAD = 5  # seconds from the keys' making to the key event

# No CNAME beside other data: Knot refuses such a zone.
ZONE = """$ORIGIN signed.test.
$TTL 3600
@        IN SOA  ns1 hostmaster 2026120401 7200 3600 1209600 300
@        IN NS   ns1
@        IN MX   10 mail
ns1      IN A    192.0.2.53
mail     IN A    192.0.2.25
host.ent IN A    192.0.2.7
*.wild   IN A    192.0.2.100
"""

# Answers whose RRSIGs each secondary must serve as the primary does.
QUERIES = [
    ("signed.test.", "SOA"),
    ("signed.test.", "DNSKEY"),
    ("signed.test.", "MX"),
    ("mail.signed.test.", "A"),
    ("mail.signed.test.", "TXT"),  # NODATA: the NSEC at mail, signed
]


def rrsigs(port, name, qtype):
    """{RRSIG text} in the answer and authority of a DO=1 query over TCP."""
    q = dns.message.make_query(name, qtype, want_dnssec=True, payload=4096)
    r = dns.query.tcp(q, "127.0.0.1", port=port, timeout=3)
    return {rd.to_text() for section in (r.answer, r.authority) for rrset in section
            if rrset.rdtype == dns.rdatatype.RRSIG for rd in rrset}


def signatures(port):
    """{(name, type): {RRSIG text}} for QUERIES, and the (key tag,
    inception) of every RRSIG in them."""
    sigs = {(n, t): rrsigs(port, n, t) for n, t in QUERIES}
    parsed = [dns.rdata.from_text("IN", "RRSIG", text) for texts in sigs.values() for text in texts]
    return sigs, {(rd.key_tag, rd.inception) for rd in parsed}


def dnskeys(port):
    q = dns.message.make_query("signed.test.", "DNSKEY", want_dnssec=True, payload=4096)
    r = dns.query.tcp(q, "127.0.0.1", port=port, timeout=3)
    return [rrset for rrset in r.answer if rrset.rdtype == dns.rdatatype.DNSKEY][0]


def write_anchor_conf(work, keyset):
    """delv's trust anchor: the DS (SHA-256) of every SEP key in `keyset`."""
    lines = []
    for key in keyset:
        if key.flags & 1:
            ds = dns.dnssec.make_ds("signed.test.", key, "SHA256")
            lines.append(f'signed.test. static-ds {ds.key_tag} {ds.algorithm} {ds.digest_type} "{ds.digest.hex()}";')
    path = os.path.join(work, "anchor.conf")
    with open(path, "w") as f:
        f.write("trust-anchors {\n" + "\n".join(lines) + "\n};\n")
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flatns", required=True)
    args = ap.parse_args()
    tool = missing_tool("knotd", "delv")
    if tool:
        print(f"SKIP: {tool} not found")
        return 77
    work = tempfile.mkdtemp(prefix="flatns-signing-secondary-")
    checks = Checks()
    expect = checks.expect
    procs, secondaries = [], []
    try:
        primary_port, flatns2_port, knot_port = free_ports(3, 27400, 27450)
        keys = os.path.join(work, "keys")
        old_file, old = keygen(args.flatns, keys)
        new_file, new = keygen(args.flatns, keys)
        event = int(time.time()) + LEAD
        set_timing(old_file, Inactive=event)
        set_timing(new_file, Activate=event)
        key = peers.KEY_NAME
        proc, _ = start_flatns(
            args.flatns, work, "flatns", primary_port, "keys", zone=ZONE,
            zone_lines=[f"allow_transfer: [{{address: 127.0.0.1, key: {key}}}]",
                        f'notify: [{{address: "127.0.0.1:{flatns2_port}", key: {key}}}, '
                        f'{{address: "127.0.0.1:{knot_port}", key: {key}}}]'],
            top_lines=["keys:", f"  - name: {key}", "    algorithm: hmac-sha256",
                       f'    secret: "{peers.KEY_SECRET}"'])
        procs.append(proc)
        secondaries = [peers.FlatnsSecondary(args.flatns, [("signed.test.", primary_port)], port=flatns2_port),
                       peers.KnotSecondary("signed.test.", primary_port, port=knot_port)]
        for s in secondaries:
            s.run()

        first = peers.soa_serial(primary_port, "signed.test.")
        for s in secondaries:
            s.wait_serial("signed.test.", first, timeout=LEAD)
        before, before_sigs = signatures(primary_port)
        expect(time.time() < event and {tag for tag, _ in before_sigs} == {old},
               f"before the event: serial {first} on every server, RRSIGs by {sorted({t for t, _ in before_sigs})} "
               f"(want {old} only)")
        for s in secondaries:
            sigs, _ = signatures(s.port)
            expect(sigs == before, f"before the event: {s.name} serves the primary's RRSIGs")

        # The key event: a re-sign pass at its time, a new serial, a NOTIFY.
        second, changed_at = first, None
        while time.time() < event + 4 and second == first:
            time.sleep(0.1)
            second = peers.soa_serial(primary_port, "signed.test.")
            changed_at = time.monotonic()
        expect(second != first and dns.serial.Serial(second) > first,
               f"primary after the event: serial {first} -> {second}")
        after, after_sigs = signatures(primary_port)
        expect({tag for tag, _ in after_sigs} == {new} and before_sigs
               and min(i for _, i in after_sigs) > max(i for _, i in before_sigs),
               f"primary after the event: RRSIGs by {sorted({t for t, _ in after_sigs})} (want {new} only), "
               f"inceptions {sorted({i for _, i in after_sigs})} after {sorted({i for _, i in before_sigs})}")
        for s in secondaries:
            try:
                s.wait_serial("signed.test.", second, timeout=5)
                took = time.monotonic() - changed_at
                expect(True, f"{s.name} serves serial {second} {took:.1f} s after the primary")
            except AssertionError as e:
                expect(False, f"{s.name} does not follow: {str(e)[:2000]}")
                continue
            sigs, _ = signatures(s.port)
            for what in QUERIES:
                expect(sigs[what] == after[what] and sigs[what],
                       f"{s.name} {' '.join(what)}: {len(sigs[what])} RRSIGs, the primary's new ones: "
                       f"{sigs[what] == after[what]}")

        anchor_conf = write_anchor_conf(work, dnskeys(primary_port))
        cases = [(name, qtype, "answer") for name, qtype in QUERIES]
        for s in secondaries:
            print(f"-- delv asking {s.name}")
            checks.failures += check_delv(s.port, anchor_conf, cases=cases)
            for name in ("nope.signed.test.", "x.wild.signed.test."):
                res = subprocess.run(["delv", "-a", anchor_conf, "+root=signed.test", "@127.0.0.1", "-p",
                                      str(s.port), name, "A"], capture_output=True, text=True, timeout=30)
                first_line = (res.stdout + res.stderr).strip().splitlines()[:1]
                print(f"info {s.name} {name} A (not checked): {first_line}")
    finally:
        for s in secondaries:
            if checks.failures:
                print(f"--- {s.name} log\n{s.log()[-3000:]}")
            s.cleanup()
        clean_up(work, procs, checks.failures, ("flatns.log",))
    return checks.exit_code()


if __name__ == "__main__":
    sys.exit(main())
