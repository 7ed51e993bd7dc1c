#!/usr/bin/env python3
"""Key timing events take effect at their time (issue 14): flatns signs a
zone with three CSKs — one plain, one whose Publish and Activate times are
a few seconds ahead, one whose Delete time is as near — and, with no
SIGHUP, the DNSKEY RRset must change from {plain, leaving} to {plain,
coming} within two seconds of that time: a re-sign pass is scheduled at the
next key event rather than at the next periodic pass. The new key's
signatures must be served then too (an RRSIG by its tag over DNSKEY and
SOA).

Ports: 127.0.0.1:27240-27279 (the first free one).
Usage: test_signing_key_events.py --flatns PATH
"""
import argparse
import os
import sys
import tempfile
import time

import dns.dnssec
import dns.message
import dns.query
import dns.rdatatype

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signing_e2e import Checks, clean_up, free_ports, keygen, set_timing, start_flatns  # noqa: E402

LEAD = 5  # seconds from now to the key events


def key_tags(port):
    q = dns.message.make_query("signed.test.", "DNSKEY", want_dnssec=True)
    r = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
    keys = {dns.dnssec.key_id(rd) for rrset in r.answer if rrset.rdtype == dns.rdatatype.DNSKEY for rd in rrset}
    sigs = {rd.key_tag for rrset in r.answer if rrset.rdtype == dns.rdatatype.RRSIG for rd in rrset}
    q = dns.message.make_query("signed.test.", "SOA", want_dnssec=True)
    r = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
    soa_sigs = {rd.key_tag for rrset in r.answer if rrset.rdtype == dns.rdatatype.RRSIG for rd in rrset}
    return keys, sigs, soa_sigs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flatns", required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="flatns-key-events-")
    proc = None
    checks = Checks()
    expect = checks.expect

    try:
        (port,) = free_ports(1, 27240, 27280)
        keys = os.path.join(work, "keys")
        _, plain = keygen(args.flatns, keys)
        coming_file, coming = keygen(args.flatns, keys)
        leaving_file, leaving = keygen(args.flatns, keys)
        event = int(time.time()) + LEAD
        set_timing(coming_file, Publish=event, Activate=event)
        set_timing(leaving_file, Inactive=event, Delete=event)
        proc, _ = start_flatns(args.flatns, work, "flatns", port, "keys")
        keys_now, sigs_now, _ = key_tags(port)
        expect(keys_now == {plain, leaving} and time.time() < event,
               f"before the events: DNSKEY tags {sorted(keys_now)} (want {sorted({plain, leaving})})")
        changed_at = None
        while time.time() < event + 4:
            keys_now, sigs_now, soa_sigs = key_tags(port)
            if keys_now == {plain, coming}:
                changed_at = time.time()
                break
            time.sleep(0.1)
        late = None if changed_at is None else changed_at - event
        expect(changed_at is not None and late is not None and -0.05 <= late <= 2.0,
               f"after the events: DNSKEY tags {sorted(keys_now)}, {late if late is None else round(late, 2)} s "
               f"after the event time (want {sorted({plain, coming})} within 2 s)")
        if changed_at is not None:
            expect(coming in sigs_now and coming in soa_sigs and leaving not in soa_sigs,
                   f"signatures after the events: DNSKEY by {sorted(sigs_now)}, SOA by {sorted(soa_sigs)}")
    finally:
        clean_up(work, [proc] if proc else [], checks.failures, ("flatns.log",))
    return checks.exit_code()


if __name__ == "__main__":
    sys.exit(main())
