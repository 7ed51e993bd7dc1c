"""The answers flatns gives from the example zones, over UDP and TCP (dnspython):
exact answers, CNAME chains within and across served zones, referrals,
NXDOMAIN / NODATA with the SOA (RFC 2308), wildcards, REFUSED, case.

Usage: test_answers.py --flatns BIN --corpus DIR --examples DIR
"""

import os
import sys
import tempfile
import unittest

import dns.flags
import dns.rcode

import harness

ARGS = None
SERVER = None
TMP = None

# A zone whose SOA TTL (60) is below its minimum (3600): negative answers
# must carry 60 (RFC 2308 section 5: min(SOA TTL, SOA MINIMUM)).
NEG_ZONE = """$ORIGIN neg.example.
$TTL 3600
@    60 IN SOA ns.neg.example. admin.neg.example. 1 3600 600 86400 3600
     IN NS ns.neg.example.
ns   IN A 192.0.2.9
"""


def setUpModule():
    global SERVER, TMP
    TMP = tempfile.TemporaryDirectory(prefix="flatns-it-answers-")
    neg = os.path.join(TMP.name, "neg.example.zone")
    with open(neg, "w") as f:
        f.write(NEG_ZONE)
    z = os.path.join(ARGS.examples, "zones")
    SERVER = harness.server_for(ARGS, [
        ("example.com", os.path.join(z, "example.com.zone")),
        ("example.net", os.path.join(z, "example.net.zone")),
        ("example.org", os.path.join(z, "example.org.zone"), "off"),
        ("neg.example", neg),
    ], TMP.name).__enter__()


def tearDownModule():
    if SERVER:
        SERVER.__exit__(None, None, None)
    if TMP:
        TMP.cleanup()


TRANSPORTS = (("udp", False), ("tcp", True))


