"""RFC 4592 section 2.2.1 wildcard cases, table-driven from the corpus
(rfc/rfc4592-wildcard.zone, rfc/rfc4592-expected.txt: the zone and the
expectations of BIND 9's system test), over UDP and TCP, plus BIND's check
that every single-octet label \\000..\\255 under example. is answered from
the wildcard TXT (escaping in names, RFC 4343).

Usage: test_rfc4592.py --flatns BIN --corpus DIR --examples DIR
"""

import os
import re
import tempfile
import unittest

import dns.flags
import dns.name
import dns.rcode
import dns.rdatatype

import harness

ARGS = None
SERVER = None
TMP = None


def load_cases(path):
    """Rows of 'QNAME QTYPE | RCODE | ANSWER count | checks | reason'."""
    cases = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            cols = [c.strip() for c in line.split("|")]
            if len(cols) != 5:
                raise ValueError(f"{path}:{number}: expected 5 columns separated by '|'")
            qname, qtype = cols[0].split()
            case = {"where": f"{os.path.basename(path)}:{number}", "qname": qname, "qtype": qtype,
                    "rcode": dns.rcode.from_text(cols[1]), "answers": int(cols[2]),
                    "reason": cols[4], "answer": None, "authority_ns": None}
            check = cols[3]
            if check.startswith("answer "):
                m = re.fullmatch(r"""answer (['"])(.*)\1""", check)
                if not m:
                    raise ValueError(f"{path}:{number}: cannot read the check {check!r}")
                case["answer"] = m.group(2)
            elif check.startswith("AUTHORITY "):
                m = re.fullmatch(r"AUTHORITY (\d+): (\S+) NS (\S+?)/(\S+?)( \(.*\))?", check)
                if not m:
                    raise ValueError(f"{path}:{number}: cannot read the check {check!r}")
                case["authority_ns"] = (m.group(2), sorted([m.group(3), m.group(4)]))
            elif check:
                raise ValueError(f"{path}:{number}: unknown check {check!r}")
            cases.append(case)
    return cases


def setUpModule():
    global SERVER, TMP
    TMP = tempfile.TemporaryDirectory(prefix="flatns-it-4592-")
    zone = os.path.join(ARGS.corpus, "rfc", "rfc4592-wildcard.zone")
    SERVER = harness.server_for(ARGS, [("example", zone)], TMP.name).__enter__()


def tearDownModule():
    if SERVER:
        SERVER.__exit__(None, None, None)
    if TMP:
        TMP.cleanup()


class Rfc4592(unittest.TestCase):
    def test_expected_answers(self):
        cases = load_cases(os.path.join(ARGS.corpus, "rfc", "rfc4592-expected.txt"))
        self.assertGreaterEqual(len(cases), 9)
        for tcp in (False, True):
            for c in cases:
                with self.subTest(tcp=tcp, case=c["where"], query=f"{c['qname']} {c['qtype']}",
                                  reason=c["reason"]):
                    r = SERVER.query(c["qname"], c["qtype"], tcp=tcp)
                    self.assertEqual(dns.rcode.to_text(r.rcode()), dns.rcode.to_text(c["rcode"]))
                    count = sum(len(rrset) for rrset in r.answer)
                    self.assertEqual(count, c["answers"], r.answer)
                    if c["answer"]:
                        got = [" ".join(t.split()[:1] + t.split()[2:])
                               for t in harness.rrset_texts(r.answer)]
                        self.assertEqual(got, [c["answer"]])
                    if c["authority_ns"]:
                        owner, targets = c["authority_ns"]
                        self.assertFalse(r.flags & dns.flags.AA, "referral")
                        ns = [rrset for rrset in r.authority if rrset.rdtype == dns.rdatatype.NS]
                        self.assertEqual(len(ns), 1, r.authority)
                        self.assertEqual(ns[0].name, dns.name.from_text(owner))
                        self.assertEqual(sorted(rr.target.to_text() for rr in ns[0]), targets)
                    else:
                        self.assertTrue(r.flags & dns.flags.AA)
                    if c["answers"] == 0 and not c["authority_ns"]:
                        self.assertEqual([rrset.rdtype for rrset in r.authority], [dns.rdatatype.SOA],
                                         "negative answers carry the SOA")

    def test_every_single_octet_label_matches_the_wildcard(self):
        failures = []
        for octet in range(256):
            qname = dns.name.Name([bytes([octet]), b"example", b""])
            r = SERVER.query(qname, "TXT")
            texts = [rr.strings for rrset in r.answer for rr in rrset]
            ok = (r.rcode() == dns.rcode.NOERROR and texts == [(b"this is a wildcard",)]
                  and len(r.answer) == 1 and r.answer[0].name == qname)
            if octet == ord("*"):
                # "*.example." is the wildcard owner itself: its own TXT.
                ok = r.rcode() == dns.rcode.NOERROR and texts == [(b"this is a wildcard",)]
            if not ok:
                failures.append(f"{qname.to_text()} TXT -> {dns.rcode.to_text(r.rcode())} {r.answer}")
        self.assertEqual(failures, [])


if __name__ == "__main__":
    ARGS, argv = harness.parse_args()
    harness.die_after(120)
    unittest.main(argv=argv, verbosity=2)
