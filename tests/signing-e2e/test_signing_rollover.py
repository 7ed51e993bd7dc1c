#!/usr/bin/env python3
"""Key rollovers of a zone signed online, each step validated by Unbound
(issue 14), driven as an operator would: key files from `flatns keygen`,
their timing fields edited (as dnssec-settime does), SIGHUP.

Algorithm rollover ecdsap256sha256 -> ed25519 in RFC 6781 §4.1.4's order,
with one Unbound (trust anchor: the old DS) kept running through the steps
that do not change the DS, so its cached DNSKEY RRset is the one the order
protects:
  1 new RRSIGs    the ed25519 CSK signs (Activate past) before its DNSKEY is
                  published (Publish future): RRSIGs of both algorithms, DNSKEY 13 only
  2 new DNSKEY    its DNSKEY published: DNSKEY 13 and 15
  3 new DS        a second Unbound with the ed25519 DS only validates
  4 DNSKEY removal  the old key's Delete passed, Inactive not: DNSKEY 15 only,
                  RRSIGs of both
  5 RRSIG removal the old key's Inactive passed: RRSIGs of 15 only
Then a ZSK pre-publication roll: 6 a new ZSK published, not active (the CSK
still signs everything; a third Unbound caches the DNSKEY RRset now), 7 the
ZSK active: it signs the zone, the CSK the DNSKEY RRset, and that Unbound
validates with the DNSKEY RRset it cached before. At each step every query must be AD=1 (new names each time,
so the answer is validated anew) and the RRsets must be as listed.

Ports: 127.0.0.1:25480-25497. Exit 77 when unbound or unbound-checkconf is missing.
Usage: test_signing_rollover.py --flatns PATH
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import signing_e2e as e2e  # noqa: E402

HOUR = 3600
YEAR = 365 * 86400


def set_timing(private, **offsets):
    """Sets timing fields of a key (publish=, activate=, inactive=, delete=:
    seconds from now)."""
    now = time.time()
    e2e.set_timing(private, **{name.capitalize(): now + offset for name, offset in offsets.items()})


def keygen(flatns, keys, *extra):
    return e2e.keygen(flatns, keys, *extra)[0]


def direct(port, qtype):
    q = dns.message.make_query("signed.test.", qtype, want_dnssec=True, payload=4096)
    return dns.query.tcp(q, "127.0.0.1", port=port, timeout=5)


def algorithms(port, qtype, what):
    """Algorithms of the DNSKEYs (what="keys") or of the RRSIGs over qtype."""
    r = direct(port, qtype)
    algs = set()
    for rrset in r.answer:
        if what == "keys" and rrset.rdtype == dns.rdatatype.DNSKEY:
            algs |= {rd.algorithm for rd in rrset}
        if what == "sigs" and rrset.rdtype == dns.rdatatype.RRSIG:
            algs |= {rd.algorithm for rd in rrset if rd.type_covered == dns.rdatatype.from_text(qtype)}
    return {int(a) for a in algs}


def zsk_signs(port):
    """Key tags and flags: which key signs the SOA."""
    r = direct(port, "DNSKEY")
    flags = {}
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.DNSKEY:
            for rd in rrset:
                flags[dns.dnssec.key_id(rd)] = rd.flags
    soa = direct(port, "SOA")
    tags = {rd.key_tag for rrset in soa.answer if rrset.rdtype == dns.rdatatype.RRSIG for rd in rrset}
    return {flags.get(t) for t in tags}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flatns", required=True)
    args = ap.parse_args()
    tool = e2e.missing_tool("unbound", "unbound-checkconf")
    if tool:
        print(f"SKIP: {tool} not found")
        return 77
    import dns.dnssec  # noqa: F401  (key_id)
    work = tempfile.mkdtemp(prefix="flatns-signing-rollover-")
    procs, failures = [], []
    serial = [0]

    def check(unbound_port, step, expect_keys=None, expect_sigs=None, expect_signer_flags=None):
        serial[0] += 1
        time.sleep(1.2)  # the zone's own records have TTL 1: asked anew
        for name, qtype in (("signed.test.", "A"), ("mail.signed.test.", "A"),
                            (f"gone{serial[0]}.signed.test.", "A"), ("signed.test.", "DNSKEY")):
            r = e2e.ask(unbound_port, name, qtype)
            ok = bool(r.flags & dns.flags.AD) and r.rcode() == dns.rcode.NOERROR
            line = f"step {step}: unbound {name} {qtype}: {dns.rcode.to_text(r.rcode())} AD={int(bool(r.flags & dns.flags.AD))}"
            print(("ok   " if ok else "FAIL ") + line)
            if not ok:
                failures.append(line)
        for label, got, want in (("DNSKEY algorithms", algorithms(flatns_port, "DNSKEY", "keys"), expect_keys),
                                 ("SOA RRSIG algorithms", algorithms(flatns_port, "SOA", "sigs"), expect_sigs),
                                 ("SOA signed by key flags", zsk_signs(flatns_port), expect_signer_flags)):
            if want is None:
                continue
            ok = got == want
            line = f"step {step}: {label} {sorted(got)} (want {sorted(want)})"
            print(("ok   " if ok else "FAIL ") + line)
            if not ok:
                failures.append(line)

    try:
        flatns_port, unbound_a, unbound_b, unbound_c = e2e.free_ports(4, 25480, 25498)
        keys = os.path.join(work, "keys")
        old = keygen(args.flatns, keys)  # CSK, ecdsap256sha256
        zone = e2e.ZONE.replace("$TTL 3600", "$TTL 1").replace("1209600 300", "1209600 1")
        flatns, cfg = e2e.start_flatns(args.flatns, work, "flatns", flatns_port, "keys", zone=zone)
        procs.append(flatns)

        def reload():
            flatns.send_signal(signal.SIGHUP)
            time.sleep(0.5)

        def anchor(path):
            ds = subprocess.run([args.flatns, "ds", "-c", cfg, "signed.test"], capture_output=True, text=True,
                                check=True).stdout.strip()
            with open(path, "w") as f:
                f.write(ds + "\n")
            return ds

        print("DS (old):", anchor(os.path.join(work, "old.ds")))
        procs.append(e2e.start_unbound(work, "unbound-a", unbound_a, flatns_port, os.path.join(work, "old.ds")))
        check(unbound_a, "0 start", {13}, {13})

        new = keygen(args.flatns, keys, "--algorithm", "ed25519")
        set_timing(new, publish=YEAR, activate=-HOUR)
        reload()
        check(unbound_a, "1 new RRSIGs", {13}, {13, 15})

        set_timing(new, publish=-HOUR)
        reload()
        check(unbound_a, "2 new DNSKEY", {13, 15}, {13, 15})

        set_timing(old, inactive=YEAR, delete=YEAR)  # leaving: CDS/`flatns ds` name the new key only
        set_timing(old, publish=-2 * HOUR, activate=-2 * HOUR)
        reload()
        ds = anchor(os.path.join(work, "both.ds"))
        new_ds = [ln for ln in ds.splitlines() if " 15 2 " in ln]
        with open(os.path.join(work, "new.ds"), "w") as f:
            f.write("\n".join(new_ds) + "\n")
        print("DS (new):", new_ds)
        procs.append(e2e.start_unbound(work, "unbound-b", unbound_b, flatns_port, os.path.join(work, "new.ds")))
        check(unbound_b, "3 new DS", {13, 15}, {13, 15})

        set_timing(old, delete=-HOUR)
        reload()
        check(unbound_b, "4 DNSKEY removal", {15}, {13, 15})

        set_timing(old, inactive=-HOUR)
        reload()
        check(unbound_b, "5 RRSIG removal", {15}, {15})

        # Pre-publication: a resolver that cached the DNSKEY RRset while the
        # new ZSK was published and not yet active (Unbound C, started then)
        # validates what it signs once active. (Unbound B cached its DNSKEY
        # RRset before the ZSK was published; a real roll waits its TTL.)
        zsk = keygen(args.flatns, keys, "--algorithm", "ed25519", "--zsk")
        set_timing(zsk, publish=-HOUR, activate=YEAR)
        reload()
        procs.append(e2e.start_unbound(work, "unbound-c", unbound_c, flatns_port, os.path.join(work, "new.ds")))
        check(unbound_c, "6 ZSK pre-published", {15}, {15}, {257})

        set_timing(zsk, activate=-HOUR)
        reload()
        check(unbound_c, "7 ZSK active", {15}, {15}, {256})
    finally:
        e2e.clean_up(work, procs, failures, ("flatns.log", "unbound-a.log", "unbound-b.log", "unbound-c.log"))
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
