"""Hostile input against the running flatns binary (issue 7): malformed
headers, names and sections, broken EDNS, and abusive TCP clients (a length
prefix with nothing behind it, thousands of idle connections, slowloris).

Every case asserts what a client sees -- the exact rcode, or silence -- and
is followed by ordinary queries (dnspython over UDP and TCP, kdig once) that
must still be answered: one bad packet never stops the server.

Usage: test_hostile.py --flatns BIN --corpus DIR --examples DIR
"""

import os
import resource
import socket
import struct
import subprocess
import tempfile
import time
import unittest

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

import harness

# This module's ports (issue 7 work): 127.0.0.1:28000-28999.
harness.PORT_RANGE = (28000, 28499)

ARGS = None
SERVER = None
TMP = None
IDLE_TIMEOUT_MS = 1500
MAX_CONNECTIONS = 200

FORMERR = dns.rcode.FORMERR
NOTIMP = dns.rcode.NOTIMP
BADVERS = dns.rcode.BADVERS  # 16: 0 in the header, 1 in the OPT's extended rcode


def setUpModule():
    global SERVER
    # Thousands of client sockets in this process.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    global TMP
    TMP = tempfile.TemporaryDirectory(prefix="flatns-it-hostile-")
    big = os.path.join(TMP.name, "hostile.example.zone")
    with open(big, "w") as f:
        f.write(big_zone())
    zones = os.path.join(ARGS.examples, "zones")
    SERVER = harness.Flatns(ARGS.flatns, [("example.net", os.path.join(zones, "example.net.zone")),
                                          ("hostile.example", big)],
                            server_extra=[f"tcp_idle_timeout_ms: {IDLE_TIMEOUT_MS}",
                                          f"tcp_max_connections: {MAX_CONNECTIONS}"]).__enter__()


def tearDownModule():
    if SERVER:
        SERVER.__exit__(None, None, None)
    if TMP:
        TMP.cleanup()


# Wire building -------------------------------------------------------------

