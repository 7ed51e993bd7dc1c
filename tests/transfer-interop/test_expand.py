"""Flattened names in outgoing transfers (issue 15): a zone whose apex is a
CNAME to a name outside it, flattened by flatns, transferred to BIND (named)
and Knot secondaries through `allow_transfer` entries with `expand: true`.
They load it (they refuse a CNAME beside other data, so they only can when
the CNAME was replaced by the flattened A) and answer the flattened address;
when the target's A record changes upstream, flatns gives the expanded view
a new serial and NOTIFYs them, and they answer the new address. A client
whose entry has no `expand` still gets the zone as written (the CNAME, the
file's serial).

The upstream is a scripted authority for cdn.test. (dnspython) that flatns's
resolver forwards to (resolver.dnssec off: its answers are insecure, which
flatns accepts as validated). The secondaries transfer from their own
loopback source addresses (named 127.0.27.2, Knot 127.0.27.3) so that the
ACL tells them from the plain client on 127.0.0.1.

Every server listens on 127.0.0.1, ports 27100-27199 (this test's range).
Usage: test_expand.py --flatns BIN. Exit 77 (skipped) when named or knotd is missing.
"""

import argparse
import os
import shutil
import sys
import time
import unittest

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

import peers

# The scripted upstream server is shared with the integration tests.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402

HOST = "127.0.0.1"
PORTS = (27100, 27199)
BIND_SOURCE = "127.0.27.2"
KNOT_SOURCE = "127.0.27.3"
ZONE = "expand.test."
FILE_SERIAL = 10
TARGET = "www.cdn.test."
ARGS = None


def free_port(taken):
    """peers.free_port in this test's range, other than the ones `taken`."""
    for _ in range(200):
        port = peers.free_port(PORTS)
        if port not in taken:
            taken.add(port)
            return port
    raise RuntimeError(f"no free port in {PORTS}")


class Upstream(harness.ScriptedUpstream):
    """The authority of cdn.test.: www.cdn.test. A is `address`, TTL 2; no AAAA."""

    def __init__(self, port):
        self.address = "198.51.100.1"
        super().__init__(HOST, port)

    def reply(self, query):
        reply = dns.message.make_response(query)
        reply.flags |= dns.flags.RA | dns.flags.AA
        q = query.question[0]
        if q.name.to_text().lower() == TARGET and q.rdtype == dns.rdatatype.A:
            reply.answer.append(dns.rrset.from_text(q.name, 2, "IN", "A", self.address))
        elif q.name.to_text().lower().endswith("cdn.test."):
            reply.authority.append(dns.rrset.from_text("cdn.test.", 2, "IN", "SOA",
                                                       "ns.cdn.test. h.cdn.test. 1 60 60 60 2"))
        else:
            reply.set_rcode(dns.rcode.REFUSED)
        return reply


class Flatns(peers.Process):
    name = "flatns"

    def __init__(self, binary, port, upstream_port, bind_port, knot_port):
        super().__init__(port)
        with open(os.path.join(self.dir, "expand.test.zone"), "w") as f:
            f.write(f"""$ORIGIN {ZONE}
$TTL 300
@ SOA ns1 hostmaster {FILE_SERIAL} 3600 600 86400 60
@ NS ns1
@ CNAME {TARGET}
@ MX 10 mail
ns1 A 192.0.2.53
mail A 192.0.2.25
www CNAME mail
""")
        self.config = os.path.join(self.dir, "flatns.yaml")
        with open(self.config, "w") as f:
            f.write(f"""server:
  listen: ["{HOST}:{port}"]
  workers: 1
zones:
  - name: {ZONE}
    file: expand.test.zone
    allow_transfer: [{{address: {BIND_SOURCE}, expand: true}}, {{address: {KNOT_SOURCE}, expand: true}},
                     {{address: {HOST}}}]
    notify: [{{address: "{HOST}:{bind_port}", expand: true}}, {{address: "{HOST}:{knot_port}", expand: true}}]
resolver:
  mode: forward
  forwarders: ["{HOST}:{upstream_port}"]
  dnssec: off
""")
        self.binary = binary

    def run(self):
        return self.start([self.binary, "serve", "-c", self.config])


