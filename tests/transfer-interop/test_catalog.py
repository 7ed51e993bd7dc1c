"""Catalog zones (RFC 9432) with real peers (issue 15):

- Knot 3.2 generates a catalog (catalog-role: generate) of its member zones,
  one of them in a catalog group; flatns consumes it: every member is served
  (the grouped one with its template's flatten mode), a member added on Knot
  (config reload, SIGHUP) is served by flatns after the NOTIFY, and a member
  removed is no longer served, its file gone; flatns is never restarted.
- flatns produces a catalog of its own zones (catalogs[].produce); BIND 9.18
  consumes it (catalog-zones): named serves the member zones it transferred
  from flatns, and a zone added to flatns's catalog on SIGHUP reaches named.
- Two hand-written catalogs served by Knot as plain zones (so the test sets
  every unique-id and property): a member listed under a new unique-id is
  reset (its copy dropped and transferred anew, RFC 9432 §5.4), and a member
  moves to the other catalog only once its catalog's `coo` property names
  that one (§4.4.1), its file moving with it; it then stays served when its
  first catalog drops it.

Every server listens on 127.0.0.1, ports 27000-27099 (this test's range).
Usage: test_catalog.py --flatns BIN
"""

import argparse
import os
import shutil
import signal
import sys
import time
import unittest

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

import peers

PORTS = (27000, 27099)
HOST = peers.HOST
KNOT_CATALOG = "catalog.knot.example."
FLATNS_CATALOG = "catalog.flatns.example."
HAND_A = "cat-a.hand.example."
HAND_B = "cat-b.hand.example."
HAND_MEMBER = "h1.hand.example."
ARGS = None


def member_text(origin, serial=1):
    return "\n".join([f"$ORIGIN {origin}", "$TTL 300", f"@ SOA ns1 hostmaster {serial} 3600 600 86400 300",
                      "@ NS ns1", "ns1 A 192.0.2.1", "host A 192.0.2.9", "www CNAME host",
                      f'@ TXT "zone {origin}"']) + "\n"


def hand_catalog_text(origin, serial, records):
    """A schema version 2 catalog; records: (owner relative to the catalog, type, data)."""
    lines = [f"$ORIGIN {origin}", "$TTL 0", f"@ SOA invalid. hostmaster {serial} 3600 600 86400 0",
             "@ NS invalid.", 'version TXT "2"']
    lines += [f"{owner} {rdtype} {data}" for owner, rdtype, data in records]
    return "\n".join(lines) + "\n"


def ask(port, name, rdtype):
    q = dns.message.make_query(name, rdtype)
    return dns.query.udp(q, HOST, port=port, timeout=1)


def wait_for(what, check, server, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            raise AssertionError(f"{server.name} exited:\n{server.log()}")
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what}: not after {timeout} s\n--- {server.name} log ---\n{server.log()}")


class KnotCatalogPrimary(peers.Process):
    """knotd generating `catalog` from its member zones; `write_conf` and
    SIGHUP change the members."""

    name = "knot-catalog"

    def __init__(self, port, notify_port):
        super().__init__(port)
        self.notify_port = notify_port
        self.conf = os.path.join(self.dir, "knot.conf")

    def write_hand_catalog(self, origin, serial, records):
        with open(os.path.join(self.dir, f"{origin}zone"), "w") as f:
            f.write(hand_catalog_text(origin, serial, records))

    def write_conf(self, members):
        """members: {origin: group or None}."""
        d = self.dir
        zones = [f"""  - domain: {KNOT_CATALOG}
    catalog-role: generate
    notify: secondary
    acl: transfer
"""]
        # The hand-written catalogs and their member, plain zones to Knot.
        for origin in (HAND_A, HAND_B, HAND_MEMBER):
            path = os.path.join(d, f"{origin}zone")
            if origin == HAND_MEMBER and not os.path.exists(path):
                with open(path, "w") as f:
                    f.write(member_text(origin))
            zones.append(f"""  - domain: {origin}
    file: "{path}"
    notify: secondary
    acl: transfer
""")
        for origin, group in members.items():
            path = os.path.join(d, f"{origin}zone")
            if not os.path.exists(path):
                with open(path, "w") as f:
                    f.write(member_text(origin))
            zones.append(f"""  - domain: {origin}
    file: "{path}"
    catalog-role: member
    catalog-zone: {KNOT_CATALOG}
    notify: secondary
    acl: transfer
""" + (f"    catalog-group: {group}\n" if group else ""))
        with open(self.conf, "w") as f:
            f.write(peers.knot_conf_head(d, self.port) + f"""remote:
  - id: secondary
    address: {HOST}@{self.notify_port}
    key: {peers.KEY_NAME}
acl:
  - id: transfer
    address: {HOST}
    key: {peers.KEY_NAME}
    action: transfer
zone:
""" + "".join(zones))

    def run(self):
        return self.start([shutil.which("knotd") or "/usr/sbin/knotd", "-c", self.conf])


