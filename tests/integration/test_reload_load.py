"""Reload and stop under load (issue 7): while dnsperf sends a steady stream
of queries to flatns (two workers),

- SIGHUP with changed zones loses nothing: dnsperf counts 0 lost queries,
  every response is NOERROR, and the new data is served afterwards;
- SIGHUP with a broken zone file: the old zone keeps serving and the error
  is logged with file:line;
- SIGHUP with a broken configuration: nothing changes (not even zones whose
  files changed) and the error is logged with its key path;
- SIGTERM: queries already sent (a UDP burst, pipelined TCP queries) are all
  answered and flatns exits with status 0.

Usage: test_reload_load.py --flatns BIN --corpus DIR --examples DIR
"""

import os
import re
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

import dns.message
import dns.rcode
import dns.rdatatype

import harness

# This module's ports (issue 7 work): 127.0.0.1:28000-28999.
harness.PORT_RANGE = (28500, 28999)

ARGS = None
ORIGIN = "reload.example"
QPS = 3000
NAMES = ["www", "mail", "ns1", "@"]


def zone_text(serial, last_octet, extra=""):
    return (f"$ORIGIN {ORIGIN}.\n$TTL 300\n"
            f"@ IN SOA ns1 hostmaster {serial} 3600 600 86400 300\n"
            "@ IN NS ns1\n"
            "ns1 IN A 192.0.2.53\n"
            "mail IN A 192.0.2.25\n"
            "@ IN MX 10 mail\n"
            f"www IN A 192.0.2.{last_octet}\n" + extra)


class ReloadServer(harness.Flatns):
    """flatns with two workers and a config file the test rewrites."""

    def __init__(self, binary, zone_path):
        super().__init__(binary, [(ORIGIN, zone_path)])

    def config_text(self, workers="2"):
        return (f'server:\n  listen: ["{harness.HOST}:{self.port}"]\n  workers: {workers}\n'
                f"zones:\n  - name: {ORIGIN}\n    file: {os.path.abspath(self.zones[0][1])}\n")

    def _prepare(self):
        self.config_path = os.path.join(self.dir, "flatns.yaml")
        with open(self.config_path, "w") as f:
            f.write(self.config_text())
        return [self.binary, "serve", "-c", self.config_path]


class Dnsperf:
    """dnsperf at QPS queries a second over UDP for `seconds`, in the background."""

    def __init__(self, port, folder, seconds):
        self.data = os.path.join(folder, "queries.txt")
        with open(self.data, "w") as f:
            for name in NAMES:
                qname = ORIGIN if name == "@" else f"{name}.{ORIGIN}"
                f.write(f"{qname} A\n{qname} SOA\n" if name == "@" else f"{qname} A\n")
        argv = ["dnsperf", "-s", harness.HOST, "-p", str(port), "-d", self.data, "-l", str(seconds),
                "-Q", str(QPS), "-c", "4", "-t", "3"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     stdin=subprocess.DEVNULL)

    def result(self):
        out, _ = self.proc.communicate(timeout=60)
        numbers = {}
        for key, pattern in (("sent", r"Queries sent:\s+(\d+)"), ("completed", r"Queries completed:\s+(\d+)"),
                             ("lost", r"Queries lost:\s+(\d+)")):
            m = re.search(pattern, out)
            if not m:
                raise AssertionError(f"dnsperf output without '{key}':\n{out}")
            numbers[key] = int(m.group(1))
        codes = re.search(r"Response codes:\s+(.*)", out)
        numbers["rcodes"] = codes.group(1).strip() if codes else ""
        numbers["output"] = out
        return numbers


