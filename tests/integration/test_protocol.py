"""Protocol behaviour of flatns seen from real clients: header flags, EDNS(0)
(RFC 6891), NSID (RFC 5001), truncation and TCP fallback (RFC 1035 4.2.1,
RFC 7766), NOTIMP / FORMERR / dropped queries, ANY (RFC 8482), and the same
answers through dig and kdig.

Usage: test_protocol.py --flatns BIN --corpus DIR --examples DIR
"""

import os
import struct
import tempfile
import unittest

import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdatatype

import harness

ARGS = None
SERVER = None
TMP = None
NSID = "flatns-it-1"

# big.tc.example: 30 TXT records of 100 octets (about 3.4 kB on the wire):
# needs TCP or EDNS >= 4096. mid.tc.example: 8 of them (about 900 octets):
# fits 1232 but not 512.
TEXT = "x" * 100


def tc_zone():
    lines = ["$ORIGIN tc.example.", "$TTL 300",
             "@ IN SOA ns.tc.example. admin.tc.example. 1 3600 600 86400 300",
             "  IN NS ns.tc.example.", "ns IN A 192.0.2.7"]
    lines += [f'big IN TXT "{i:02d}{TEXT}"' for i in range(30)]
    lines += [f'mid IN TXT "{i:02d}{TEXT}"' for i in range(8)]
    return "\n".join(lines) + "\n"


def setUpModule():
    global SERVER, TMP
    TMP = tempfile.TemporaryDirectory(prefix="flatns-it-protocol-")
    tc = os.path.join(TMP.name, "tc.example.zone")
    with open(tc, "w") as f:
        f.write(tc_zone())
    z = os.path.join(ARGS.examples, "zones")
    SERVER = harness.server_for(ARGS, [
        ("example.net", os.path.join(z, "example.net.zone")),
        ("example.org", os.path.join(z, "example.org.zone"), "off"),
        ("tc.example", tc),
    ], TMP.name, nsid=NSID).__enter__()


def tearDownModule():
    if SERVER:
        SERVER.__exit__(None, None, None)
    if TMP:
        TMP.cleanup()


def header(wire):
    ident, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", wire[:12])
    return {"id": ident, "flags": flags, "rcode": flags & 0xF, "opcode": (flags >> 11) & 0xF,
            "qd": qd, "an": an, "ns": ns, "ar": ar}


class Flags(unittest.TestCase):
    def test_aa_rd_copied_ra_never(self):
        for tcp in (False, True):
            for rd in (False, True):
                with self.subTest(tcp=tcp, rd=rd):
                    r = SERVER.query("www.example.net", "A", tcp=tcp, rd=rd)
                    self.assertTrue(r.flags & dns.flags.QR)
                    self.assertTrue(r.flags & dns.flags.AA)
                    self.assertEqual(bool(r.flags & dns.flags.RD), rd, "RD is copied from the query")
                    self.assertFalse(r.flags & dns.flags.RA, "an authoritative server offers no recursion")
                    self.assertFalse(r.flags & dns.flags.TC)

    def test_id_and_question_echoed(self):
        q = harness.make_query("ns.example.org", "AAAA", id=0xBEEF)
        r = SERVER.send(q)
        self.assertEqual(r.id, 0xBEEF)
        self.assertEqual(r.question, q.question)

    def test_refused_copies_rd_and_has_no_ra(self):
        r = SERVER.query("example.edu", "A", rd=True)
        self.assertEqual(r.rcode(), dns.rcode.REFUSED)
        self.assertTrue(r.flags & dns.flags.RD)
        self.assertFalse(r.flags & (dns.flags.RA | dns.flags.AA))


class Edns(unittest.TestCase):
    def test_opt_in_answer_when_query_has_opt(self):
        r = SERVER.query("www.example.net", "A", edns=0, payload=4096)
        self.assertEqual(r.edns, 0)
        self.assertGreaterEqual(r.payload, 512)
        self.assertEqual(r.ednsflags & dns.flags.DO, 0)
        r = SERVER.query("www.example.net", "A")
        self.assertEqual(r.edns, -1, "no OPT in the answer to a query without one")

    def test_do_bit_copied(self):
        # RFC 3225 section 3: the DO bit of the query is copied to the response.
        for tcp in (False, True):
            with self.subTest(tcp=tcp):
                r = SERVER.query("www.example.net", "A", tcp=tcp, edns=0, do=True)
                self.assertEqual(r.rcode(), dns.rcode.NOERROR)
                self.assertTrue(r.ednsflags & dns.flags.DO)
                self.assertEqual(len(r.answer), 1)

    def test_badvers_for_version_1(self):
        # RFC 6891 6.1.3: unknown version -> BADVERS, OPT with version 0, no answer.
        r = SERVER.query("www.example.net", "A", edns=1)
        self.assertEqual(r.rcode(), dns.rcode.BADVERS)
        self.assertEqual(r.edns, 0)
        self.assertEqual(r.answer, [])

    def test_nsid(self):
        r = SERVER.query("www.example.net", "A", edns=0,
                         options=[dns.edns.GenericOption(dns.edns.NSID, b"")])
        nsid = [o for o in r.options if o.otype == dns.edns.NSID]
        self.assertEqual(len(nsid), 1, r.options)
        data = nsid[0].data if hasattr(nsid[0], "data") else nsid[0].to_wire()
        self.assertEqual(bytes(data), NSID.encode())
        r = SERVER.query("www.example.net", "A", edns=0)
        self.assertEqual([o for o in r.options if o.otype == dns.edns.NSID], [],
                         "NSID only when asked for")

    def test_unknown_option_ignored(self):
        # RFC 6891 6.1.2: unknown options are ignored, not echoed.
        r = SERVER.query("www.example.net", "A", edns=0,
                         options=[dns.edns.GenericOption(65001, b"flatns")])
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertEqual(len(r.answer), 1)
        self.assertEqual([o for o in r.options if o.otype == 65001], [])