class BindCatalogConsumer(peers.Process):
    """named consuming `catalog` from flatns (catalog-zones)."""

    name = "named-catalog"

    def __init__(self, port, primary_port):
        super().__init__(port)
        d = self.dir
        self.conf = os.path.join(d, "named.conf")
        with open(self.conf, "w") as f:
            f.write(f"""options {{
    directory "{d}";
    pid-file "{d}/named.pid";
    session-keyfile "{d}/session.key";
    listen-on port {self.port} {{ {HOST}; }};
    listen-on-v6 {{ none; }};
    recursion no;
    notify no;
    dnssec-validation no;
    allow-new-zones yes;
    catalog-zones {{
        zone "{FLATNS_CATALOG}" default-primaries port {primary_port} {{ {HOST} key "{peers.KEY_NAME}"; }}
            in-memory yes min-update-interval 1;
    }};
}};
controls {{ }};
key "{peers.KEY_NAME}" {{ algorithm hmac-sha256; secret "{peers.KEY_SECRET}"; }};
zone "{FLATNS_CATALOG}" {{
    type secondary;
    file "{d}/catalog.db";
    primaries port {primary_port} {{ {HOST} key "{peers.KEY_NAME}"; }};
}};
""")

    def run(self):
        return self.start([shutil.which("named") or "/usr/sbin/named", "-g", "-n", "1", "-c", self.conf])


class Flatns(peers.Process):
    """flatns consuming Knot's catalog and producing its own for named."""

    name = "flatns"

    def __init__(self, binary, port, knot_port, named_port):
        super().__init__(port)
        self.binary = binary
        self.knot_port = knot_port
        self.named_port = named_port
        self.config = os.path.join(self.dir, "flatns.yaml")
        os.makedirs(os.path.join(self.dir, "zones"))
        for origin in ("p1.flatns.example.", "p2.flatns.example.", "p3.flatns.example."):
            with open(os.path.join(self.dir, "zones", origin + "zone"), "w") as f:
                f.write(member_text(origin, 7))

    def write_config(self, produced):
        k = peers.KEY_NAME
        lines = [
            "server:",
            f'  listen: ["{HOST}:{self.port}"]',
            "  workers: 1",
            "keys:",
            f"  - name: {k}",
            f'    secret: "{peers.KEY_SECRET}"',
            "zones:",
        ]
        for origin in produced:
            lines += [f"  - name: {origin}", f"    file: zones/{origin}zone", f"    catalog: {FLATNS_CATALOG}",
                      f"    allow_transfer: [{{address: {HOST}, key: {k}}}]"]
        lines += [
            "catalogs:",
            f"  - name: {KNOT_CATALOG}",
            f'    primaries: [{{address: "{HOST}:{self.knot_port}", key: {k}}}]',
            "    files: secondary/",
            "    template: {flatten: apex}",
            "    groups:",
            "      edge: {flatten: all}",
        ]
        for origin, folder in ((HAND_A, "hand-a/"), (HAND_B, "hand-b/")):
            lines += [f"  - name: {origin}", f'    primaries: [{{address: "{HOST}:{self.knot_port}", key: {k}}}]',
                      f"    files: {folder}"]
        lines += [
            f"  - name: {FLATNS_CATALOG}",
            "    produce: true",
            "    file: catalogs/flatns.zone",
            f"    allow_transfer: [{{address: {HOST}, key: {k}}}]",
            f'    notify: [{{address: "{HOST}:{self.named_port}", key: {k}}}]',
        ]
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(self.config, 0o600)

    def run(self):
        return self.start([self.binary, "serve", "-c", self.config])


