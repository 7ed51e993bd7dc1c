#!/usr/bin/env python3
"""NSEC3 white lies end to end (issue 14, `denial: nsec3`): the zone of
test_signing_e2e.py (a flattened apex, a flattened name whose target has no
AAAA, an empty non-terminal, a wildcard, an unsigned delegation) signed
online with NSEC3 denial. Unbound (trust anchor from `flatns ds`, stub-zone
to flatns) must give AD=1 and the rcode expected — NXDOMAIN for names that
do not exist — and delv must say "fully validated", for each case. Asked
directly, flatns must answer RFC 5155's proofs with white lies: NXDOMAIN
with three NSEC3 (the closest encloser's matching record, covers of the
next closer name and of the wildcard, each cover owner h-1 and next h+1
around the hash h it denies, hashes checked with dnspython), an NSEC3PARAM
of RFC 9276's parameters, and a name's matching NSEC3 listing the same
types whatever the query type (at a flattened name, A and AAAA as the
target has them, in its NODATA and where it is an NXDOMAIN's closest
encloser). A flatns whose keys are not the ones the DS names must make
Unbound SERVFAIL: the check can fail.

ldns-verify-zone/dnssec-verify do not fit here: the zone holds no NSEC3
chain to verify (each record is made for one answer); Unbound and delv
check every proof instead.

Ports: 127.0.0.1:27200-27239 (the first free ones). Exit 77 when unbound,
unbound-checkconf or delv is missing.
Usage: test_signing_nsec3.py --flatns PATH
"""
import argparse
import base64
import os
import subprocess
import sys
import tempfile

import dns.dnssec
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signing_e2e import CASES as COMPACT_CASES  # noqa: E402
from signing_e2e import (Checks, ask, check_delv, check_unbound, clean_up, free_ports,  # noqa: E402
                         missing_tool, start_flatns, start_unbound, write_anchor)

ZONE = dns.name.from_text("signed.test.")

# The compact-denial cases, names that do not exist with a true NXDOMAIN,
# and the NSEC3PARAM.
CASES = [(name, qtype, "NXDOMAIN" if want == "nxdomain" else want) for name, qtype, want in COMPACT_CASES] + [
    ("signed.test.", "NSEC3PARAM", "answer"),
    ("nope.ent.signed.test.", "A", "NXDOMAIN"),
]


def direct(port, name, qtype):
    q = dns.message.make_query(name, qtype, want_dnssec=True, payload=1232)
    return dns.query.udp(q, "127.0.0.1", port=port, timeout=5)


def hash_of(name):
    """The raw SHA-1 NSEC3 hash (RFC 9276: 0 iterations, no salt)."""
    text = dns.dnssec.nsec3_hash(name, salt=None, iterations=0, algorithm=1)
    return int.from_bytes(base64.b32hexdecode(text.upper()), "big")


def nsec3s(r):
    """{owner hash: (next hash, set of type names)} of the NSEC3 in authority."""
    out = {}
    for rrset in r.authority:
        if rrset.rdtype != dns.rdatatype.NSEC3:
            continue
        owner = int.from_bytes(base64.b32hexdecode(rrset.name.labels[0].upper()), "big")
        rd = rrset[0]
        assert (rd.algorithm, rd.flags, rd.iterations, rd.salt) == (1, 0, 0, b""), rd
        types = set(rd.to_text().split()[5:])
        out[owner] = (int.from_bytes(rd.next, "big"), types)
    return out


