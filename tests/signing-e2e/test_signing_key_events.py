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
import re
import shutil
import subprocess
import sys
import tempfile
import time

import dns.dnssec
import dns.message
import dns.query
import dns.rdatatype

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_signing_e2e import free_ports, start_flatns  # noqa: E402

LEAD = 5  # seconds from now to the key events


def keygen(flatns, keys):
    """A new CSK; its .private path and key tag."""
    base = subprocess.run([flatns, "keygen", "signed.test", keys], check=True, capture_output=True,
                          text=True).stdout.strip().splitlines()[-1]
    base = base[:-len(".private")] if base.endswith(".private") else base
    return base + ".private", int(re.search(r"\+(\d+)$", base).group(1))


def set_times(private, **fields):
    """Rewrites BIND timing fields (Publish=..., Delete=...) of a .private file and its .key."""
    for path in (private, private[:-len(".private")] + ".key"):
        text = open(path).read()
        for name, t in fields.items():
            stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(t))
            text, n = re.subn(rf"^(;?\s*{name}:\s*)\d+", lambda m: m.group(1) + stamp, text, flags=re.M)
            if n == 0 and path.endswith(".private"):
                text += f"{name}: {stamp}\n"
        with open(path, "w") as f:
            f.write(text)


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
    failures = []

    def expect(ok, line):
        print(("ok   " if ok else "FAIL ") + line)
        if not ok:
            failures.append(line)

    try:
        (port,) = free_ports(1, 27240, 27280)
        keys = os.path.join(work, "keys")
        _, plain = keygen(args.flatns, keys)
        coming_file, coming = keygen(args.flatns, keys)
        leaving_file, leaving = keygen(args.flatns, keys)
        event = int(time.time()) + LEAD
        set_times(coming_file, Publish=event, Activate=event)
        set_times(leaving_file, Inactive=event, Delete=event)
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
        if proc:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if failures:
            path = os.path.join(work, "flatns.log")
            if os.path.exists(path):
                print("--- flatns.log\n" + open(path).read()[-3000:])
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