def served(port, origin):
    r = ask(port, origin, "SOA")
    return r.rcode() == dns.rcode.NOERROR and any(a.rdtype == dns.rdatatype.SOA for a in r.answer)


def answer_types(port, name, rdtype):
    r = ask(port, name, rdtype)
    return sorted(dns.rdatatype.to_text(a.rdtype) for a in r.answer)


class Catalogs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.servers = []
        try:
            flatns_port, knot_port, named_port = (peers.free_port(PORTS) for _ in range(3))
            while len({flatns_port, knot_port, named_port}) < 3:
                named_port = peers.free_port(PORTS)
            cls.knot = KnotCatalogPrimary(knot_port, flatns_port)
            cls.flatns = Flatns(ARGS.flatns, flatns_port, knot_port, named_port)
            cls.named = BindCatalogConsumer(named_port, flatns_port)
            cls.servers += [cls.knot, cls.flatns, cls.named]
            cls.knot.write_hand_catalog(HAND_A, 1, [("u1.zones", "PTR", HAND_MEMBER)])
            cls.knot.write_hand_catalog(HAND_B, 1, [])
            cls.knot.write_conf({"m1.knot.example.": None, "m2.knot.example.": "edge"})
            cls.knot.run()
            cls.knot.wait_serial("m2.knot.example.", 1)
            cls.flatns.write_config(["p1.flatns.example.", "p2.flatns.example."])
            cls.flatns.run()
            # named asks once at start and, refused, waits its retry time
            # (minutes) even when a NOTIFY comes: start it once flatns answers.
            wait_for("flatns serves its own catalog", lambda: served(flatns_port, FLATNS_CATALOG), cls.flatns)
            cls.named.run()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers:
            s.cleanup()

    def test_1_knot_catalog_members_served_by_flatns(self):
        port = self.flatns.port
        for origin in ("m1.knot.example.", "m2.knot.example."):
            wait_for(f"flatns serves {origin}", lambda: served(port, origin), self.flatns)
        # m1: the template (flatten apex): www is a CNAME; m2 is in group edge (flatten all).
        self.assertEqual(answer_types(port, "www.m1.knot.example.", "A"), ["A", "CNAME"])
        wait_for("www.m2 flattened", lambda: answer_types(port, "www.m2.knot.example.", "A") == ["A"], self.flatns)
        files = os.listdir(os.path.join(self.flatns.dir, "secondary"))
        self.assertIn("m1.knot.example.zone", files)

    def test_2_knot_adds_and_removes_members(self):
        port = self.flatns.port
        wait_for("flatns serves m1", lambda: served(port, "m1.knot.example."), self.flatns)
        started = self.flatns.proc.pid
        self.knot.write_conf({"m1.knot.example.": None, "m2.knot.example.": "edge", "m3.knot.example.": None})
        self.knot.signal(signal.SIGHUP)
        wait_for("flatns serves m3 after Knot's reload", lambda: served(port, "m3.knot.example."), self.flatns)
        self.knot.write_conf({"m2.knot.example.": "edge", "m3.knot.example.": None})
        self.knot.signal(signal.SIGHUP)
        wait_for("flatns stops serving m1", lambda: ask(port, "m1.knot.example.", "SOA").rcode() == dns.rcode.REFUSED,
                 self.flatns)
        self.assertTrue(served(port, "m2.knot.example."))
        self.assertTrue(served(port, "m3.knot.example."))
        self.assertNotIn("m1.knot.example.zone", os.listdir(os.path.join(self.flatns.dir, "secondary")))
        self.assertEqual(self.flatns.proc.pid, started)  # never restarted
        self.assertIn("member m1.knot.example. removed", self.flatns.log())

    def test_3_bind_consumes_flatns_catalog(self):
        named = self.named.port
        for origin in ("p1.flatns.example.", "p2.flatns.example."):
            wait_for(f"named serves {origin} from flatns's catalog", lambda: served(named, origin), self.named,
                     timeout=30)
        self.assertEqual(peers.soa_serial(named, "p1.flatns.example."), 7)
        r = ask(named, "p2.flatns.example.", "TXT")
        self.assertIn("zone p2.flatns.example.", r.answer[0].to_text())
        self.assertFalse(served(named, "p3.flatns.example."))
        # p3 joins the catalog on SIGHUP: a new catalog serial, NOTIFY, named adds it.
        before = peers.soa_serial(self.flatns.port, FLATNS_CATALOG)
        self.flatns.write_config(["p1.flatns.example.", "p2.flatns.example.", "p3.flatns.example."])
        self.flatns.signal(signal.SIGHUP)
        wait_for("flatns's catalog serial moves", lambda: peers.soa_serial(self.flatns.port, FLATNS_CATALOG) != before,
                 self.flatns)
        wait_for("named serves p3 from flatns's catalog", lambda: served(named, "p3.flatns.example."), self.named,
                 timeout=30)

    def test_4_member_reset_and_coo_move(self):
        port, knot, log = self.flatns.port, self.knot, self.flatns.log
        hand_a = os.path.join(self.flatns.dir, "hand-a", HAND_MEMBER + "zone")
        hand_b = os.path.join(self.flatns.dir, "hand-b", HAND_MEMBER + "zone")
        wait_for(f"flatns serves {HAND_MEMBER} from {HAND_A}", lambda: served(port, HAND_MEMBER), self.flatns)
        self.assertTrue(os.path.exists(hand_a))

        def publish(origin, serial, records):
            knot.write_hand_catalog(origin, serial, records)
            knot.signal(signal.SIGHUP)
            wait_for(f"flatns reads {origin} serial {serial}", lambda: f"catalog {origin} serial {serial}:" in log(),
                     self.flatns)

        # A new unique-id: the member is reset, fetched anew, and served again.
        publish(HAND_A, 2, [("u2.zones", "PTR", HAND_MEMBER)])
        wait_for("the reset logged", lambda: f"member {HAND_MEMBER} reset (unique-id u1 -> u2): fetched anew" in log(),
                 self.flatns)
        wait_for(f"{HAND_MEMBER} served after its reset", lambda: served(port, HAND_MEMBER) and os.path.exists(hand_a),
                 self.flatns)
        # Listed by a second catalog too: it stays with the first.
        publish(HAND_B, 2, [("v1.zones", "PTR", HAND_MEMBER)])
        self.assertNotIn(f"member {HAND_MEMBER} moves", log())
        self.assertTrue(os.path.exists(hand_a))
        # The first catalog's coo names the second: the member moves, file and all.
        publish(HAND_A, 3, [("u2.zones", "PTR", HAND_MEMBER), ("coo.u2.zones", "PTR", HAND_B)])
        wait_for("the move logged", lambda: f"member {HAND_MEMBER} moves from catalog {HAND_A} to {HAND_B}" in log(),
                 self.flatns)
        wait_for(f"{HAND_MEMBER}'s copy moved to {HAND_B}'s folder",
                 lambda: os.path.exists(hand_b) and not os.path.exists(hand_a), self.flatns)
        self.assertTrue(served(port, HAND_MEMBER))
        # Dropped by the first catalog, it stays: the second owns it now.
        publish(HAND_A, 4, [])
        time.sleep(0.5)
        self.assertTrue(served(port, HAND_MEMBER))
        self.assertNotIn(f"member {HAND_MEMBER} removed", log())


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--flatns", required=True)
    ARGS, rest = parser.parse_known_args()
    for tool in ("knotd", "named"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            print(f"SKIP: {tool} not installed")
            return 77
    result = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2).result
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