class Named(peers.Process):
    name = "named"

    def __init__(self, port, primary_port):
        super().__init__(port)
        d = self.dir
        conf = os.path.join(d, "named.conf")
        with open(conf, "w") as f:
            f.write(f"""options {{
    directory "{d}";
    pid-file "{d}/named.pid";
    session-keyfile "{d}/session.key";
    listen-on port {port} {{ {HOST}; }};
    listen-on-v6 {{ none; }};
    recursion no;
    notify no;
    dnssec-validation no;
}};
controls {{ }};
zone "{ZONE.rstrip('.')}" {{
    type secondary;
    file "{d}/{ZONE}db";
    masterfile-format text;
    transfer-source {BIND_SOURCE};
    primaries port {primary_port} {{ {HOST}; }};
}};
""")
        self.argv = [shutil.which("named") or "/usr/sbin/named", "-g", "-n", "1", "-c", conf]

    def run(self):
        return self.start(self.argv)


class Knot(peers.Process):
    name = "knot"

    def __init__(self, port, primary_port):
        super().__init__(port)
        d = self.dir
        conf = os.path.join(d, "knot.conf")
        with open(conf, "w") as f:
            f.write(peers.knot_conf_head(d, port) + f"""remote:
  - id: primary
    address: {HOST}@{primary_port}
    via: {KNOT_SOURCE}
acl:
  - id: notify_from_primary
    address: {HOST}
    action: notify
zone:
  - domain: {ZONE}
    storage: "{d}"
    file: "{ZONE}zone"
    master: primary
    acl: notify_from_primary
""")
        self.argv = [shutil.which("knotd") or "/usr/sbin/knotd", "-c", conf]

    def run(self):
        return self.start(self.argv)


def ask(port, name, rdtype, source=None):
    q = dns.message.make_query(name, rdtype)
    q.flags = 0
    return dns.query.udp(q, HOST, port=port, timeout=1, source=source)


def addresses(port, name=ZONE):
    r = ask(port, name, "A")
    return sorted(rr.to_text() for rrset in r.answer if rrset.rdtype == dns.rdatatype.A for rr in rrset)


def axfr(port, source):
    """The AXFR's records as {(owner, type): [rdata, ...]}, and the serial (a
    dns.zone would drop the apex's other data beside a CNAME)."""
    records = {}
    for message in dns.query.xfr(HOST, ZONE, port=port, source=source, timeout=5, lifetime=10, relativize=False):
        for rrset in message.answer:
            records.setdefault((rrset.name.to_text(), rrset.rdtype), []).extend(rrset)
    return records, records[(ZONE, dns.rdatatype.SOA)][0].serial


