"""flatns as primary (issue 15): NSD 4.6, Knot 3.2 and BIND 9.18 secondaries
transfer a zone from flatns with TSIG, answer what flatns answers, and
follow a change after SIGHUP through NOTIFY; clients that the ACL does not
allow, or whose TSIG is wrong, are refused and the refusal is logged.

Usage: test_primary.py --flatns BIN
Exit 77 (skipped) when nsd, knotd or named is missing.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.zone

import peers

ZONE = "xfr.example."
HOSTS = 1200  # enough records for several 16 KiB messages
ARGS = None


def write_zone(path, serial, extra="", drop=()):
    lines = [
        f"$ORIGIN {ZONE}",
        "$TTL 3600",
        f"@ IN SOA ns1 hostmaster {serial} 7200 3600 1209600 300",
        "@ NS ns1",
        "@ NS ns2.elsewhere.example.",
        "@ MX 10 mail",
        '@ TXT "v=spf1 -all"',
        "ns1 A 192.0.2.53",
        "mail A 192.0.2.25",
        "mail AAAA 2001:db8::25",
        "www CNAME mail",
        "*.apps A 192.0.2.80",
        "sub NS ns.sub",
        "ns.sub A 192.0.2.54",
        '_sip._udp SRV 0 5 5060 mail',
        'long TXT "' + "x" * 250 + '" "' + "y" * 250 + '"',
    ]
    for i in range(HOSTS):
        if i not in drop:
            lines.append(f"host{i} A 10.{i // 250}.{i % 250}.1")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n" + extra)


def queries():
    out = [(ZONE, t) for t in ("SOA", "NS", "MX", "TXT", "A")]
    out += [(f"{n}.{ZONE}", t) for n, t in [("ns1", "A"), ("mail", "A"), ("mail", "AAAA"), ("www", "A"),
                                           ("x.apps", "A"), ("host.sub", "A"), ("_sip._udp", "SRV"),
                                           ("long", "TXT"), ("nothere", "A"), ("changed", "A")]]
    out += [(f"host{i}.{ZONE}", "A") for i in range(0, HOSTS, 97)]
    return out


class PrimaryToSecondaries(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="flatns-xfr-primary-")
        cls.zone_file = os.path.join(cls.tmp, "xfr.example.zone")
        write_zone(cls.zone_file, 1)
        cls.secondaries = []
        cls.primary = None
        try:
            primary_port = peers.free_port()
            cls.secondaries = [peers.NsdSecondary(ZONE, primary_port), peers.KnotSecondary(ZONE, primary_port),
                               peers.BindSecondary(ZONE, primary_port)]
            cls.primary = peers.FlatnsPrimary(ARGS.flatns, ZONE, cls.zone_file, [s.port for s in cls.secondaries],
                                              port=primary_port)
            cls.primary.run()
            cls.primary.wait_serial(ZONE, 1, timeout=10)
            for s in cls.secondaries:
                s.run()
            for s in cls.secondaries:
                s.wait_serial(ZONE, 1, timeout=30)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for s in cls.secondaries:
            s.cleanup()
        if cls.primary:
            cls.primary.cleanup()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def axfr(self, keyring=peers.KEYRING, keyname=peers.KEY_NAME):
        return dns.zone.from_xfr(dns.query.xfr(peers.HOST, ZONE, port=self.primary.port, keyring=keyring,
                                               keyname=keyname, lifetime=10))

    def test_1_axfr_with_tsig_is_the_zone_file(self):
        # dnspython checks every message's TSIG (RFC 8945 5.3.1) and SOA first and last.
        received = self.axfr()
        expected = dns.zone.from_file(self.zone_file, origin=ZONE, relativize=True)
        self.assertEqual(received, expected)

    def test_2_secondaries_answer_as_the_primary(self):
        differences = peers.compare_answers([self.primary] + self.secondaries, queries())
        self.assertEqual(differences, [])

    def test_3_unsigned_and_wrongly_signed_requests_are_refused(self):
        q = dns.message.make_query(ZONE, "AXFR")
        r = dns.query.tcp(q, peers.HOST, port=self.primary.port, timeout=5)
        self.assertEqual(r.rcode(), dns.rcode.REFUSED)
        self.assertEqual(len(r.answer), 0)
        wrong = dns.tsigkeyring.from_text({peers.KEY_NAME: ("hmac-sha256", "d3Jvbmctc2VjcmV0LWtleQ==")})
        q = dns.message.make_query(ZONE, "AXFR")
        q.use_tsig(wrong, keyname=peers.KEY_NAME)
        with self.assertRaises(dns.tsig.PeerBadSignature):
            dns.query.tcp(q, peers.HOST, port=self.primary.port, timeout=5)
        unknown = dns.tsigkeyring.from_text({"other-key": ("hmac-sha256", peers.KEY_SECRET)})
        q = dns.message.make_query(ZONE, "AXFR")
        q.use_tsig(unknown, keyname="other-key")
        with self.assertRaises(dns.tsig.PeerBadKey):
            dns.query.tcp(q, peers.HOST, port=self.primary.port, timeout=5)
        # AXFR over UDP is refused (RFC 5936 4.2), even signed.
        q = dns.message.make_query(ZONE, "AXFR")
        q.use_tsig(peers.KEYRING, keyname=peers.KEY_NAME)
        r = dns.query.udp(q, peers.HOST, port=self.primary.port, timeout=5)
        self.assertEqual(r.rcode(), dns.rcode.REFUSED)
        time.sleep(0.2)
        log = self.primary.log()
        self.assertIn(f"AXFR {ZONE} from 127.0.0.1", log)
        self.assertIn("no allow_transfer entry matches (unsigned)", log)
        self.assertIn("BADSIG", log)
        self.assertIn("BADKEY", log)
        self.assertNotIn(peers.KEY_SECRET, log)

    def test_4_ixfr_over_udp_gets_the_soa(self):
        q = dns.message.make_query(ZONE, "IXFR")
        soa = dns.rrset.from_text(ZONE, 3600, "IN", "SOA", f"ns1.{ZONE} hostmaster.{ZONE} 0 7200 3600 1209600 300")
        q.authority.append(soa)
        q.use_tsig(peers.KEYRING, keyname=peers.KEY_NAME)
        r = dns.query.udp(q, peers.HOST, port=self.primary.port, timeout=5)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertEqual([rr.rdtype for rr in r.answer], [dns.rdatatype.SOA])
        self.assertEqual(r.answer[0][0].serial, 1)

    def test_5_change_reaches_every_secondary_by_notify(self):
        write_zone(self.zone_file, 2, "changed A 192.0.2.99\n")
        self.primary.signal(signal.SIGHUP)
        self.primary.wait_serial(ZONE, 2, timeout=10)
        # Knot and BIND refresh only when notified (refresh is 7200 s); NSD too.
        for s in self.secondaries:
            s.wait_serial(ZONE, 2, timeout=20)
        differences = peers.compare_answers([self.primary] + self.secondaries, queries())
        self.assertEqual(differences, [])
        log = self.primary.log()
        for s in self.secondaries:
            self.assertIn(f"NOTIFY {ZONE} serial 2 to 127.0.0.1:{s.port}: acknowledged", log)
        # Each secondary asked IXFR and got the difference, not the zone.
        self.assertIn(f"zone {ZONE}: IXFR journal: serial 1 -> 2, 0 records removed, 1 added", log)
        incremental = [line for line in log.splitlines()
                       if f"IXFR {ZONE} from" in line and "serial 1, ours 2: incremental, 1 differences" in line]
        self.assertEqual(len(incremental), 3, log)
        self.assertNotIn("history does not reach", log)
        knot = next(s for s in self.secondaries if s.name == "knot")
        self.assertRegex(knot.log(), r"IXFR, incoming, remote 127\.0\.0\.1@\d+.*finished")
        self.assertNotIn("fallback to AXFR", knot.log())

    def ixfr(self, serial):
        """The records of an IXFR over TCP, as (name, type, text) in order."""
        out = []
        # dnspython checks each message's TSIG and where the stream ends.
        for r in dns.query.xfr(peers.HOST, ZONE, rdtype=dns.rdatatype.IXFR, serial=serial, port=self.primary.port,
                               keyring=peers.KEYRING, keyname=peers.KEY_NAME, lifetime=10):
            for rrset in r.answer:
                for rr in rrset:
                    text = str(rr.serial) if rrset.rdtype == dns.rdatatype.SOA else rr.to_text()
                    out.append((rrset.name.relativize(dns.name.from_text(ZONE)).to_text(),
                                dns.rdatatype.to_text(rrset.rdtype), text))
        return out

    def test_6_ixfr_sends_the_differences_of_each_reload(self):
        # 3: host7 gone, mail's AAAA changed, one TTL changed.
        write_zone(self.zone_file, 3, "changed A 192.0.2.99\n", drop=(7,))
        with open(self.zone_file) as f:
            text = f.read().replace("mail AAAA 2001:db8::25", "mail AAAA 2001:db8::26").replace(
                "ns1 A 192.0.2.53", "ns1 60 A 192.0.2.53")
        with open(self.zone_file, "w") as f:
            f.write(text)
        self.primary.signal(signal.SIGHUP)
        self.primary.wait_serial(ZONE, 3, timeout=10)
        self.assertEqual(self.ixfr(2), [
            ("@", "SOA", "3"),
            ("@", "SOA", "2"), ("host7", "A", "10.0.7.1"), ("mail", "AAAA", "2001:db8::25"),
            ("ns1", "A", "192.0.2.53"),
            ("@", "SOA", "3"), ("mail", "AAAA", "2001:db8::26"), ("ns1", "A", "192.0.2.53"),
            ("@", "SOA", "3")])
        # From 1: both differences, oldest first.
        from_1 = self.ixfr(1)
        self.assertEqual([x[2] for x in from_1 if x[1] == "SOA"], ["3", "1", "2", "2", "3", "3"])
        self.assertIn(("changed", "A", "192.0.2.99"), from_1)
        # Over UDP the small difference fits in the datagram (RFC 1995 2).
        q = dns.message.make_query(ZONE, "IXFR")
        q.authority.append(dns.rrset.from_text(ZONE, 3600, "IN", "SOA",
                                               f"ns1.{ZONE} hostmaster.{ZONE} 2 7200 3600 1209600 300"))
        q.use_tsig(peers.KEYRING, keyname=peers.KEY_NAME)
        r = dns.query.udp(q, peers.HOST, port=self.primary.port, timeout=5, one_rr_per_rrset=True)
        self.assertEqual(len(r.answer), 9)
        # kdig, a second client, reads the same difference.
        kdig = shutil.which("kdig")
        if kdig:
            p = subprocess.run([kdig, "@" + peers.HOST, "-p", str(self.primary.port), "-y",
                                f"hmac-sha256:{peers.KEY_NAME}:{peers.KEY_SECRET}", ZONE, "IXFR=2", "+tcp"],
                               capture_output=True, text=True, timeout=10)
            self.assertIn("2001:db8::26", p.stdout)
            self.assertNotIn("host8", p.stdout)
        for s in self.secondaries:
            s.wait_serial(ZONE, 3, timeout=20)
        differences = peers.compare_answers([self.primary] + self.secondaries,
                                            queries() + [(f"host7.{ZONE}", "A"), (f"ns1.{ZONE}", "A")])
        self.assertEqual(differences, [])


class TransferConfigErrors(unittest.TestCase):
    def test_check_config_names_each_fault_and_never_the_secret(self):
        folder = tempfile.mkdtemp(prefix="flatns-xfr-config-")
        try:
            write_zone(os.path.join(folder, "z.zone"), 1)
            path = os.path.join(folder, "bad.yaml")
            with open(path, "w") as f:
                f.write("keys:\n"
                        "  - name: k1\n    algorithm: hmac-md5\n    secret: \"" + peers.KEY_SECRET + "\"\n"
                        "  - name: k2\n    secret: \"!!not base64\"\n"
                        f"zones:\n  - name: {ZONE}\n    file: z.zone\n"
                        "    allow_transfer: [{address: 10.0.0.0/33}, {address: 127.0.0.1, key: nokey}]\n"
                        "    notify: [{address: \"127.0.0.1:99999\"}, {address: \"127.0.0.2\", key: k3}]\n"
                        "transfer:\n  message_size: 100\n  bogus: 1\n")
            p = subprocess.run([ARGS.flatns, "check-config", "-c", path], capture_output=True, text=True)
            out = p.stdout + p.stderr
            self.assertEqual(p.returncode, 1, out)
            for expected in ["bad.yaml:3: keys[0].algorithm: expected one of hmac-sha256",
                             "bad.yaml:6: keys[1].secret: expected the secret in base64",
                             "bad.yaml:10: zones[0].allow_transfer[0].address: '10.0.0.0/33': prefix length above 32",
                             "bad.yaml:10: zones[0].allow_transfer[1].key: no key nokey. under keys:",
                             "bad.yaml:11: zones[0].notify[0].address: port 99999 out of range",
                             "bad.yaml:11: zones[0].notify[1].key: no key k3. under keys:",
                             "bad.yaml:13: transfer.message_size: expected a whole number from 512 to 65535, found '100'",
                             "bad.yaml:14: transfer.bogus: unknown key"]:
                self.assertIn(expected, out)
            self.assertNotIn(peers.KEY_SECRET, out)
            self.assertNotIn("not base64", out)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--flatns", required=True)
    ARGS, rest = parser.parse_known_args()
    missing = [b for b in ("nsd", "knotd", "named") if not (shutil.which(b) or os.path.exists("/usr/sbin/" + b))]
    if missing:
        print(f"SKIP: {', '.join(missing)} not installed (Debian: nsd, knot, bind9)")
        return 77
    prog = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
