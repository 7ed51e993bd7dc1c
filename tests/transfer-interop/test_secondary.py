"""flatns as secondary (issue 15): zones from a Knot 3.2 and a BIND 9.18
primary, with TSIG: the first AXFR, answers equal to the primary's, a
change reaching flatns by NOTIFY and incremental IXFR (Knot with
zonefile-load: difference, BIND with ixfr-from-differences), NOTIFY refused from a client that is not
the primary (unsigned), and a restart that serves the kept file at once
with one SOA query and no new transfer.

Usage: test_secondary.py --flatns BIN
Exit 77 (skipped) when knotd or named is missing.
"""

import argparse
import os
import shutil
import signal
import sys
import time
import unittest

import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.rrset

import peers

KNOT_ZONE = "knot.example."
BIND_ZONE = "bind.example."
ARGS = None


def zone_text(origin, serial, extra=""):
    lines = [f"$ORIGIN {origin}", "$TTL 300", f"@ SOA ns1 hostmaster {serial} 3600 600 86400 300",
             "@ NS ns1", "ns1 A 192.0.2.1", "@ MX 10 mail", "mail A 192.0.2.2", "www CNAME mail",
             '@ TXT "from the primary"', "sub NS ns.sub", "ns.sub A 192.0.2.3", "*.w A 192.0.2.4"]
    lines += [f"h{i} AAAA 2001:db8::{i:x}" for i in range(300)]
    return "\n".join(lines) + "\n" + extra


def queries(origin):
    names = ["", "ns1.", "mail.", "www.", "x.w.", "a.sub.", "nothere.", "new.", "h7.", "h250."]
    out = []
    for n in names:
        for t in ("A", "AAAA", "MX", "TXT", "SOA", "NS"):
            out.append((n + origin, t))
    return out


def bind_queries():
    # BIND answers SOA queries below the apex (NODATA, NXDOMAIN) with the SOA
    # at TTL 0 (its zero-no-soa-ttl option, on by default); flatns and Knot
    # use the SOA's TTL.
    return [q for q in queries(BIND_ZONE) if not (q[1] == "SOA" and q[0] != BIND_ZONE)]


class SecondaryFromKnotAndBind(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.servers = []
        try:
            secondary_port = peers.free_port()
            cls.knot = peers.KnotPrimary(KNOT_ZONE, zone_text(KNOT_ZONE, 1), secondary_port)
            cls.bind = peers.BindPrimary(BIND_ZONE, zone_text(BIND_ZONE, 1), secondary_port)
            cls.servers += [cls.knot, cls.bind]
            cls.knot.run()
            cls.bind.run()
            cls.knot.wait_serial(KNOT_ZONE, 1)
            cls.bind.wait_serial(BIND_ZONE, 1)
            cls.flatns = peers.FlatnsSecondary(ARGS.flatns, [(KNOT_ZONE, cls.knot.port), (BIND_ZONE, cls.bind.port)],
                                               port=secondary_port)
            cls.servers.append(cls.flatns)
            cls.flatns.run()
            cls.flatns.wait_serial(KNOT_ZONE, 1)
            cls.flatns.wait_serial(BIND_ZONE, 1)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers:
            s.cleanup()

    def test_1_answers_equal_the_primaries(self):
        self.assertEqual(peers.compare_answers([self.knot, self.flatns], queries(KNOT_ZONE)), [])
        self.assertEqual(peers.compare_answers([self.bind, self.flatns], bind_queries()), [])
        with open(self.flatns.zone_file(KNOT_ZONE)) as f:
            head = f.read(300)
        self.assertIn("transferred by flatns from 127.0.0.1", head)

    def test_2_notify_brings_a_change(self):
        for primary, origin in ((self.knot, KNOT_ZONE), (self.bind, BIND_ZONE)):
            with open(primary.zone_path, "w") as f:
                f.write(zone_text(origin, 2, "new A 192.0.2.99\n"))
            primary.signal(signal.SIGHUP)
            primary.wait_serial(origin, 2)
            self.flatns.wait_serial(origin, 2, timeout=20)
        self.assertEqual(peers.compare_answers([self.knot, self.flatns], queries(KNOT_ZONE)), [])
        self.assertEqual(peers.compare_answers([self.bind, self.flatns], bind_queries()), [])
        log = self.flatns.log()
        self.assertIn(f"NOTIFY {KNOT_ZONE} from 127.0.0.1", log)
        # Both primaries keep differences: flatns asked IXFR and applied them.
        for origin, primary in ((KNOT_ZONE, self.knot), (BIND_ZONE, self.bind)):
            self.assertIn(f"secondary {origin}: serial 2 by IXFR (incremental) from 127.0.0.1:{primary.port}", log)
        self.assertNotIn("trying AXFR", log)

    def test_3_notify_unsigned_is_refused(self):
        q = dns.message.make_query(KNOT_ZONE, "SOA")
        q.set_opcode(dns.opcode.NOTIFY)
        q.flags |= dns.flags.AA
        r = dns.query.udp(q, peers.HOST, port=self.flatns.port, timeout=3)
        self.assertEqual(r.rcode(), dns.rcode.REFUSED)
        q = dns.message.make_query("other.example.", "SOA")
        q.set_opcode(dns.opcode.NOTIFY)
        q.use_tsig(peers.KEYRING, keyname=peers.KEY_NAME)
        r = dns.query.udp(q, peers.HOST, port=self.flatns.port, timeout=3)
        self.assertEqual(r.rcode(), dns.rcode.REFUSED)
        q = dns.message.make_query(KNOT_ZONE, "SOA", rdclass="ANY")
        q.set_opcode(dns.opcode.NOTIFY)
        r = dns.query.udp(q, peers.HOST, port=self.flatns.port, timeout=3)
        self.assertEqual(r.rcode(), dns.rcode.FORMERR)
        time.sleep(0.2)
        self.assertIn("not from one of its primaries", self.flatns.log())
        # Still serving.
        self.assertEqual(peers.soa_serial(self.flatns.port, KNOT_ZONE), 2)

    def test_4_restart_serves_the_kept_file_without_a_transfer(self):
        self.flatns.stop()
        self.flatns.run()  # same folder, config and kept files
        self.flatns.wait_serial(KNOT_ZONE, 2, timeout=5)
        self.flatns.wait_serial(BIND_ZONE, 2, timeout=5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            log = self.flatns.log()
            if log.count("is current") >= 2:
                break
            time.sleep(0.1)
        self.assertEqual(log.count("is current"), 2, log)
        self.assertNotIn("by AXFR", log)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--flatns", required=True)
    ARGS, rest = parser.parse_known_args()
    missing = [b for b in ("knotd", "named") if not (shutil.which(b) or os.path.exists("/usr/sbin/" + b))]
    if missing:
        print(f"SKIP: {', '.join(missing)} not installed (Debian: knot, bind9)")
        return 77
    prog = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