class Truncation(unittest.TestCase):
    def full_txt(self, r, count):
        self.assertEqual(len(r.answer), 1)
        self.assertEqual(len(r.answer[0]), count)

    def check_truncated(self, r, wire_len, limit):
        self.assertTrue(r.flags & dns.flags.TC)
        self.assertLessEqual(wire_len, limit)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertEqual(len(r.question), 1, "the question is kept in a truncated answer")

    def udp(self, q):
        wire = SERVER.raw_udp(q.to_wire())
        self.assertIsNotNone(wire, "no answer over UDP")
        return dns.message.from_wire(wire, ignore_trailing=False), len(wire)

    def test_no_edns_over_512_truncates(self):
        for name in ("big.tc.example", "mid.tc.example"):
            with self.subTest(name=name):
                r, n = self.udp(harness.make_query(name, "TXT"))
                self.check_truncated(r, n, 512)

    def test_edns_payload_bounds_the_answer(self):
        r, n = self.udp(harness.make_query("big.tc.example", "TXT", edns=0, payload=1232))
        self.check_truncated(r, n, 1232)
        r, n = self.udp(harness.make_query("mid.tc.example", "TXT", edns=0, payload=1232))
        self.assertFalse(r.flags & dns.flags.TC)
        self.full_txt(r, 8)
        # A server may cap UDP answers at its own payload size (NSD: 1232;
        # the DNS flag day 2020 value): then TC=1 within that size, else all.
        r, n = self.udp(harness.make_query("big.tc.example", "TXT", edns=0, payload=4096))
        self.assertEqual(r.edns, 0)
        if r.flags & dns.flags.TC:
            self.assertLessEqual(n, min(4096, max(512, r.payload)))
        else:
            self.full_txt(r, 30)

    def test_payload_below_512_counts_as_512(self):
        # RFC 6891 6.2.5: values below 512 are treated as 512.
        r, n = self.udp(harness.make_query("ns.example.org", "A", edns=0, payload=100))
        self.assertFalse(r.flags & dns.flags.TC)
        self.assertEqual(len(r.answer), 1)

    def test_tcp_gets_everything(self):
        r = SERVER.query("big.tc.example", "TXT", tcp=True)
        self.assertFalse(r.flags & dns.flags.TC)
        self.full_txt(r, 30)

    def test_dig_retries_over_tcp(self):
        base = ["dig", "@" + harness.HOST, "-p", str(SERVER.port), "+norec", "+time=3", "+tries=1"]
        out = harness.run_tool(base + ["+noedns", "+ignore", "big.tc.example", "TXT"])
        self.assertRegex(out, r"flags:[^;]*\btc\b", out)
        out = harness.run_tool(base + ["+noedns", "+short", "big.tc.example", "TXT"])
        lines = sorted(out.split())
        self.assertEqual(lines, sorted(f'"{i:02d}{TEXT}"' for i in range(30)))

    def test_kdig_retries_over_tcp(self):
        out = harness.run_tool(["kdig", "@" + harness.HOST, "-p", str(SERVER.port), "+norec",
                                "+noedns", "+short", "big.tc.example", "TXT"])
        self.assertEqual(sorted(out.split()), sorted(f'"{i:02d}{TEXT}"' for i in range(30)))