class Answers(unittest.TestCase):
    def ask(self, qname, qtype, tcp, **kw):
        return SERVER.query(qname, qtype, tcp=tcp, **kw)

    def assertSection(self, section, expected, what):
        self.assertEqual(harness.rrset_texts(section), sorted(expected), what)

    def test_exact_answer(self):
        for label, tcp in TRANSPORTS:
            with self.subTest(transport=label):
                r = self.ask("web.example.com", "AAAA", tcp)
                self.assertEqual(r.rcode(), dns.rcode.NOERROR)
                self.assertTrue(r.flags & dns.flags.AA)
                self.assertSection(r.answer, ["web.example.com. 600 IN AAAA 2001:db8::80"], "answer")

    def test_rrset_of_two_records(self):
        for label, tcp in TRANSPORTS:
            with self.subTest(transport=label):
                r = self.ask("www.example.net", "A", tcp)
                self.assertSection(r.answer, ["www.example.net. 300 IN A 198.51.100.80",
                                              "www.example.net. 300 IN A 198.51.100.81"], "answer")

    def test_mx_and_txt_at_apex_beside_cname(self):
        for label, tcp in TRANSPORTS:
            with self.subTest(transport=label):
                r = self.ask("example.com", "MX", tcp)
                self.assertEqual(r.rcode(), dns.rcode.NOERROR)
                self.assertSection(r.answer, ["example.com. 3600 IN MX 10 mail.example.com.",
                                              "example.com. 3600 IN MX 20 mail.example.net."], "MX")
                r = self.ask("example.com", "TXT", tcp)
                self.assertSection(r.answer, ['example.com. 3600 IN TXT "v=spf1 mx -all"'], "TXT")

    def test_cname_chain_within_zone(self):
        for label, tcp in TRANSPORTS:
            with self.subTest(transport=label):
                r = self.ask("www.example.com", "A", tcp)
                self.assertEqual(r.rcode(), dns.rcode.NOERROR)
                self.assertTrue(r.flags & dns.flags.AA)
                self.assertSection(r.answer, ["www.example.com. 3600 IN CNAME web.example.com.",
                                              "web.example.com. 600 IN A 192.0.2.80"], "answer")

    def test_cname_query_type_returns_cname_only(self):
        r = self.ask("www.example.com", "CNAME", False)
        self.assertSection(r.answer, ["www.example.com. 3600 IN CNAME web.example.com."], "answer")

    def test_cname_chain_across_served_zones(self):
        # shop.example.com -> cdn.example.net -> www.example.net: every link is
        # served here, so the whole chain is in one answer (RFC 1034 4.3.2 step 3a).
        for label, tcp in TRANSPORTS:
            with self.subTest(transport=label):
                r = self.ask("shop.example.com", "A", tcp)
                self.assertEqual(r.rcode(), dns.rcode.NOERROR)
                self.assertTrue(r.flags & dns.flags.AA)
                self.assertSection(r.answer, [
                    "shop.example.com. 3600 IN CNAME cdn.example.net.",
                    "cdn.example.net. 3600 IN CNAME www.example.net.",
                    "www.example.net. 300 IN A 198.51.100.80",
                    "www.example.net. 300 IN A 198.51.100.81"], "answer")

    def test_cname_to_nodata_keeps_chain_and_soa(self):
        # The chain ends at a name without the type: NOERROR, the CNAME, and
        # the SOA of the zone that holds the end of the chain (RFC 2308 2.2).
        r = self.ask("www.example.com", "TXT", False)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertSection(r.answer, ["www.example.com. 3600 IN CNAME web.example.com."], "answer")
        self.assertEqual([rr.rdtype for rr in r.authority], [dns.rdatatype.SOA])

    def test_referral(self):
        for label, tcp in TRANSPORTS:
            for qname, qtype in (("host.sub.example.com", "A"), ("sub.example.com", "NS"),
                                 ("a.b.sub.example.com", "MX")):
                with self.subTest(transport=label, qname=qname, qtype=qtype):
                    r = self.ask(qname, qtype, tcp)
                    self.assertEqual(r.rcode(), dns.rcode.NOERROR)
                    self.assertFalse(r.flags & dns.flags.AA, "a referral is not authoritative")
                    self.assertEqual(r.answer, [])
                    self.assertSection(r.authority, ["sub.example.com. 3600 IN NS ns1.sub.example.com.",
                                                     "sub.example.com. 3600 IN NS ns.example.org."],
                                       "authority")
                    additional = harness.rrset_texts(r.additional)
                    for glue in ("ns1.sub.example.com. 3600 IN A 192.0.2.201",
                                 "ns1.sub.example.com. 3600 IN AAAA 2001:db8::201"):
                        self.assertIn(glue, additional, "glue in the additional section")

    def test_ds_at_delegation_is_answered_by_parent(self):
        # DS belongs to the parent side of the cut (RFC 4035 3.1.4.1): NODATA, AA.
        r = self.ask("sub.example.com", "DS", False)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertTrue(r.flags & dns.flags.AA)
        self.assertEqual(r.answer, [])
        self.assertEqual(harness.rrset_texts(r.authority),
                         ["example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. "
                          "2026113001 7200 3600 1209600 300"])

    def test_nxdomain_with_soa_and_negative_ttl(self):
        cases = (
            ("nope.example.com", "example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. "
                                 "2026113001 7200 3600 1209600 300"),
            ("a.b.example.net", "example.net. 600 IN SOA ns2.example.net. hostmaster.example.net. "
                                "2026113001 7200 3600 1209600 600"),
            ("nope.example.org", "example.org. 3600 IN SOA ns.example.org. hostmaster.example.org. "
                                 "2026113001 86400 7200 3600000 3600"),
            ("nope.neg.example", "neg.example. 60 IN SOA ns.neg.example. admin.neg.example. "
                                 "1 3600 600 86400 3600"),
        )
        for label, tcp in TRANSPORTS:
            for qname, soa in cases:
                with self.subTest(transport=label, qname=qname):
                    r = self.ask(qname, "A", tcp)
                    self.assertEqual(r.rcode(), dns.rcode.NXDOMAIN)
                    self.assertTrue(r.flags & dns.flags.AA)
                    self.assertEqual(r.answer, [])
                    self.assertSection(r.authority, [soa], "authority")

    def test_nodata_with_soa(self):
        cases = (
            ("mail.example.com", "AAAA", "example.com. 300 IN SOA"),
            ("example.net", "TXT", "example.net. 600 IN SOA"),
            ("ns.neg.example", "AAAA", "neg.example. 60 IN SOA"),
            # an empty non-terminal: _udp.example.org exists only as a parent
            ("_udp.example.org", "A", "example.org. 3600 IN SOA"),
        )
        for label, tcp in TRANSPORTS:
            for qname, qtype, soa_prefix in cases:
                with self.subTest(transport=label, qname=qname, qtype=qtype):
                    r = self.ask(qname, qtype, tcp)
                    self.assertEqual(r.rcode(), dns.rcode.NOERROR)
                    self.assertTrue(r.flags & dns.flags.AA)
                    self.assertEqual(r.answer, [])
                    auth = harness.rrset_texts(r.authority)
                    self.assertEqual(len(auth), 1, auth)
                    self.assertTrue(auth[0].startswith(soa_prefix), auth)

    def test_wildcard(self):
        for label, tcp in TRANSPORTS:
            with self.subTest(transport=label):
                r = self.ask("anything.apps.example.com", "A", tcp)
                self.assertEqual(r.rcode(), dns.rcode.NOERROR)
                self.assertTrue(r.flags & dns.flags.AA)
                self.assertSection(r.answer, ["anything.apps.example.com. 3600 IN A 192.0.2.100"], "A")
                r = self.ask("x.y.apps.example.com", "TXT", tcp)
                self.assertSection(r.answer,
                                   ['x.y.apps.example.com. 3600 IN TXT "served by the wildcard"'], "TXT")
                # The wildcard has no MX: NODATA, not NXDOMAIN.
                r = self.ask("anything.apps.example.com", "MX", tcp)
                self.assertEqual(r.rcode(), dns.rcode.NOERROR)
                self.assertEqual(r.answer, [])
                # apps.example.com itself is an empty non-terminal: NODATA.
                r = self.ask("apps.example.com", "A", tcp)
                self.assertEqual(r.rcode(), dns.rcode.NOERROR)
                self.assertEqual(r.answer, [])

    def test_refused_outside_served_zones(self):
        for label, tcp in TRANSPORTS:
            for qname in ("www.example.edu", "com", "."):
                with self.subTest(transport=label, qname=qname):
                    r = self.ask(qname, "A", tcp, rd=True)
                    self.assertEqual(r.rcode(), dns.rcode.REFUSED)
                    self.assertFalse(r.flags & dns.flags.AA)
                    self.assertEqual((r.answer, r.authority), ([], []))

    def test_mixed_case_question_preserved(self):
        for label, tcp in TRANSPORTS:
            with self.subTest(transport=label):
                r = self.ask("WeB.ExAmPlE.cOm", "A", tcp)
                self.assertEqual(r.rcode(), dns.rcode.NOERROR)
                self.assertEqual(r.question[0].name.to_text(), "WeB.ExAmPlE.cOm.")
                self.assertEqual([rr.to_text() for rr in r.answer[0]], ["192.0.2.80"])
                r = self.ask("NoPe.EXAMPLE.com", "A", tcp)
                self.assertEqual(r.rcode(), dns.rcode.NXDOMAIN)
                self.assertEqual(r.question[0].name.to_text(), "NoPe.EXAMPLE.com.")


if __name__ == "__main__":
    ARGS, argv = harness.parse_args()
    harness.die_after(120)
    unittest.main(argv=argv, verbosity=2)