def header(ident=0x4242, flags=0, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", ident, flags, qd, an, ns, ar)


def wire_name(text):
    out = b""
    for label in text.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


QUESTION = wire_name("www.example.net") + struct.pack("!HH", 1, 1)  # A IN


def opt(version=0, payload=1232, rdata=b""):
    return b"\x00" + struct.pack("!HHBBHH", 41, payload, 0, version, 0, len(rdata)) + rdata


def parse_reply(wire):
    ident, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", wire[:12])
    return {"id": ident, "qr": bool(flags & 0x8000), "opcode": (flags >> 11) & 0xF,
            "tc": bool(flags & 0x0200), "rcode": flags & 0xF, "qd": qd, "an": an, "ns": ns, "ar": ar}


def tcp_connect(timeout=3.0):
    s = socket.create_connection((harness.HOST, SERVER.port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def tcp_exchange(payload, timeout=3.0):
    """Sends one framed message on a fresh connection; returns the reply or
    None when the server sends nothing and closes or stays silent."""
    with tcp_connect(timeout) as s:
        s.sendall(struct.pack("!H", len(payload)) + payload)
        s.settimeout(timeout)
        try:
            size = recv_exact(s, 2)
            return None if size is None else recv_exact(s, struct.unpack("!H", size)[0])
        except socket.timeout:
            return None


def closed_by_server(s, within):
    """True when the server closes `s` (EOF or reset) within `within` seconds."""
    s.settimeout(within)
    try:
        while True:
            data = s.recv(4096)
            if not data:
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class Case(unittest.TestCase):
    def assert_served(self):
        """A normal query still gets its answer, over UDP and over TCP."""
        for tcp in (False, True):
            reply = SERVER.query("www.example.net", "A", tcp=tcp)
            self.assertEqual(reply.rcode(), dns.rcode.NOERROR)
            self.assertEqual(sorted(r.address for r in reply.answer[0]), ["198.51.100.80", "198.51.100.81"])

    def assert_reply(self, payload, rcode, transports=("udp", "tcp")):
        for transport in transports:
            with self.subTest(transport=transport):
                wire = SERVER.raw_udp(payload) if transport == "udp" else tcp_exchange(payload)
                self.assertIsNotNone(wire, f"no reply over {transport}")
                r = parse_reply(wire)
                self.assertTrue(r["qr"])
                self.assertEqual(r["id"], 0x4242)
                self.assertEqual(r["an"], 0)
                if rcode == BADVERS:
                    reply = dns.message.from_wire(wire)
                    self.assertEqual(reply.rcode(), BADVERS)
                    self.assertEqual(r["rcode"], 0, "BADVERS's low bits are 0 in the header")
                else:
                    self.assertEqual(r["rcode"], rcode)
        self.assert_served()

    def assert_dropped(self, payload, transports=("udp", "tcp")):
        for transport in transports:
            with self.subTest(transport=transport):
                if transport == "udp":
                    self.assertIsNone(SERVER.raw_udp(payload, timeout=0.4))
                else:
                    self.assertIsNone(tcp_exchange(payload, timeout=0.4))
        self.assert_served()


class Headers(Case):
    def test_header_shorter_than_12_octets_is_dropped(self):
        good = header() + QUESTION
        for n in (0, 1, 2, 11):
            with self.subTest(length=n):
                if n == 0:  # an empty TCP frame is a framing error, tested below
                    self.assertIsNone(SERVER.raw_udp(b"", timeout=0.4))
                    self.assert_served()
                else:
                    self.assert_dropped(good[:n])

    def test_qdcount_0_and_2_are_formerr(self):
        self.assert_reply(header(qd=0), FORMERR)
        self.assert_reply(header(qd=2) + QUESTION + QUESTION, FORMERR)

    def test_qr_1_is_dropped(self):
        self.assert_dropped(header(flags=0x8000) + QUESTION)

    def test_unknown_opcodes_are_notimp(self):
        for opcode in (3, 6, 7, 15):
            with self.subTest(opcode=opcode):
                wire = SERVER.raw_udp(header(flags=opcode << 11) + QUESTION)
                r = parse_reply(wire)
                self.assertEqual((r["rcode"], r["opcode"], r["qr"]), (NOTIMP, opcode, True))
                self.assert_served()

    def test_counts_larger_than_the_packet_are_formerr(self):
        for counts in ({"an": 5}, {"ns": 300}, {"ar": 65535}, {"qd": 65535}):
            with self.subTest(**counts):
                self.assert_reply(header(**counts) + QUESTION, FORMERR)

    def test_trailing_garbage_is_formerr(self):
        self.assert_reply(header() + QUESTION + b"\xde\xad\xbe\xef", FORMERR)
        self.assert_reply(header(ar=1) + QUESTION + opt() + b"\x00", FORMERR)

    def test_empty_tcp_frame_closes_the_connection(self):
        with tcp_connect() as s:
            s.sendall(b"\x00\x00")
            self.assertTrue(closed_by_server(s, 2.0), "a zero length prefix leaves the stream out of sync")
        self.assert_served()


class Names(Case):
    def test_compression_pointer_loop_is_formerr(self):
        self.assert_reply(header() + b"\xc0\x0c" + struct.pack("!HH", 1, 1), FORMERR)
        # Two pointers pointing at each other.
        self.assert_reply(header() + b"\x01a\xc0\x0e\xc0\x0c" + struct.pack("!HH", 1, 1), FORMERR)

    def test_forward_pointer_is_formerr(self):
        # A pointer to an offset after itself (inside the packet) and past its end.
        self.assert_reply(header() + b"\xc0\x10\x00\x00\x01a\x00" + struct.pack("!HH", 1, 1), FORMERR)
        self.assert_reply(header() + b"\xc0\xff" + struct.pack("!HH", 1, 1), FORMERR)

    def test_label_over_63_octets_is_formerr(self):
        self.assert_reply(header() + b"\x40" + b"a" * 64 + b"\x00" + struct.pack("!HH", 1, 1), FORMERR)

    def test_name_over_255_octets_is_formerr(self):
        name = (b"\x3f" + b"a" * 63) * 4 + b"\x00"  # 4 * 64 + 1 = 257 octets
        self.assert_reply(header() + name + struct.pack("!HH", 1, 1), FORMERR)
        # 255 octets exactly is a name: answered (REFUSED: not a served zone).
        name = (b"\x3f" + b"a" * 63) * 3 + b"\x3d" + b"a" * 61 + b"\x00"
        self.assertEqual(len(name), 255)
        self.assert_reply(header() + name + struct.pack("!HH", 1, 1), dns.rcode.REFUSED)


class Edns(Case):
    def test_two_opt_records_are_formerr(self):
        self.assert_reply(header(ar=2) + QUESTION + opt() + opt(), FORMERR)

    def test_opt_outside_the_additional_section_is_formerr(self):
        self.assert_reply(header(an=1) + QUESTION + opt(), FORMERR)
        self.assert_reply(header(ns=1) + QUESTION + opt(), FORMERR)

    def test_edns_version_1_is_badvers(self):
        self.assert_reply(header(ar=1) + QUESTION + opt(version=1), BADVERS)

    def test_opt_option_longer_than_its_rdata_is_formerr(self):
        self.assert_reply(header(ar=1) + QUESTION + opt(rdata=struct.pack("!HH", 3, 40) + b"x"), FORMERR)


class AbusiveTcp(Case):
    def test_length_prefix_of_64k_then_nothing(self):
        """The server waits for the frame without blocking anyone, then drops
        the connection at the idle timeout."""
        with tcp_connect() as s:
            s.sendall(b"\xff\xff")
            started = time.monotonic()
            self.assert_served()
            self.assertTrue(closed_by_server(s, IDLE_TIMEOUT_MS / 1000 + 2.0))
            waited = time.monotonic() - started
            self.assertGreater(waited, IDLE_TIMEOUT_MS / 1000 * 0.8)
        self.assert_served()

    def test_slowloris_one_octet_per_second_is_dropped_at_the_idle_timeout(self):
        """Octets that do not complete a message do not keep a connection
        alive: the idle timer only restarts on a whole query or a write."""
        frame = struct.pack("!H", len(header() + QUESTION)) + header() + QUESTION
        with tcp_connect() as s:
            started = time.monotonic()
            closed = False
            for octet in frame:
                try:
                    s.sendall(bytes([octet]))
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
                if closed_by_server(s, 1.0):
                    closed = True
                    break
            elapsed = time.monotonic() - started
            self.assertTrue(closed, "the slow client was never dropped")
            self.assertLess(elapsed, IDLE_TIMEOUT_MS / 1000 + 1.5)
            self.assertGreater(elapsed, IDLE_TIMEOUT_MS / 1000 * 0.8)
        self.assert_served()

    def test_thousands_of_idle_connections(self):
        """3000 idle connections against tcp_max_connections 200: the server
        keeps at most 200 open, closing the least recently active idle one
        for each newcomer, so a new client is still served."""
        idle = []
        try:
            for _ in range(3000):
                idle.append(tcp_connect())
            # The last connection to arrive is served at once.
            q = dns.message.make_query("www.example.net", "A")
            s = idle[-1]
            wire = q.to_wire()
            s.sendall(struct.pack("!H", len(wire)) + wire)
            s.settimeout(3.0)
            size = recv_exact(s, 2)
            self.assertIsNotNone(size)
            reply = dns.message.from_wire(recv_exact(s, struct.unpack("!H", size)[0]))
            self.assertEqual(reply.rcode(), dns.rcode.NOERROR)
            # A fresh client too, and the server holds no more than the limit.
            self.assert_served()
            open_fds = len(os.listdir(f"/proc/{SERVER.proc.pid}/fd"))
            self.assertLess(open_fds, MAX_CONNECTIONS + 50, "connections beyond the limit are closed")
            # The oldest ones were closed by the server.
            self.assertTrue(closed_by_server(idle[0], 1.0))
            result = subprocess.run(["kdig", "+tcp", "+short", "-p", str(SERVER.port), "@" + harness.HOST,
                                     "www.example.net", "A"], capture_output=True, text=True, timeout=10)
            self.assertEqual(sorted(result.stdout.split()), ["198.51.100.80", "198.51.100.81"])
        finally:
            for s in idle:
                s.close()
        self.assert_served()

    def test_clients_that_never_read_their_answers(self):
        """Forty clients pipeline thousands of queries for a 50 kB answer and
        never read: the server stops answering each once 64 KiB of answers
        wait, rather than answering every query of a read (a 1 KiB read holds
        26 of them: 1.3 MB of answers), and others are still served."""
        q = header() + wire_name("big.hostile.example") + struct.pack("!HH", 16, 1)  # TXT
        frame = struct.pack("!H", len(q)) + q
        before = rss_kib()
        clients = [tcp_connect() for _ in range(40)]
        try:
            for s in clients:
                s.setblocking(False)
            # Less than the idle timeout: the server may close a client that
            # takes no answers for that long, which is also a fine outcome.
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                for s in clients:
                    try:
                        s.send(frame * 512)
                    except (BlockingIOError, ConnectionResetError, BrokenPipeError):
                        pass
                time.sleep(0.01)
            self.assert_served()
            grown = rss_kib() - before
            self.assertLess(grown, 32 * 1024, f"server RSS grew by {grown} KiB")
        finally:
            for s in clients:
                s.close()
        self.assert_served()


class LowDescriptorLimit(harness.Flatns):
    """flatns started under `ulimit -n 256` (hard limit too), with the
    default tcp_max_connections of 1024."""

    def _prepare(self):
        argv = super()._prepare()
        return ["/bin/sh", "-c", 'ulimit -n 256 && exec "$0" "$@"'] + argv


class DescriptorLimit(unittest.TestCase):
    def test_connection_limit_above_the_descriptor_limit(self):
        """With 256 file descriptors flatns cannot hold 1024 connections: it
        says so and holds fewer, so that at 600 idle connections the oldest
        are closed and a new client is still served (rather than accept()
        failing with EMFILE and every newcomer being turned away)."""
        zones = os.path.join(ARGS.examples, "zones")
        with LowDescriptorLimit(ARGS.flatns, [("example.net", os.path.join(zones, "example.net.zone"))]) as server:
            idle = []
            try:
                for _ in range(600):
                    idle.append(socket.create_connection((harness.HOST, server.port), timeout=3.0))
                time.sleep(0.2)
                reply = server.query("www.example.net", "A", tcp=True)
                self.assertEqual(reply.rcode(), dns.rcode.NOERROR)
            finally:
                for s in idle:
                    s.close()
            self.assertIn("server.tcp_max_connections: 1024 per worker needs", server.log())


class RateLimiting(unittest.TestCase):
    """server.rrl on: a burst of identical queries from one address gets its
    responses_per_second answers, then alternately nothing and a truncated
    answer (slip 2) that sends a real client to TCP; another prefix and TCP
    are served as usual."""

    RATE = 10

    @classmethod
    def setUpClass(cls):
        zones = os.path.join(ARGS.examples, "zones")
        cls.server = harness.Flatns(ARGS.flatns, [("example.net", os.path.join(zones, "example.net.zone"))],
                                    server_extra=["rrl:", f"  responses_per_second: {cls.RATE}", "  slip: 2",
                                                  "  window_s: 1"]).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)

    def burst(self, source, count):
        """Sends `count` identical queries from `source`; returns (full answers,
        truncated answers) received within a second after the last."""
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.bind((source, 0))
        q = dns.message.make_query("www.example.net", "A")
        for i in range(count):
            q.id = i
            s.sendto(q.to_wire(), (harness.HOST, self.server.port))
        full, truncated = 0, 0
        s.settimeout(1.0)
        try:
            while True:
                reply = dns.message.from_wire(s.recv(65535))
                self.assertEqual(reply.rcode(), dns.rcode.NOERROR)
                if reply.flags & dns.flags.TC:
                    self.assertEqual(len(reply.answer), 0)
                    self.assertEqual(str(reply.question[0].name), "www.example.net.")
                    truncated += 1
                else:
                    self.assertEqual(len(reply.answer[0]), 2)
                    full += 1
        except socket.timeout:
            pass
        finally:
            s.close()
        return full, truncated

    def test_burst_from_one_address_is_limited_and_slipped(self):
        full, truncated = self.burst("127.0.0.1", 200)
        dropped = 200 - full - truncated
        # Sending takes some milliseconds, in which a few tokens come back.
        self.assertGreaterEqual(full, self.RATE)
        self.assertLessEqual(full, self.RATE + 10)
        self.assertGreater(truncated, 60)
        self.assertGreater(dropped, 60)
        self.assertLessEqual(abs(truncated - dropped), 2, "slip 2: every other limited answer is truncated")
        # Meanwhile another /24 gets its answers, and TCP is never limited.
        other_full, other_truncated = self.burst("127.0.1.1", self.RATE)
        self.assertEqual((other_full, other_truncated), (self.RATE, 0))
        reply = self.server.query("www.example.net", "A", tcp=True)
        self.assertEqual(len(reply.answer[0]), 2)
        # After the window the limited address is answered again.
        time.sleep(2.5)
        self.assertEqual(self.burst("127.0.0.1", 3), (3, 0))


def rss_kib():
    with open(f"/proc/{SERVER.proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def big_zone():
    lines = ["$ORIGIN hostile.example.", "$TTL 300",
             "@ IN SOA ns.hostile.example. admin.hostile.example. 1 3600 600 86400 300",
             "  IN NS ns.hostile.example.", "ns IN A 192.0.2.7"]
    # About 50 kB on the wire: only TCP carries it.
    lines += [f'big IN TXT "{i:03d}{"x" * 120}"' for i in range(400)]
    return "\n".join(lines) + "\n"

if __name__ == "__main__":
    ARGS, argv = harness.parse_args()
    harness.die_after(240)
    unittest.main(argv=argv, verbosity=2)
