"""dnstap (issue 17): `dnstap-ldns -r FILE` reads the log of a known batch
of queries and shows each query (AUTH_QUERY) and response (AUTH_RESPONSE);
the flatten resolver's upstream traffic for a known batch of flattened names
shows as RESOLVER_QUERY / RESOLVER_RESPONSE with the upstream's address;
with a dnstap socket whose reader never reads, entries are dropped and
counted and answers are not slowed. Exit 77 (skipped) without dnstap-ldns.
The upstream listens on 127.0.0.2, ports 27300-27399.

DnstapSocket: the socket mode with a real collector, fstrm_capture (Debian's
fstrm-bin; exit 77 without it): the Frame Streams handshake, a known batch
in the file it writes (read with dnstap-ldns), and a collector that starts
after flatns is reconnected to.

Usage: test_ops_dnstap.py --flatns BIN --corpus DIR --examples DIR [Dnstap | DnstapSocket]
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request


import harness
from ops_server import ORIGIN, OpsServer

ARGS = None
UPSTREAM_HOST = "127.0.0.2"
UPSTREAM_PORTS = (27300, 27399)
FLAT_ORIGIN = "flat.example"


class Dnstap(unittest.TestCase):
    def test_dnstap_ldns_reads_a_known_batch(self):
        with tempfile.TemporaryDirectory(prefix="flatns-it-dnstap-") as tmp:
            log = os.path.join(tmp, "dnstap.fstrm")
            server = OpsServer(ARGS.flatns, tmp, dnstap=f"{{file: {log}}}")
            with server:
                names = [f"q{i}.{ORIGIN}" for i in range(5)]
                for name in names:
                    server.query(name, "A")                    # NXDOMAIN over UDP
                server.query(f"www.{ORIGIN}", "AAAA", tcp=True)
                server.proc.send_signal(15)
                self.assertEqual(server.proc.wait(timeout=10), 0)
            quiet = subprocess.run(["dnstap-ldns", "-r", log], capture_output=True, text=True, timeout=30)
            self.assertEqual(quiet.returncode, 0, quiet.stderr)
            yaml = subprocess.run(["dnstap-ldns", "-y", "-r", log], capture_output=True, text=True, timeout=30)
            self.assertEqual(yaml.returncode, 0, yaml.stderr)
        lines = quiet.stdout.splitlines()
        print("\n" + "\n".join(lines[-4:]), file=sys.stderr)
        # The readiness probes of the harness (SOA over UDP and TCP) come first.
        batch = [l for l in lines if "SOA" not in l]
        self.assertEqual(len(batch), 12, quiet.stdout)
        for name in names:
            self.assertEqual(len([l for l in batch if f'"{name}." IN A' in l]), 2, quiet.stdout)
            self.assertEqual(len([l for l in batch if l.split()[2] == "AQ" and f'"{name}." IN A' in l]), 1)
            self.assertEqual(len([l for l in batch if l.split()[2] == "AR" and f'"{name}." IN A' in l]), 1)
        tcp = [l for l in batch if f'"www.{ORIGIN}." IN AAAA' in l]
        self.assertEqual([l.split()[2] for l in tcp], ["AQ", "AR"], quiet.stdout)
        self.assertTrue(all(" TCP " in l for l in tcp), tcp)
        self.assertTrue(all("127.0.0.1" in l for l in batch), batch)
        # The whole messages are there: the responses' rcodes and the query address.
        self.assertEqual(len(re.findall(r"type: AUTH_RESPONSE", yaml.stdout)), 8, yaml.stdout[-2000:])
        self.assertEqual(len(re.findall(r"opcode: QUERY, rcode: NXDOMAIN", yaml.stdout)), 5)
        self.assertIn("query_address: \"127.0.0.1\"", yaml.stdout)

    def test_resolver_traffic_shows_the_upstream(self):
        targets = [f"t{i}.cdn.test" for i in (1, 2, 3)]
        with tempfile.TemporaryDirectory(prefix="flatns-it-dnstap-") as tmp, harness.CdnUpstream(UPSTREAM_HOST, port_range=UPSTREAM_PORTS) as upstream:
            log = os.path.join(tmp, "dnstap.fstrm")
            flat_zone = os.path.join(tmp, f"{FLAT_ORIGIN}.zone")
            with open(flat_zone, "w") as f:
                f.write(f"$ORIGIN {FLAT_ORIGIN}.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n"
                        "@ IN NS ns1\nns1 IN A 192.0.2.55\n" +
                        "".join(f"f{i} IN CNAME t{i}.cdn.test.\n" for i in (1, 2, 3)))
            server = OpsServer(ARGS.flatns, tmp, dnstap=f"{{file: {log}, queries: false, responses: false}}",
                               zones_extra=[f"- name: {FLAT_ORIGIN}", f"  file: {flat_zone}", "  flatten: all"],
                               sections=("resolver:\n  mode: forward\n"
                                         f'  forwarders: ["{UPSTREAM_HOST}:{upstream.port}"]\n'
                                         "  dnssec: off\n"))
            with server:
                for i in (1, 2, 3):
                    reply = server.query(f"f{i}.{FLAT_ORIGIN}", "A")
                    self.assertEqual(reply.rcode(), 0, reply)
                    self.assertIn(f"198.51.100.{i}", reply.to_text())
                server.proc.send_signal(15)
                self.assertEqual(server.proc.wait(timeout=10), 0)
            asked = list(upstream.questions)
            quiet = subprocess.run(["dnstap-ldns", "-r", log], capture_output=True, text=True, timeout=30)
            self.assertEqual(quiet.returncode, 0, quiet.stderr)
            yaml = subprocess.run(["dnstap-ldns", "-y", "-r", log], capture_output=True, text=True, timeout=30)
            self.assertEqual(yaml.returncode, 0, yaml.stderr)
        lines = quiet.stdout.splitlines()
        print("\n" + "\n".join(lines), file=sys.stderr)
        # queries: false, responses: false: only the resolver's messages.
        self.assertEqual(sorted({l.split()[2] for l in lines}), ["RQ", "RR"], quiet.stdout)
        self.assertEqual(len([l for l in lines if l.split()[2] == "RQ"]), len(asked), (quiet.stdout, asked))
        self.assertEqual(len([l for l in lines if l.split()[2] == "RR"]), len(asked), (quiet.stdout, asked))
        for target in targets:
            for kind in ("RQ", "RR"):
                found = [l for l in lines if l.split()[2] == kind and f'"{target}." IN A' in l]
                self.assertEqual(len(found), 1, (kind, target, quiet.stdout))
                self.assertIn(f" {UPSTREAM_HOST} UDP ", found[0])
        messages = yaml.stdout.split("---")
        resolver = [m for m in messages if "type: RESOLVER_" in m]
        self.assertEqual(len(resolver), 2 * len(asked), yaml.stdout[-3000:])
        for m in resolver:
            self.assertIn(f'response_address: "{UPSTREAM_HOST}"', m)
            self.assertIn(f"response_port: {upstream.port}", m)
            self.assertIn('query_zone: "."', m)  # forward mode: the forwarders serve the root
            self.assertIn("socket_protocol: UDP", m)
            self.assertIn("query_time: !!timestamp", m)
        self.assertEqual(len([m for m in resolver if "type: RESOLVER_RESPONSE" in m and
                              "response_time: !!timestamp" in m and "rcode: NOERROR" in m]), len(asked))

    def test_a_full_socket_drops_entries_without_slowing_answers(self):
        with tempfile.TemporaryDirectory(prefix="flatns-it-dnstap-") as tmp:
            path = os.path.join(tmp, "collector.sock")
            collector = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            collector.bind(path)
            collector.listen(1)  # accepts (the kernel does), never reads
            try:
                server = OpsServer(ARGS.flatns, tmp, metrics=True,
                                   dnstap=f"{{socket: {path}, queue: 16}}")
                with server:
                    flood = os.path.join(tmp, "names.txt")
                    with open(flood, "w") as f:
                        f.write(f"www.{ORIGIN} A\n" * 100)
                    perf = subprocess.run(["dnsperf", "-s", harness.HOST, "-p", str(server.port), "-d", flood,
                                           "-l", "3", "-Q", "4000", "-c", "2", "-t", "2"],
                                          capture_output=True, text=True, timeout=30)
                    start = time.monotonic()
                    reply = server.query(f"www.{ORIGIN}", "A")
                    elapsed = time.monotonic() - start
                    with urllib.request.urlopen(f"http://{harness.HOST}:{server.metrics_port}/metrics",
                                                timeout=5) as r:
                        text = r.read().decode()
            finally:
                collector.close()
        lost = int(re.search(r"Queries lost:\s+(\d+)", perf.stdout).group(1))
        completed = int(re.search(r"Queries completed:\s+(\d+)", perf.stdout).group(1))
        dropped = float(re.search(r"^flatns_dnstap_dropped_total (\S+)$", text, re.M).group(1))
        print(f"\nfull dnstap socket: {completed} answered, {lost} lost, {dropped:.0f} dnstap entries dropped",
              file=sys.stderr)
        self.assertEqual(reply.rcode(), 0)
        self.assertLess(elapsed, 1.0)
        self.assertEqual(lost, 0, perf.stdout)
        self.assertGreater(dropped, 0)


class Collector:
    """fstrm_capture on a Unix socket in `folder`, writing what it receives
    to a Frame Streams file; stopped (SIGTERM: it finishes the file) on exit."""

    def __init__(self, folder, name):
        self.socket = os.path.join(folder, f"{name}.sock")
        self.file = os.path.join(folder, f"{name}.fstrm")
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(["fstrm_capture", "-t", "protobuf:dnstap.Dnstap", "-u", self.socket,
                                      "-w", self.file], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(100):
            if os.path.exists(self.socket):
                return self
            time.sleep(0.05)
        self.proc.kill()
        raise RuntimeError(f"fstrm_capture did not create {self.socket}: {self.proc.stderr.read()!r}")

    def __exit__(self, *exc):
        self.proc.send_signal(15)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stderr.close()

    def read(self):
        quiet = subprocess.run(["dnstap-ldns", "-r", self.file], capture_output=True, text=True, timeout=30)
        if quiet.returncode != 0:
            raise AssertionError(f"dnstap-ldns -r {self.file}: {quiet.stderr}")
        return quiet.stdout.splitlines()


def dnstap_counters(server):
    with urllib.request.urlopen(f"http://{harness.HOST}:{server.metrics_port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return {name: float(re.search(rf"^flatns_dnstap_{name}_total (\S+)$", text, re.M).group(1))
            for name in ("messages", "dropped")}


class DnstapSocket(unittest.TestCase):
    def test_fstrm_capture_receives_a_known_batch(self):
        with tempfile.TemporaryDirectory(prefix="flatns-it-dnstap-") as tmp:
            with Collector(tmp, "collector") as collector:
                server = OpsServer(ARGS.flatns, tmp, metrics=True, dnstap=f"{{socket: {collector.socket}}}")
                with server:
                    names = [f"s{i}.{ORIGIN}" for i in range(5)]
                    for name in names:
                        server.query(name, "A")
                    server.query(f"www.{ORIGIN}", "AAAA", tcp=True)
                    time.sleep(0.2)  # the writer's pass (every 20 ms) has written them
                    counters = dnstap_counters(server)
                    server.proc.send_signal(15)
                    self.assertEqual(server.proc.wait(timeout=10), 0)
            lines = collector.read()
        print("\n" + "\n".join(lines[-4:]), file=sys.stderr)
        self.assertEqual(counters["dropped"], 0, counters)
        batch = [l for l in lines if "SOA" not in l]  # the harness's readiness probes come first
        self.assertEqual(len(batch), 12, lines)
        for name in names:
            self.assertEqual(sorted(l.split()[2] for l in batch if f'"{name}." IN A' in l), ["AQ", "AR"], lines)
        tcp = [l for l in batch if f'"www.{ORIGIN}." IN AAAA' in l]
        self.assertEqual([l.split()[2] for l in tcp], ["AQ", "AR"], lines)
        self.assertTrue(all(" TCP " in l for l in tcp), tcp)

    def test_a_collector_that_starts_later_is_connected_to(self):
        with tempfile.TemporaryDirectory(prefix="flatns-it-dnstap-") as tmp:
            collector = Collector(tmp, "late")
            server = OpsServer(ARGS.flatns, tmp, metrics=True, dnstap=f"{{socket: {collector.socket}}}")
            with server:
                server.query(f"before.{ORIGIN}", "A")  # no collector yet: dropped and counted
                time.sleep(0.2)
                before = dnstap_counters(server)
                with collector:
                    # flatns retries every second; ask until the collector has had 2 s of queries.
                    asked = []
                    deadline = time.monotonic() + 3.5
                    while time.monotonic() < deadline:
                        name = f"late{len(asked)}.{ORIGIN}"
                        server.query(name, "A")
                        asked.append(name)
                        time.sleep(0.1)
                    after = dnstap_counters(server)
                    server.proc.send_signal(15)
                    self.assertEqual(server.proc.wait(timeout=10), 0)
                lines = collector.read()
        print(f"\nlate collector: {len(lines)} messages of {2 * len(asked)} after it started; "
              f"dropped before it: {before['dropped']:.0f}", file=sys.stderr)
        self.assertGreater(before["dropped"], 0, before)
        self.assertFalse([l for l in lines if f'"before.{ORIGIN}."' in l], lines)
        logged = [name for name in asked if any(f'"{name}." IN A' in l for l in lines)]
        # Within the reopen interval (1 s) of the collector's start, the rest are all there.
        self.assertGreaterEqual(len(logged), len(asked) - 15, (asked, lines))
        first = asked.index(logged[0])
        self.assertEqual(logged, asked[first:], lines)
        for name in logged:
            self.assertEqual(sorted(l.split()[2] for l in lines if f'"{name}." IN A' in l), ["AQ", "AR"])
        self.assertGreater(after["messages"], before["messages"])


if __name__ == "__main__":
    ARGS, argv = harness.parse_args()
    tools = ("dnstap-ldns", "fstrm_capture") if "DnstapSocket" in argv else ("dnstap-ldns", "dnsperf")
    for tool in tools:
        if not shutil.which(tool):
            print(f"SKIP: {tool} is not installed (Debian: dnstap-ldns, dnsperf, fstrm-bin)", file=sys.stderr)
            sys.exit(77)
    harness.die_after(150)
    unittest.main(argv=argv, verbosity=2)
