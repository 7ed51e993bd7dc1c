"""End-to-end: `flatns resolve` on a signed loopback hierarchy (hierarchy.py),
its verdict compared with Unbound's on the same hierarchy for every scenario
(Unbound: NOERROR/NXDOMAIN with AD = secure, without AD = insecure,
SERVFAIL = bogus), plus the incident (one of two TLD servers serves expired
signatures: every resolution succeeds; both do: bogus with EDE 7) and dead
servers (the resolution ends by its deadline, measured).

Usage: test_resolver_e2e.py --flatns PATH [unittest options]
"""

import argparse
import re
import signal
import subprocess
import sys
import time
import unittest

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode

import hierarchy

FLATNS = None
WORLD = None


def flatns_resolve(name, rtype="A", deadline_ms=1200, forward=False, extra=""):
    conf = WORLD.flatns_config(deadline_ms, forward, extra)
    start = time.monotonic()
    p = subprocess.run([FLATNS, "resolve", "-c", conf, name, rtype], capture_output=True,
                       text=True, timeout=30)
    wall_ms = (time.monotonic() - start) * 1000
    out = {"exit": p.returncode, "stdout": p.stdout, "stderr": p.stderr, "wall_ms": wall_ms,
           "records": []}
    for line in p.stdout.splitlines():
        if not line.startswith(";;"):
            out["records"].append(line.split())
            continue
        m = re.match(r";; (status|verdict|reason|zone|server|failure): (.*)", line)
        if m:
            out[m.group(1)] = m.group(2)
        m = re.match(r";; queries: (\d+), time: (\d+) ms", line)
        if m:
            out["queries"], out["time_ms"] = int(m.group(1)), int(m.group(2))
    out["rcode"] = out.get("status", "").split(",")[0].split(" ")[0]
    m = re.search(r"\(EDE (\d+)\)", out.get("reason", ""))
    out["ede"] = int(m.group(1)) if m else None
    return out


def unbound_verdict(name, rtype="A"):
    q = dns.message.make_query(name, rtype, want_dnssec=True, use_edns=0, payload=1232)
    r = dns.query.udp(q, "127.0.0.1", port=hierarchy.UNBOUND_PORT, timeout=10)
    rcode = dns.rcode.to_text(r.rcode())
    ede = [o.code for o in r.options if o.otype == dns.edns.EDE]
    if rcode == "SERVFAIL":
        return "bogus", rcode, ede
    return ("secure" if r.flags & dns.flags.AD else "insecure"), rcode, ede