class ExpandToForeignSecondaries(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        taken = set()
        ports = {k: free_port(taken) for k in ("flatns", "upstream", "named", "knot")}
        cls.upstream = Upstream(ports["upstream"])
        cls.servers = []
        try:
            cls.flatns = Flatns(ARGS.flatns, ports["flatns"], ports["upstream"], ports["named"], ports["knot"])
            cls.servers.append(cls.flatns.run())
            cls.flatns.wait_serial(ZONE, FILE_SERIAL)
            cls.named = Named(ports["named"], ports["flatns"])
            cls.knot = Knot(ports["knot"], ports["flatns"])
            cls.servers += [cls.named.run(), cls.knot.run()]
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers:
            s.cleanup()
        cls.upstream.stop()

    def wait_address(self, server, address, timeout=30.0):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if not server.alive():
                self.fail(f"{server.name} exited:\n{server.log()}")
            try:
                last = addresses(server.port)
                if last == [address]:
                    return
            except Exception as e:  # not loaded yet: SERVFAIL, timeouts
                last = repr(e)
            time.sleep(0.2)
        self.fail(f"{server.name}: {ZONE} A is {last}, not {address}, after {timeout} s\n"
                  f"--- {server.name} log ---\n{server.log()[-6000:]}\n--- flatns log ---\n{self.flatns.log()[-6000:]}")

    def test_1_expanded_view_reaches_named_and_knot_and_follows_the_target(self):
        self.assertEqual(addresses(self.flatns.port), ["198.51.100.1"])
        for server in (self.named, self.knot):
            self.wait_address(server, "198.51.100.1")
            # The rest of the zone as written: the apex's other data, a CNAME that is not flattened.
            mx = ask(server.port, ZONE, "MX")
            self.assertEqual([rr.to_text() for rrset in mx.answer for rr in rrset], [f"10 mail.{ZONE}"])
            www = ask(server.port, f"www.{ZONE}", "CNAME")
            self.assertEqual([rr.to_text() for rrset in www.answer for rr in rrset], [f"mail.{ZONE}"])
            apex_cname = ask(server.port, ZONE, "CNAME")
            self.assertFalse([rrset for rrset in apex_cname.answer if rrset.rdtype == dns.rdatatype.CNAME],
                             f"{server.name} kept the apex CNAME")
        first = peers.soa_serial(self.named.port, ZONE)
        self.assertGreater(first, FILE_SERIAL)  # the view of the resolved target counts up from the file's
        self.assertEqual(peers.soa_serial(self.knot.port, ZONE), first)

        self.upstream.address = "198.51.100.2"  # the target moves: NOTIFY, then IXFR
        for server in (self.named, self.knot):
            self.wait_address(server, "198.51.100.2", timeout=20.0)
        second = peers.soa_serial(self.named.port, ZONE)
        self.assertEqual((second - first) % 2**32 > 0 and (second - first) % 2**32 < 2**31, True,
                         f"serial {second} is not after {first} (RFC 1982)")
        log = self.flatns.log()
        self.assertIn("expanded view", log)
        self.assertIn(f"NOTIFY {ZONE} (expanded view) serial {second}", log)

    def test_2_plain_entry_gets_the_zone_as_written(self):
        records, serial = axfr(self.flatns.port, HOST)
        self.assertEqual([r.to_text() for r in records[(ZONE, dns.rdatatype.CNAME)]], [TARGET])
        self.assertNotIn((ZONE, dns.rdatatype.A), records)
        self.assertIn((ZONE, dns.rdatatype.NS), records)
        self.assertEqual(serial, FILE_SERIAL)
        # and the SOA it checks says the file's serial too
        self.assertEqual(peers.soa_serial(self.flatns.port, ZONE), FILE_SERIAL)

    def test_3_expand_entry_gets_the_flattened_view(self):
        records, serial = axfr(self.flatns.port, BIND_SOURCE)
        self.assertNotIn((ZONE, dns.rdatatype.CNAME), records)
        self.assertIn((ZONE, dns.rdatatype.NS), records)
        self.assertEqual(len(records[(ZONE, dns.rdatatype.A)]), 1)
        self.assertEqual([r.to_text() for r in records[(f"www.{ZONE}", dns.rdatatype.CNAME)]], [f"mail.{ZONE}"])
        self.assertGreater(serial, FILE_SERIAL)
        soa = ask(self.flatns.port, ZONE, "SOA", source=BIND_SOURCE)
        self.assertEqual(soa.answer[0][0].serial, serial)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--flatns", required=True)
    ARGS, rest = parser.parse_known_args()
    ARGS.flatns = os.path.abspath(ARGS.flatns)
    for tool in ("named", "knotd"):
        if not (shutil.which(tool) or os.path.exists(f"/usr/sbin/{tool}")):
            print(f"skipped: needs {tool}")
            return 77
    result = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2).result
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
