#!/usr/bin/env python3
"""Online signing end to end (issue 14): `flatns serve` signs a zone with a
CSK it makes in an empty keys folder; Unbound, with the DS that `flatns ds`
prints as its trust anchor and a stub-zone to flatns, must validate (AD=1,
no SERVFAIL) the flattened apex A and AAAA (a local target), a flattened
name whose target has no AAAA (signed NODATA), names that do not exist
(compact denial), an empty non-terminal, a wildcard, an unsigned delegation
(its DS NODATA), DNSKEY, CDS and CDNSKEY; delv (bind9-dnsutils), asking
flatns directly with the same DS, must say "fully validated" for each. A
second flatns whose keys are not the ones the DS names must make Unbound
SERVFAIL: the check can fail.

Ports: 127.0.0.1:25400-25499 (the first free ones). Exit 77 when unbound,
unbound-checkconf or delv is missing.
Usage: test_signing_e2e.py --flatns PATH
"""
import argparse
import os
import subprocess
import sys
import tempfile

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signing_e2e import (Checks, ask, check_delv, check_unbound, clean_up, free_ports,  # noqa: E402
                         missing_tool, start_flatns, start_unbound, write_anchor)


CO = 0x4000  # EDNS header flag "compact answers OK" (RFC 9824 §4)


def nsec_types(r, owner):
    """The types in the bitmap of the NSEC at `owner` in authority, or None."""
    for rrset in r.authority:
        if rrset.rdtype == dns.rdatatype.NSEC and rrset.name == dns.name.from_text(owner):
            # dnspython before 2.5 writes NXNAME (128) as TYPE128
            return {"NXNAME" if t == "TYPE128" else t for t in rrset[0].to_text().split()[1:]}
    return None


def check_direct(port):
    """RFC 9824 details asked of flatns itself: NXNAME queries, the CO flag,
    and the bitmap at a flattened name (A/AAAA as the target has them,
    whatever the type asked)."""
    checks = Checks()
    expect = checks.expect

    def direct(name, qtype, compact_ok=False):
        q = dns.message.make_query(name, qtype, want_dnssec=True, payload=1232)
        if compact_ok:
            q.ednsflags |= CO
        return dns.query.udp(q, "127.0.0.1", port=port, timeout=5)

    r = direct("signed.test.", 128)
    expect(r.rcode() == dns.rcode.FORMERR, f"NXNAME query: {dns.rcode.to_text(r.rcode())} (want FORMERR)")
    r = direct("nope.signed.test.", "A")
    types = nsec_types(r, "nope.signed.test.")
    expect(r.rcode() == dns.rcode.NOERROR and types == {"RRSIG", "NSEC", "NXNAME"},
           f"compact NXDOMAIN without CO: {dns.rcode.to_text(r.rcode())} NSEC types {types}")
    r = direct("nope.signed.test.", "A", compact_ok=True)
    types = nsec_types(r, "nope.signed.test.")
    expect(r.rcode() == dns.rcode.NXDOMAIN and types == {"RRSIG", "NSEC", "NXNAME"},
           f"compact NXDOMAIN with CO: {dns.rcode.to_text(r.rcode())} NSEC types {types}")
    for qtype in ("AAAA", "MX", "TXT", "CNAME"):
        r = direct("four.signed.test.", qtype)
        types = nsec_types(r, "four.signed.test.")
        expect(types == {"A", "RRSIG", "NSEC"},
               f"flattened four.signed.test. (target A only) {qtype} NODATA: NSEC types {types} (want A RRSIG NSEC)")
    for qtype in ("CNAME", "SRV"):
        r = direct("signed.test.", qtype)
        types = nsec_types(r, "signed.test.")
        expect(types is not None and {"A", "AAAA"} <= types,
               f"flattened apex (target A and AAAA) {qtype} NODATA: NSEC types {types}")
    return checks.failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flatns", required=True)
    args = ap.parse_args()
    tool = missing_tool("unbound", "unbound-checkconf", "delv")
    if tool:
        print(f"SKIP: {tool} not found")
        return 77
    work = tempfile.mkdtemp(prefix="flatns-signing-e2e-")
    procs = []
    failures = []
    try:
        flatns_port, unbound_port, wrong_port, unbound2_port = free_ports(4, 25400, 25440)
        proc, cfg = start_flatns(args.flatns, work, "flatns", flatns_port, "keys")
        procs.append(proc)
        keys = os.listdir(os.path.join(work, "keys"))
        private = [k for k in keys if k.endswith(".private")]
        assert len(private) == 1, keys
        assert oct(os.stat(os.path.join(work, "keys", private[0])).st_mode & 0o777) == "0o600"
        anchor, anchor_conf = write_anchor(args.flatns, cfg, work)
        procs.append(start_unbound(work, "unbound", unbound_port, flatns_port, anchor))
        failures += check_unbound(unbound_port)
        failures += check_delv(flatns_port, anchor_conf)
        failures += check_direct(flatns_port)

        # A signer with other keys: the DS does not match, Unbound must SERVFAIL.
        os.makedirs(os.path.join(work, "wrong"), exist_ok=True)
        subprocess.run([args.flatns, "keygen", "signed.test", os.path.join(work, "wrong", "keys")], check=True,
                       capture_output=True)
        proc2, _ = start_flatns(args.flatns, os.path.join(work, "wrong"), "wrong", wrong_port, "keys")
        procs.append(proc2)
        procs.append(start_unbound(work, "unbound2", unbound2_port, wrong_port, anchor))
        r = ask(unbound2_port, "signed.test.", "A")
        line = f"unbound with the wrong key: signed.test A: {dns.rcode.to_text(r.rcode())}"
        print(("ok   " if r.rcode() == dns.rcode.SERVFAIL else "FAIL ") + line)
        if r.rcode() != dns.rcode.SERVFAIL:
            failures.append(line)
    finally:
        clean_up(work, procs, failures, ("flatns.log", "unbound.log"))
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