class ResolverEndToEnd(unittest.TestCase):
    def compare(self, name, rtype, verdict, rcode):
        got = flatns_resolve(name, rtype)
        detail = got["stdout"] + got["stderr"]
        self.assertEqual(got.get("verdict"), verdict, detail)
        self.assertEqual(got["rcode"], rcode, detail)
        oracle, oracle_rcode, _ = unbound_verdict(name, rtype)
        self.assertEqual(got["verdict"], oracle, f"Unbound says {oracle} ({oracle_rcode})\n{detail}")
        self.assertEqual(got["exit"], 0 if verdict in ("secure", "insecure") else 1, detail)
        return got

    def test_secure_answer(self):
        got = self.compare("www.secure.tld1.", "A", "secure", "NOERROR")
        self.assertEqual([r[-1] for r in got["records"]], ["192.0.2.1"])
        self.assertEqual([r[1] for r in got["records"]], ["600"])

    def test_secure_nxdomain(self):
        self.compare("nope.secure.tld1.", "A", "secure", "NXDOMAIN")

    def test_secure_nodata(self):
        got = self.compare("www.secure.tld1.", "TXT", "secure", "NOERROR")
        self.assertIn("NODATA", got["status"])

    def test_insecure_delegation_under_nsec3_opt_out(self):
        got = self.compare("www.unsigned.tld2.", "A", "insecure", "NOERROR")
        self.assertEqual([r[-1] for r in got["records"]], ["192.0.2.2"])

    def test_cname_from_signed_into_unsigned_zone(self):
        got = self.compare("alias.secure.tld1.", "A", "insecure", "NOERROR")
        self.assertEqual([(r[0], r[3], r[4]) for r in got["records"]],
                         [("alias.secure.tld1.", "CNAME", "www.unsigned.tld2."),
                          ("www.unsigned.tld2.", "A", "192.0.2.2")])
        self.assertIn("ttl 300", got["status"])  # minimum over the chain

    def test_broken_signature_is_bogus(self):
        got = self.compare("www.broken.tld1.", "A", "bogus", "SERVFAIL")
        self.assertEqual(got["ede"], 6, got["stdout"])
        self.assertEqual(got["zone"], "broken.tld1.")
        self.assertEqual(got["server"], "127.53.10.1")

    def test_expired_signatures_are_bogus_with_ede_7(self):
        got = self.compare("www.expired.tld1.", "A", "bogus", "SERVFAIL")
        self.assertEqual(got["ede"], 7, got["stdout"])
        self.assertEqual(got["zone"], "expired.tld1.")
        self.assertEqual(got["server"], "127.53.10.1")

    def test_incident_one_of_two_tld_servers_expired(self):
        # Each run is a new process: caches and server health start cold.
        for i in range(20):
            got = flatns_resolve("www.secure.tld1.", "A")
            self.assertEqual((got.get("verdict"), got["rcode"], got["exit"]),
                             ("secure", "NOERROR", 0), f"run {i}\n{got['stdout']}{got['stderr']}")
            if "127.53.1.2" in got["stderr"]:
                self.assertIn("zone tld1.", got["stderr"])  # the bad server is named with its zone
        self.assertEqual(unbound_verdict("www.secure.tld1.", "A")[0], "secure")

    def test_incident_both_tld_servers_expired(self):
        got = self.compare("www.target.tld3.", "A", "bogus", "SERVFAIL")
        self.assertEqual(got["ede"], 7, got["stdout"])
        self.assertEqual(got["zone"], "tld3.")
        # Both servers are named (this is what EDE EXTRA-TEXT carries when flattening).
        self.assertEqual(sorted(got["server"].split(", ")), ["127.53.3.1", "127.53.3.2"], got["stdout"])
        # Allowed difference with the oracle: the verdict (bogus, SERVFAIL) must
        # match, the EDE code need not. Unbound reports the generic EDE 6 (DNSSEC
        # Bogus) here; every signature of tld3.'s DNSKEY RRset is past its
        # expiration on both servers, so EDE 7 (Signature Expired) is the more
        # specific code, and issue 5 asks for 7 so that operators see the cause.
        _, _, unbound_ede = unbound_verdict("www.target.tld3.", "A")
        self.assertTrue(set(unbound_ede) <= {6, 7}, f"Unbound EDE {unbound_ede}")

    def test_dead_servers_end_by_the_deadline(self):
        for deadline in (300, 1200):
            got = flatns_resolve("www.dead.tld2.", "A", deadline)
            detail = got["stdout"] + got["stderr"]
            self.assertEqual(got["rcode"], "SERVFAIL", detail)
            self.assertEqual(got.get("verdict"), "indeterminate", detail)
            self.assertEqual(got["exit"], 1)
            # The resolver aims 10 ms early; 20 ms more covers a busy machine
            # not scheduling the process (observed: 5 ms late with a 3 ms margin).
            self.assertLessEqual(got["time_ms"], deadline + 20, detail)
            # the whole process, start-up and exit included
            self.assertLess(got["wall_ms"], deadline + 500, detail)
            self.assertIn("127.53.14.", got["failure"])

    def test_child_on_its_parents_server_without_referral(self):
        # sub.secure.tld1. is served by secure.tld1.'s server: no referral shows
        # the cut; the signer name does, and its DS/DNSKEY are fetched there.
        got = self.compare("www.sub.secure.tld1.", "A", "secure", "NOERROR")
        self.assertEqual([r[-1] for r in got["records"]], ["192.0.2.6"])
        self.compare("nope.sub.secure.tld1.", "A", "secure", "NXDOMAIN")

    # Every scenario, forwarded through Unbound (CD=1: it hands over what it
    # got, bogus included) and validated by flatns from the same trust anchor:
    # the verdict must equal flatns's iterative one and Unbound's own.
    FORWARD_SCENARIOS = [
        ("www.secure.tld1.", "A", "secure", "NOERROR", None),
        ("nope.secure.tld1.", "A", "secure", "NXDOMAIN", None),
        ("www.secure.tld1.", "TXT", "secure", "NOERROR", None),
        ("www.sub.secure.tld1.", "A", "secure", "NOERROR", None),
        ("www.unsigned.tld2.", "A", "insecure", "NOERROR", None),
        ("nope.unsigned.tld2.", "A", "insecure", "NXDOMAIN", None),
        ("alias.secure.tld1.", "A", "insecure", "NOERROR", None),
        ("www.broken.tld1.", "A", "bogus", "SERVFAIL", 6),
        ("www.expired.tld1.", "A", "bogus", "SERVFAIL", 7),
        ("www.target.tld3.", "A", "bogus", "SERVFAIL", 7),
    ]

    def test_forward_mode_validates_like_iterative_mode_and_unbound(self):
        for name, rtype, verdict, rcode, ede in self.FORWARD_SCENARIOS:
            with self.subTest(name=name, rtype=rtype):
                fwd = flatns_resolve(name, rtype, forward=True)
                rec = flatns_resolve(name, rtype)
                detail = fwd["stdout"] + fwd["stderr"]
                self.assertEqual((fwd.get("verdict"), fwd["rcode"]), (verdict, rcode), detail)
                self.assertEqual(fwd.get("verdict"), rec.get("verdict"), detail + rec["stdout"])
                self.assertEqual(fwd["rcode"], rec["rcode"], detail + rec["stdout"])
                self.assertEqual(unbound_verdict(name, rtype)[0], verdict, detail)
                self.assertEqual(fwd["exit"], 0 if verdict in ("secure", "insecure") else 1)
                if ede is not None:
                    self.assertEqual(fwd["ede"], ede, detail)
                    self.assertEqual(fwd["zone"], rec["zone"], detail + rec["stdout"])
                    # the server that handed over the bogus data: the forwarder
                    self.assertEqual(fwd["server"], f"127.0.0.1:{hierarchy.UNBOUND_PORT}", detail)
                if verdict != "bogus":  # the records, TTLs aside (Unbound's cache counts down)
                    self.assertEqual([r[:1] + r[2:] for r in fwd["records"]],
                                     [r[:1] + r[2:] for r in rec["records"]], detail + rec["stdout"])

    def test_qname_minimisation_on_and_off_agree(self):
        # On by default (every test above runs with it); off must give the
        # same verdicts and records. (Query counts are not compared: which of
        # tld1.'s two servers is asked first, the good or the expired one, is
        # random.) The fake-network tests check what each server is asked.
        for name, rtype, verdict, rcode, _ in self.FORWARD_SCENARIOS:
            with self.subTest(name=name, rtype=rtype):
                on = flatns_resolve(name, rtype)
                off = flatns_resolve(name, rtype, extra="qname_minimisation: false")
                detail = on["stdout"] + off["stdout"]
                self.assertEqual((on.get("verdict"), on["rcode"]), (verdict, rcode), detail)
                self.assertEqual((off.get("verdict"), off["rcode"]), (verdict, rcode), detail)
                self.assertEqual(on["records"], off["records"], detail)

    def test_forward_mode_with_dnssec_off_takes_answers_as_they_come(self):
        got = flatns_resolve("www.broken.tld1.", "A", forward=True, extra="dnssec: off")
        self.assertEqual((got.get("verdict"), got["rcode"], got["exit"]), ("insecure", "NOERROR", 0),
                         got["stdout"] + got["stderr"])
        self.assertEqual(got["queries"], 1)


def main():
    global FLATNS, WORLD
    parser = argparse.ArgumentParser()
    parser.add_argument("--flatns", required=True)
    args, rest = parser.parse_known_args()
    FLATNS = args.flatns
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("suite over 120 s")))
    signal.alarm(120)
    with hierarchy.Hierarchy() as world:
        WORLD = world
        prog = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2)
    signal.alarm(0)
    sys.exit(0 if prog.result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