class Errors(unittest.TestCase):
    def test_notimp_for_status_and_update(self):
        for opcode in (dns.opcode.STATUS, dns.opcode.UPDATE):
            with self.subTest(opcode=dns.opcode.to_text(opcode)):
                q = harness.make_query("www.example.net", "A", id=4242)
                q.set_opcode(opcode)
                wire = SERVER.raw_udp(q.to_wire())
                self.assertIsNotNone(wire)
                h = header(wire)
                self.assertEqual(h["id"], 4242)
                self.assertEqual(h["rcode"], dns.rcode.NOTIMP)
                self.assertEqual(h["opcode"], opcode)
                self.assertTrue(h["flags"] & 0x8000, "QR")
                self.assertEqual(h["an"], 0)

    def test_formerr_for_malformed_queries(self):
        good = harness.make_query("www.example.net", "A", id=0x1234).to_wire()
        cases = {
            "no question": struct.pack("!HHHHHH", 0x1234, 0, 0, 0, 0, 0),
            "question cut in a label": good[:12] + b"\x03ww",
            "question without type and class": good[:-4],
            "two questions": good[:4] + b"\x00\x02" + good[6:] + good[12:],
            "label length 64": good[:12] + b"\x40" + b"a" * 64 + b"\x00\x00\x01\x00\x01",
            "answer count but no answer": good[:6] + b"\x00\x01" + good[8:],
        }
        for what, wire in cases.items():
            with self.subTest(case=what):
                reply = SERVER.raw_udp(wire)
                self.assertIsNotNone(reply, "a malformed query with a full header gets FORMERR")
                h = header(reply)
                self.assertEqual(h["id"], 0x1234)
                self.assertEqual(h["rcode"], dns.rcode.FORMERR)
                self.assertTrue(h["flags"] & 0x8000)
                self.assertEqual(h["an"], 0)

    def test_responses_and_short_headers_are_dropped(self):
        good = harness.make_query("www.example.net", "A").to_wire()
        self.assertIsNone(SERVER.raw_udp(good[:2] + bytes([good[2] | 0x80]) + good[3:], timeout=0.5),
                          "a message with QR=1 is never answered")
        self.assertIsNone(SERVER.raw_udp(good[:7], timeout=0.5), "a short header is dropped")
        # The server is still there.
        self.assertEqual(SERVER.query("www.example.net", "A").rcode(), dns.rcode.NOERROR)


class Any(unittest.TestCase):
    # RFC 8482 section 4.1: answer ANY with one RRset of the name (or a
    # synthesized HINFO). NSD 4.6 and Knot 3.2 both return one RRset, over UDP
    # and over TCP; which one is the server's choice.
    def test_any_returns_one_rrset_of_the_name(self):
        types_at = {"ns.example.org": {"A", "AAAA"}, "sip.example.org": {"A", "CAA"},
                    "example.net": {"SOA", "NS", "MX"}}
        for tcp in (False, True):
            for name, types in types_at.items():
                with self.subTest(tcp=tcp, name=name):
                    r = SERVER.query(name, "ANY", tcp=tcp)
                    self.assertEqual(r.rcode(), dns.rcode.NOERROR)
                    self.assertTrue(r.flags & dns.flags.AA)
                    self.assertEqual(len(r.answer), 1, r.answer)
                    rrset = r.answer[0]
                    self.assertEqual(rrset.name.to_text().lower(), name + ".")
                    self.assertIn(dns.rdatatype.to_text(rrset.rdtype), types | {"HINFO"})

    def test_any_for_missing_name_is_nxdomain(self):
        r = SERVER.query("nope.example.org", "ANY")
        self.assertEqual(r.rcode(), dns.rcode.NXDOMAIN)
        self.assertEqual([rr.rdtype for rr in r.authority], [dns.rdatatype.SOA])


class Clients(unittest.TestCase):
    """The same answers through dig and kdig, parsed from their text output."""

    def tool(self, prog, *args):
        return harness.run_tool([prog, "@" + harness.HOST, "-p", str(SERVER.port), "+norec",
                                 "+time=3", "+tries=1" if prog == "dig" else "+retry=0", *args])

    def test_short_answers(self):
        for prog in ("dig", "kdig"):
            for tcp in ("+notcp", "+tcp"):
                with self.subTest(prog=prog, transport=tcp):
                    out = self.tool(prog, tcp, "+short", "www.example.net", "A")
                    self.assertEqual(sorted(out.split()), ["198.51.100.80", "198.51.100.81"])
                    out = self.tool(prog, tcp, "+short", "cdn.example.net", "AAAA")
                    self.assertEqual(out.split(), ["www.example.net.", "2001:db8:100::80"])
                    out = self.tool(prog, tcp, "+short", "_sip._udp.example.org", "SRV")
                    self.assertEqual(out.split(), ["10", "60", "5060", "sip.example.org."])

    def test_answer_sections_with_ttls(self):
        for prog in ("dig", "kdig"):
            with self.subTest(prog=prog):
                out = self.tool(prog, "+noall", "+answer", "example.org", "TXT")
                self.assertEqual([l.split() for l in out.splitlines() if l.strip()],
                                 [["example.org.", "86400", "IN", "TXT",
                                   '"example.org', "is", "served", "by", 'flatns"']])

    def test_status_lines(self):
        out = self.tool("dig", "nope.example.net", "A")
        self.assertIn("status: NXDOMAIN", out)
        self.assertRegex(out, r"flags: qr aa;")
        out = self.tool("kdig", "example.edu", "A")
        self.assertIn("status: REFUSED", out)
        out = self.tool("dig", "+nsid", "www.example.net", "A")
        nsid_lines = [l for l in out.splitlines() if l.startswith("; NSID:")]
        self.assertEqual(len(nsid_lines), 1, out)
        self.assertTrue(nsid_lines[0].endswith(f'("{NSID}")'), nsid_lines)


if __name__ == "__main__":
    ARGS, argv = harness.parse_args()
    harness.die_after(180)
    unittest.main(argv=argv, verbosity=2)
