"""Hardened ingest (issue 15): a scripted primary (dnspython) sends a flatns
secondary broken transfers; each is refused with a log line naming zone,
primary and fault, and the zone keeps answering with its last good serial.

Cases: a truncated stream (CVE-2022-27227), an SOA in the middle of an
AXFR, a record outside the zone, a record of class CH, a first record that
is not the SOA, a serial going backwards (RFC 1982, across the 2^32 wrap),
an unsigned answer where TSIG is configured, an answer signed with another
key, a stream without its closing SOA; and a zone past its SOA expire time
answers SERVFAIL until a refresh succeeds. IXFR (RFC 1995): a good
incremental answer is applied; one that deletes a record the zone does not
hold, one whose SOA owner is not the apex (CVE-2021-25214) and a truncated
one are dropped whole, and the AXFR that follows brings the zone.

Usage: test_hostile_primary.py --flatns BIN
"""

import argparse
import socketserver
import struct
import sys
import threading
import time
import unittest

import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tsigkeyring

import peers

ZONE = "hostile.example."
SIGNED_ZONE = "signed.example."
EXPIRE_ZONE = "expire.example."  # its SOA says expire after 3 s
ARGS = None


def soa(origin, serial):
    expire = 3 if origin == EXPIRE_ZONE else 86400
    return dns.rrset.from_text(origin, 300, "IN", "SOA", f"ns1.{origin} host.{origin} {serial} 60 30 {expire} 300")


def records(origin, serial, n=20):
    out = [soa(origin, serial), dns.rrset.from_text(origin, 300, "IN", "NS", f"ns1.{origin}")]
    out += [dns.rrset.from_text(f"h{i}.{origin}", 300, "IN", "A", f"192.0.2.{i}") for i in range(n)]
    return out


class Script:
    """What the scripted primary answers: serial for SOA, `stream` for AXFR
    (a function of the query returning a list of wire messages, or bytes to
    send as they are)."""

    def __init__(self):
        self.serial = 1
        self.mode = "good"
        self.keyring = None  # sign answers with this keyring when set
        self.axfrs = 0


SCRIPT = Script()


def build_ixfr(query, origin, mode):
    """An incremental answer from the client's serial: h1 gets a new address."""
    serial = SCRIPT.serial
    old = query.authority[0][0].serial
    old_soa = soa(origin, old)
    if mode == "ixfr-soa-not-apex":  # CVE-2021-25214
        old_soa = dns.rrset.from_text(f"www.{origin}", 300, "IN", "SOA", f"ns1.{origin} host.{origin} {old} 60 30 86400 300")
    gone = "192.0.2.77" if mode == "ixfr-delete-absent" else "192.0.2.1"
    rrsets = [soa(origin, serial), old_soa, dns.rrset.from_text(f"h1.{origin}", 300, "IN", "A", gone),
              soa(origin, serial), dns.rrset.from_text(f"h1.{origin}", 300, "IN", "A", "198.51.100.1"),
              soa(origin, serial)]
    r = dns.message.make_response(query)
    r.answer = rrsets
    wire = r.to_wire()
    if mode == "ixfr-truncated":
        wire = wire[:len(wire) - 20]
    return [struct.pack("!H", len(r.to_wire())) + wire]