def check_direct(port):
    checks = Checks()
    expect = checks.expect

    mod = 1 << 160
    r = direct(port, "signed.test.", "NSEC3PARAM")
    param = [rr for rr in r.answer if rr.rdtype == dns.rdatatype.NSEC3PARAM]
    expect(param and param[0][0].to_text() == "1 0 0 -", f"NSEC3PARAM: {param[0][0].to_text() if param else None}")

    apex_types = {}
    for qtype in ("CNAME", "SRV"):
        r = direct(port, "signed.test.", qtype)
        n = nsec3s(r)
        h = hash_of("signed.test.")
        apex_types[qtype] = n.get(h, (None, None))[1]
        expect(r.rcode() == dns.rcode.NOERROR and h in n and n[h][0] == (h + 1) % mod and {"A", "AAAA"} <= n[h][1],
               f"apex {qtype} NODATA: matching NSEC3 types {apex_types[qtype]}")

    # NXDOMAIN: the closest encloser (the flattened apex) matches, the next
    # closer name and the wildcard at the apex are covered by h-1 .. h+1.
    r = direct(port, "deeper.nope.signed.test.", "A")
    n = nsec3s(r)
    ce, nc, wild = hash_of("signed.test."), hash_of("nope.signed.test."), hash_of("*.signed.test.")
    covers = {h: ((h - 1) % mod) in n and n[(h - 1) % mod] == ((h + 1) % mod, set()) for h in (nc, wild)}
    expect(r.rcode() == dns.rcode.NXDOMAIN and len(n) == 3 and ce in n and all(covers.values())
           and n[ce][1] == apex_types["CNAME"],
           f"NXDOMAIN: {dns.rcode.to_text(r.rcode())}, {len(n)} NSEC3, closest encloser matched with types "
           f"{n.get(ce, (0, None))[1]}, covers {covers}")

    # The bitmap at a flattened name is the same whatever the type asked.
    h = hash_of("four.signed.test.")
    seen = set()
    for qtype in ("AAAA", "MX", "TXT", "CNAME"):
        n = nsec3s(direct(port, "four.signed.test.", qtype))
        types = n.get(h, (None, None))[1]
        seen.add(frozenset(types or ()))
        expect(types == {"A", "RRSIG"}, f"four.signed.test. (target A only) {qtype} NODATA: NSEC3 types {types}")
    r = direct(port, "x.four.signed.test.", "A")
    types = nsec3s(r).get(h, (None, None))[1]
    expect(r.rcode() == dns.rcode.NXDOMAIN and types == {"A", "RRSIG"},
           f"x.four.signed.test. NXDOMAIN: closest encloser four's NSEC3 types {types}")

    # An empty non-terminal has no types; an unsigned delegation NS only.
    n = nsec3s(direct(port, "ent.signed.test.", "TXT"))
    expect(n.get(hash_of("ent.signed.test."), (0, None))[1] == set(), f"ENT NODATA: {n}")
    r = direct(port, "host.sub.signed.test.", "A")
    n = nsec3s(r)
    types = n.get(hash_of("sub.signed.test."), (0, None))[1]
    expect(not r.flags & dns.flags.AA and types == {"NS"}, f"referral to sub: NSEC3 types {types}")

    # A wildcard answer: the wildcard's RRSIG (labels 3) and the next closer name's cover.
    r = direct(port, "y.z.wild.signed.test.", "A")
    n = nsec3s(r)
    nc = hash_of("z.wild.signed.test.")
    sigs = [rr for rr in r.answer if rr.rdtype == dns.rdatatype.RRSIG]
    expect(sigs and sigs[0][0].labels == 3 and n == {(nc - 1) % mod: ((nc + 1) % mod, set())},
           f"wildcard answer: RRSIG labels {sigs[0][0].labels if sigs else None}, NSEC3 {len(n)}")
    return checks.failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flatns", required=True)
    args = ap.parse_args()
    tool = missing_tool("unbound", "unbound-checkconf", "delv")
    if tool:
        print(f"SKIP: {tool} not found")
        return 77
    work = tempfile.mkdtemp(prefix="flatns-signing-nsec3-")
    procs = []
    failures = []
    try:
        flatns_port, unbound_port, wrong_port, unbound2_port = free_ports(4, 27200, 27240)
        proc, cfg = start_flatns(args.flatns, work, "flatns", flatns_port, "keys", denial="nsec3")
        procs.append(proc)
        anchor, anchor_conf = write_anchor(args.flatns, cfg, work)
        procs.append(start_unbound(work, "unbound", unbound_port, flatns_port, anchor))
        failures += check_unbound(unbound_port, CASES)
        failures += check_delv(flatns_port, anchor_conf, cases=CASES)
        failures += check_direct(flatns_port)

        # Other keys than the DS names: Unbound must SERVFAIL, NXDOMAIN included.
        os.makedirs(os.path.join(work, "wrong"), exist_ok=True)
        subprocess.run([args.flatns, "keygen", "signed.test", os.path.join(work, "wrong", "keys")], check=True,
                       capture_output=True)
        proc2, _ = start_flatns(args.flatns, os.path.join(work, "wrong"), "wrong", wrong_port, "keys",
                                denial="nsec3")
        procs.append(proc2)
        procs.append(start_unbound(work, "unbound2", unbound2_port, wrong_port, anchor))
        for name, qtype in (("signed.test.", "A"), ("nope.signed.test.", "A")):
            r = ask(unbound2_port, name, qtype)
            line = f"unbound with the wrong key: {name} {qtype}: {dns.rcode.to_text(r.rcode())}"
            print(("ok   " if r.rcode() == dns.rcode.SERVFAIL else "FAIL ") + line)
            if r.rcode() != dns.rcode.SERVFAIL:
                failures.append(line)
    finally:
        clean_up(work, procs, failures, ("flatns.log", "unbound.log"))
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
