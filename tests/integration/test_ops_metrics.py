"""The Prometheus endpoint (issue 17): `promtool check metrics` accepts a live
scrape; counters move by exactly a known batch of queries; hostile HTTP
clients (garbage, a 1 MB header, slowloris, 1000 idle connections) leave
both DNS serving and scraping working. Exit 77 (skipped) without promtool.

Usage: test_ops_metrics.py --flatns BIN --corpus DIR --examples DIR
"""

import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import harness
from ops_server import ORIGIN, OTHER, OpsServer

ARGS = None
SAMPLE = re.compile(r'^([a-z_]+)(\{[^}]*\})? (\S+)$')


def parse(text):
    """{(name, frozenset(labels)): value} of every sample."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


class Metrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="flatns-it-metrics-")
        cls.server = OpsServer(ARGS.flatns, cls.tmp.name, metrics=True,
                               extra=["metrics_max_zones: 1"]).__enter__()
        cls.url = f"http://{harness.HOST}:{cls.server.metrics_port}/metrics"

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)
        cls.tmp.cleanup()

    def scrape(self):
        with urllib.request.urlopen(self.url, timeout=5) as r:
            self.assertEqual(r.status, 200)
            self.assertTrue(r.headers["Content-Type"].startswith("text/plain; version=0.0.4"))
            return r.read().decode()

    def test_promtool_accepts_a_live_scrape(self):
        self.server.query(f"www.{ORIGIN}", "A")
        text = self.scrape()
        p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(p.returncode, 0, f"promtool:\n{p.stdout}{p.stderr}\n--- scrape ---\n{text}")
        for name in ("flatns_queries_total", "flatns_responses_total", "flatns_zone_queries_total",
                     "flatns_flattened_total", "flatns_flatten_resolution_duration_seconds_bucket",
                     "flatns_zones_loaded", "flatns_reloads_total", "flatns_reload_failures_total",
                     "flatns_udp_wakeups_total", "flatns_udp_receive_batch_datagrams_bucket"):
            self.assertIn(name, text)

    def test_counters_move_by_exactly_the_batch(self):
        before = parse(self.scrape())
        for _ in range(10):
            self.server.query(f"www.{ORIGIN}", "A")
        for _ in range(4):
            self.server.query(f"www.{ORIGIN}", "AAAA", tcp=True)
        for _ in range(3):
            self.server.query(f"nope.{ORIGIN}", "A")            # NXDOMAIN
        for _ in range(2):
            self.server.query("elsewhere.test", "MX")           # REFUSED: no zone
        for _ in range(5):
            self.server.query(OTHER, "SOA")                     # beyond metrics_max_zones: "other"
        self.server.query(f"www.{ORIGIN}", "A", edns=0, payload=512)
        text = self.scrape()
        after = parse(text)

        def delta(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        self.assertEqual(delta("flatns_queries_total", transport="udp", qtype="A"), 14)
        self.assertEqual(delta("flatns_queries_total", transport="tcp", qtype="AAAA"), 4)
        self.assertEqual(delta("flatns_queries_total", transport="udp", qtype="MX"), 2)
        self.assertEqual(delta("flatns_queries_total", transport="udp", qtype="SOA"), 5)
        self.assertEqual(delta("flatns_responses_total", transport="udp", rcode="NOERROR"), 16)
        self.assertEqual(delta("flatns_responses_total", transport="udp", rcode="NXDOMAIN"), 3)
        self.assertEqual(delta("flatns_responses_total", transport="udp", rcode="REFUSED"), 2)
        self.assertEqual(delta("flatns_responses_total", transport="tcp", rcode="NOERROR"), 4)
        self.assertEqual(delta("flatns_zone_queries_total", zone=f"{ORIGIN}."), 18)
        self.assertEqual(delta("flatns_zone_queries_total", zone="other"), 5)
        self.assertEqual(delta("flatns_responses_truncated_total"), 0)
        self.assertEqual(delta("flatns_queries_dropped_total", transport="udp"), 0)

        # The UDP listener's batches (issue 19): every one of the 21 UDP
        # datagrams was taken by exactly one recvmmsg; each wake-up made at
        # least one recvmmsg, and a wake-up is needed for each datagram sent
        # after the previous answer came back (at most one per datagram).
        def total(name):
            return sum(v for (n, labels), v in after.items() if n == name) - \
                   sum(v for (n, labels), v in before.items() if n == name)
        self.assertEqual(total("flatns_udp_receive_batch_datagrams_sum"), 21)
        wakeups = total("flatns_udp_wakeups_total")
        self.assertGreaterEqual(wakeups, 1)
        self.assertLessEqual(wakeups, 21)
        self.assertGreaterEqual(total("flatns_udp_receive_batch_datagrams_count"), wakeups)
        inf = sum(v for (n, labels), v in after.items()
                  if n == "flatns_udp_receive_batch_datagrams_bucket" and ("le", "+Inf") in labels)
        self.assertEqual(inf, sum(v for (n, labels), v in after.items()
                                  if n == "flatns_udp_receive_batch_datagrams_count"))

    def test_reload_counters(self):
        before = parse(self.scrape())
        self.assertEqual(self.server.ctl("reload").returncode, 0)
        self.server.write_zone("garbage\n")
        try:
            self.assertEqual(self.server.ctl("reload").returncode, 1)
        finally:
            from ops_server import zone_text
            self.server.write_zone(zone_text(1))
            self.server.ctl("reload")
        after = parse(self.scrape())
        self.assertEqual(value(after, "flatns_reloads_total") - value(before, "flatns_reloads_total"), 3)
        self.assertEqual(value(after, "flatns_reload_failures_total") -
                         value(before, "flatns_reload_failures_total"), 1)
        self.assertEqual(value(after, "flatns_zones_loaded"), 2)

    def test_other_paths_and_methods(self):
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(self.url.replace("/metrics", "/"), timeout=5)
        self.assertEqual(e.exception.code, 404)
        req = urllib.request.Request(self.url, data=b"x", method="POST")
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=5)
        self.assertEqual(e.exception.code, 405)

    def assert_still_working(self):
        self.assertIn("flatns_queries_total", self.scrape())
        self.assertEqual(self.server.query(f"www.{ORIGIN}", "A").rcode(), 0)

    def test_garbage_gets_400_or_is_closed(self):
        """Each is answered with an error status or closed, at the latest by the
        idle timeout (10 s: binary garbage with a blank line is held until
        then); meanwhile DNS and scraping work."""
        payloads = (b"\x00\x01\x02garbage\r\n\r\n", b"GET\r\n\r\n", b"GET /metrics HTTP/9.9\r\n\r\n",
                    b"\xff" * 3000 + b"\r\n\r\n")
        sockets = []
        for payload in payloads:
            s = socket.create_connection((harness.HOST, self.server.metrics_port), timeout=15)
            s.sendall(payload)
            sockets.append(s)
        try:
            self.assert_still_working()
            for s in sockets:
                try:
                    reply = s.recv(4096)
                except ConnectionResetError:
                    reply = b""
                self.assertTrue(reply == b"" or re.match(rb"HTTP/1\.[01] (400|505)", reply), reply[:80])
        finally:
            for s in sockets:
                s.close()
        self.assert_still_working()

    def test_one_megabyte_header_is_refused(self):
        s = socket.create_connection((harness.HOST, self.server.metrics_port), timeout=10)
        try:
            try:
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
            except (ConnectionResetError, BrokenPipeError):
                pass
            try:
                reply = s.recv(4096)
            except ConnectionResetError:
                reply = b""
        finally:
            s.close()
        self.assertTrue(reply == b"" or re.match(rb"HTTP/1\.1 4(31|13|00)", reply), reply[:80])
        self.assert_still_working()

    def test_slowloris_and_1000_idle_connections(self):
        slow = socket.create_connection((harness.HOST, self.server.metrics_port), timeout=10)
        slow.sendall(b"GET /metr")
        idle = []
        try:
            for _ in range(1000):
                idle.append(socket.create_connection((harness.HOST, self.server.metrics_port), timeout=10))
            for i in range(3):  # the slow client trickles on; others are served meanwhile
                slow.sendall(b"i")
                start = time.monotonic()
                self.assert_still_working()
                self.assertLess(time.monotonic() - start, 3.0)
        finally:
            for s in idle:
                s.close()
            slow.close()
        self.assert_still_working()


if __name__ == "__main__":
    ARGS, argv = harness.parse_args()
    if not shutil.which("promtool"):
        print("SKIP: promtool (Debian: prometheus) is not installed", file=sys.stderr)
        sys.exit(77)
    harness.die_after(180)
    unittest.main(argv=argv, verbosity=2)