class ReloadUnderLoad(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="flatns-it-reload-")
        self.zone = os.path.join(self.tmp.name, f"{ORIGIN}.zone")
        self.write_zone(zone_text(1, 1))
        self.server = ReloadServer(ARGS.flatns, self.zone).__enter__()

    def tearDown(self):
        self.server.__exit__(None, None, None)
        self.tmp.cleanup()

    def write_zone(self, text):
        # Written beside and renamed, as an operator's tooling would.
        with open(self.zone + ".new", "w") as f:
            f.write(text)
        os.replace(self.zone + ".new", self.zone)

    def hup_and_wait(self, done_text, occurrence):
        """SIGHUP; waits for the `occurrence`-th `done_text` in the log."""
        os.kill(self.server.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        while self.server.log().count(done_text) < occurrence:
            self.assertLess(time.monotonic(), deadline, f"no '{done_text}' in the log:\n{self.server.log()}")
            time.sleep(0.05)

    def wait_for_www(self, expected):
        """Each worker takes the new zone set at its next loop turn after the
        daemon logs "reload done": give them a moment."""
        deadline = time.monotonic() + 3
        while self.www() != expected and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(self.www(), expected)

    def www(self):
        reply = self.server.query(f"www.{ORIGIN}", "A")
        self.assertEqual(reply.rcode(), dns.rcode.NOERROR)
        return [r.address for r in reply.answer[0]]

    def assert_nothing_lost(self, perf):
        self.assertGreater(perf["sent"], QPS, perf["output"])
        self.assertEqual(perf["lost"], 0, perf["output"])
        self.assertEqual(perf["completed"], perf["sent"], perf["output"])
        self.assertRegex(perf["rcodes"], r"^NOERROR \d+ \(100\.00%\)$", perf["output"])
        print(f"\ndnsperf: {perf['sent']} sent, {perf['completed']} completed, {perf['lost']} lost, "
              f"{perf['rcodes']}", flush=True)

    def test_sighup_with_changed_zones_loses_nothing(self):
        perf = Dnsperf(self.server.port, self.tmp.name, 4)
        time.sleep(1.0)
        for n, octet in ((1, 2), (2, 3), (3, 4)):
            self.write_zone(zone_text(1 + n, octet, f"new{n} IN A 192.0.2.{100 + n}\n"))
            self.hup_and_wait("reload done", n)
            self.wait_for_www([f"192.0.2.{octet}"])
            time.sleep(0.5)
        self.assert_nothing_lost(perf.result())
        self.assertEqual(self.server.query(f"new3.{ORIGIN}", "A").answer[0][0].address, "192.0.2.103")
        self.assertEqual(self.server.query(f"new1.{ORIGIN}", "A").rcode(), dns.rcode.NXDOMAIN)
        self.assertEqual(self.server.query(ORIGIN, "SOA").answer[0][0].serial, 4)

    def test_sighup_with_a_broken_zone_keeps_the_old_zone(self):
        perf = Dnsperf(self.server.port, self.tmp.name, 3)
        time.sleep(1.0)
        broken = zone_text(2, 9).splitlines()
        broken.insert(5, "mail IN A 192.0.2.300")  # line 6: not an IPv4 address
        self.write_zone("\n".join(broken) + "\n")
        self.hup_and_wait("reload done", 1)
        self.assertEqual(self.www(), ["192.0.2.1"])
        self.assert_nothing_lost(perf.result())
        log = self.server.log()
        self.assertIn(f"{self.zone}:6:", log)
        self.assertIn(f"zone {ORIGIN}. failed to load; still serving its previous version (serial 1)", log)
        self.assertEqual(self.server.query(ORIGIN, "SOA").answer[0][0].serial, 1)

    def test_sighup_with_a_broken_config_changes_nothing(self):
        perf = Dnsperf(self.server.port, self.tmp.name, 3)
        time.sleep(1.0)
        # The zone changed too, but a broken configuration reloads nothing.
        self.write_zone(zone_text(2, 9))
        with open(self.server.config_path, "w") as f:
            f.write(self.server.config_text(workers="many"))
        self.hup_and_wait("reload aborted", 1)
        self.assertEqual(self.www(), ["192.0.2.1"])
        self.assert_nothing_lost(perf.result())
        log = self.server.log()
        self.assertIn(f"{self.server.config_path}:3: server.workers: expected an integer 1-1024, found 'many'", log)
        # Fixed: the next SIGHUP takes config and zone.
        with open(self.server.config_path, "w") as f:
            f.write(self.server.config_text())
        self.hup_and_wait("reload done", 1)
        self.wait_for_www(["192.0.2.9"])

    def test_sigterm_under_load_answers_what_is_in_flight(self):
        perf = Dnsperf(self.server.port, self.tmp.name, 3)
        time.sleep(1.0)
        query = dns.message.make_query(f"www.{ORIGIN}", "A")
        # Pipelined TCP queries, and a UDP burst, then SIGTERM at once.
        tcp = socket.create_connection((harness.HOST, self.server.port), timeout=5)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        udp.settimeout(2.0)
        frames = b""
        for i in range(50):
            query.id = i
            wire = query.to_wire()
            frames += struct.pack("!H", len(wire)) + wire
        tcp.sendall(frames)
        # The first answer shows the server has read the pipelined queries.
        tcp.settimeout(5)
        buffer = tcp.recv(2)
        burst = 200
        for i in range(burst):
            query.id = 1000 + i
            udp.sendto(query.to_wire(), (harness.HOST, self.server.port))
        os.kill(self.server.proc.pid, signal.SIGTERM)

        answered = set()
        try:
            while len(answered) < burst:
                reply = dns.message.from_wire(udp.recv(65535))
                self.assertEqual(reply.rcode(), dns.rcode.NOERROR)
                answered.add(reply.id)
        except socket.timeout:
            pass
        self.assertEqual(len(answered), burst, "UDP queries sent before SIGTERM went unanswered")
        tcp_answers = 0
        while True:
            chunk = tcp.recv(65535)
            if not chunk:
                break
            buffer += chunk
        while len(buffer) >= 2:
            n = struct.unpack("!H", buffer[:2])[0]
            reply = dns.message.from_wire(buffer[2:2 + n])
            self.assertEqual(reply.rcode(), dns.rcode.NOERROR)
            buffer = buffer[2 + n:]
            tcp_answers += 1
        self.assertEqual(tcp_answers, 50)
        tcp.close()
        udp.close()

        self.assertEqual(self.server.proc.wait(timeout=10), 0, self.server.log())
        self.assertIn("stopped", self.server.log())
        perf = perf.result()
        # Queries sent after the sockets closed are lost, by design; every
        # answer that did come is a real one.
        self.assertRegex(perf["rcodes"], r"^NOERROR \d+ \(100\.00%\)$", perf["output"])


if __name__ == "__main__":
    ARGS, argv = harness.parse_args()
    harness.die_after(240)
    unittest.main(argv=argv, verbosity=2)