def build_stream(query, origin):
    serial = SCRIPT.serial
    mode = SCRIPT.mode
    if mode.startswith("ixfr"):
        if query.question[0].rdtype == dns.rdatatype.IXFR:
            return build_ixfr(query, origin, mode)
        mode = "good"  # the AXFR that follows a failed IXFR is good
    rrsets = records(origin, serial)
    if mode == "mid-soa":
        rrsets.insert(5, soa(origin, serial + 7))
    elif mode == "outside":
        rrsets.insert(3, dns.rrset.from_text("www.elsewhere.example.", 300, "IN", "A", "192.0.2.66"))
    elif mode == "class-ch":
        rrsets.insert(3, dns.rrset.from_text(f"txt.{origin}", 300, "CH", "TXT", "chaos"))
    elif mode == "not-soa-first":
        rrsets = rrsets[1:] + rrsets[:1]
    messages = []
    chunks = [rrsets[i:i + 8] for i in range(0, len(rrsets), 8)]
    if mode != "no-closing-soa":
        chunks[-1] = chunks[-1] + [soa(origin, serial)]
    tsig_ctx = None
    for i, chunk in enumerate(chunks):
        r = dns.message.make_response(query)
        if i > 0:
            r.question = []
        r.answer = chunk
        if SCRIPT.keyring is not None and query.had_tsig:
            r.use_tsig(SCRIPT.keyring, keyname=peers.KEY_NAME)
            wire = r.to_wire(multi=True, tsig_ctx=tsig_ctx)
            tsig_ctx = r.tsig_ctx
        else:
            wire = r.to_wire()
        messages.append(wire)
    if mode == "truncated":
        last = messages[-1]
        return [struct.pack("!H", len(m)) + m for m in messages[:-1]] + [struct.pack("!H", len(last)) + last[:len(last) // 2]]
    return [struct.pack("!H", len(m)) + m for m in messages]


class TcpHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data = b""
        while len(data) < 2 or len(data) < 2 + struct.unpack("!H", data[:2])[0]:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            data += chunk
        n = struct.unpack("!H", data[:2])[0]
        query = dns.message.from_wire(data[2:2 + n], keyring=peers.KEYRING)
        SCRIPT.axfrs += 1
        try:
            for piece in build_stream(query, str(query.question[0].name)):
                self.request.sendall(piece)
        except OSError:
            pass  # flatns hung up on a bad stream, as it should


class UdpHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        query = dns.message.from_wire(data, keyring=peers.KEYRING)
        if query.opcode() != dns.opcode.QUERY:
            return
        r = dns.message.make_response(query)
        r.answer = [soa(str(query.question[0].name), SCRIPT.serial)]
        if SCRIPT.keyring is not None and query.had_tsig:
            r.use_tsig(SCRIPT.keyring, keyname=peers.KEY_NAME)
        sock.sendto(r.to_wire(), self.client_address)


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


class HostilePrimary(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        port = peers.free_port()
        cls.tcp = Server((peers.HOST, port), TcpHandler)
        cls.udp = socketserver.ThreadingUDPServer((peers.HOST, port), UdpHandler)
        for s in (cls.tcp, cls.udp):
            threading.Thread(target=s.serve_forever, daemon=True).start()
        cls.flatns = peers.FlatnsSecondary(ARGS.flatns, [(ZONE, port)])
        # The zone under test takes unsigned transfers: drop its key.
        with open(cls.flatns.config) as f:
            text = f.read()
        text = text.replace(f'"{peers.HOST}:{port}", key: {peers.KEY_NAME}}}', f'"{peers.HOST}:{port}"}}')
        text += (f"  - name: {SIGNED_ZONE}\n    file: secondary/{SIGNED_ZONE}zone\n"
                 f'    primaries: [{{address: "{peers.HOST}:{port}", key: {peers.KEY_NAME}}}]\n'
                 f"  - name: {EXPIRE_ZONE}\n    file: secondary/{EXPIRE_ZONE}zone\n"
                 f'    primaries: [{{address: "{peers.HOST}:{port}"}}]\n')
        with open(cls.flatns.config, "w") as f:
            f.write(text)
        SCRIPT.keyring = peers.KEYRING
        cls.flatns.run()
        cls.flatns.wait_serial(ZONE, 1)
        cls.flatns.wait_serial(SIGNED_ZONE, 1)
        cls.flatns.wait_serial(EXPIRE_ZONE, 1)

    @classmethod
    def tearDownClass(cls):
        cls.flatns.cleanup()
        cls.tcp.shutdown()
        cls.udp.shutdown()

    def notify(self, origin):
        q = dns.message.make_query(origin, "SOA")
        q.set_opcode(dns.opcode.NOTIFY)
        if origin == SIGNED_ZONE:
            q.use_tsig(peers.KEYRING, keyname=peers.KEY_NAME)
        r = dns.query.udp(q, peers.HOST, port=self.flatns.port, timeout=3)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)

    def refused(self, mode, expect, origin=ZONE, serial=None, keyring=peers.KEYRING):
        SCRIPT.mode = mode
        SCRIPT.keyring = keyring
        current = peers.soa_serial(self.flatns.port, origin)
        SCRIPT.serial = serial if serial is not None else current + 1
        before = len(self.flatns.log())
        self.notify(origin)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and expect not in self.flatns.log()[before:]:
            time.sleep(0.1)
        self.assertIn(expect, self.flatns.log()[before:])
        self.assertEqual(peers.soa_serial(self.flatns.port, origin), current)  # the old zone answers
        q = dns.message.make_query(f"h3.{origin}", "A")
        r = dns.query.udp(q, peers.HOST, port=self.flatns.port, timeout=3)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertEqual(len(r.answer), 1)

    def ixfr(self, mode, expect, fallback=True):
        SCRIPT.mode = mode
        SCRIPT.keyring = None
        current = peers.soa_serial(self.flatns.port, ZONE)
        SCRIPT.serial = current + 1
        before = len(self.flatns.log())
        self.notify(ZONE)
        self.flatns.wait_serial(ZONE, current + 1, timeout=10)
        log = self.flatns.log()[before:]
        self.assertIn(expect, log)
        q = dns.message.make_query(f"h1.{ZONE}", "A")
        r = dns.query.udp(q, peers.HOST, port=self.flatns.port, timeout=3)
        answer = r.answer[0][0].to_text()
        if fallback:  # a bad IXFR is dropped whole, and AXFR brings the zone
            self.assertIn(f"serial {current + 1} by AXFR", log)
            self.assertEqual(answer, "192.0.2.1")
        else:
            self.assertEqual(answer, "198.51.100.1")

    def test_ixfr_deletes_an_absent_record(self):
        self.ixfr("ixfr-delete-absent", "IXFR deletes h1.hostile.example. A, which the zone does not hold")

    def test_ixfr_good_is_applied(self):
        self.ixfr("ixfr-good", "by IXFR (incremental)", fallback=False)

    def test_ixfr_soa_owner_not_the_apex(self):
        self.ixfr("ixfr-soa-not-apex", "SOA of www.hostile.example. is not the apex")

    def test_ixfr_truncated(self):
        self.ixfr("ixfr-truncated", "failed: truncated stream")

    def test_truncated_stream(self):
        self.refused("truncated", "truncated stream")

    def test_soa_in_the_middle(self):
        self.refused("mid-soa", "in the middle of the transfer")

    def test_record_outside_the_zone(self):
        self.refused("outside", "www.elsewhere.example. A: outside the zone")

    def test_record_of_class_ch(self):
        self.refused("class-ch", "class CH, not IN")

    def test_first_record_not_soa(self):
        self.refused("not-soa-first", "does not start with the SOA")

    def test_no_closing_soa(self):
        self.refused("no-closing-soa", "truncated stream")

    def test_serial_backwards_across_the_wrap(self):
        # 1 - 4294967295 = 2 (mod 2^32): the primary's serial is older.
        self.refused("good", "is current (primary 127.0.0.1", serial=4294967295)

    def test_unsigned_answer_where_tsig_is_configured(self):
        self.refused("good", "TSIG", origin=SIGNED_ZONE, keyring=None)

    def test_answer_signed_with_another_key(self):
        other = dns.tsigkeyring.from_text({peers.KEY_NAME: ("hmac-sha256", "b3RoZXIgc2VjcmV0IGtleQ==")})
        self.refused("good", "TSIG", origin=SIGNED_ZONE, keyring=other)

    def test_expire_then_servfail_until_a_refresh(self):
        deadline = time.monotonic() + 10
        rcode = None
        while time.monotonic() < deadline:
            r = dns.query.udp(dns.message.make_query(EXPIRE_ZONE, "SOA"), peers.HOST, port=self.flatns.port, timeout=3)
            rcode = r.rcode()
            if rcode == dns.rcode.SERVFAIL:
                break
            time.sleep(0.2)
        self.assertEqual(rcode, dns.rcode.SERVFAIL)
        self.assertIn(f"secondary {EXPIRE_ZONE}: expired", self.flatns.log())
        SCRIPT.mode = "good"
        self.notify(EXPIRE_ZONE)  # the primary answers again: the zone comes back
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            r = dns.query.udp(dns.message.make_query(EXPIRE_ZONE, "SOA"), peers.HOST, port=self.flatns.port, timeout=3)
            if r.rcode() == dns.rcode.NOERROR:
                break
            time.sleep(0.2)
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)

    def test_z_a_good_transfer_still_goes_through(self):
        SCRIPT.mode = "good"
        SCRIPT.keyring = peers.KEYRING
        SCRIPT.serial = peers.soa_serial(self.flatns.port, ZONE) + 1
        self.notify(ZONE)
        self.flatns.wait_serial(ZONE, SCRIPT.serial, timeout=10)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--flatns", required=True)
    ARGS, rest = parser.parse_known_args()
    prog = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
