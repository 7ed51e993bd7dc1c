"""Hosting scale (issue 16): flatns serving 20,000 small zones, generated at
test time in a temporary folder (9 records each, as a DNS host's zones are):

- every zone answers: its apex A is its own address, AA set (all 20,000,
  pipelined over UDP);
- a random sample of names and types in those zones is answered as NSD,
  serving the same zones, answers them (answer and authority sections);
- SIGHUP with one changed zone among 20,000 under a dnsperf load: no query
  is lost, the zone serves its new serial, the summary line counts 1 loaded
  and 19,999 unchanged, and an unchanged zone's debug line says its
  snapshot was kept (not reparsed);
- SIGHUP with one zone broken and another changed: the broken one keeps
  serving its old version (error with file:line), the other one reloads.

Timing is not asserted. Usage: test_hosting_scale.py --flatns BIN [--zones N]
"""

import argparse
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

import harness

# This module's ports: 127.0.0.1:29600-29699.
harness.PORT_RANGE = (29600, 29699)
# Loading 20,000 zones under the sanitizers takes longer than one zone.
harness.START_TIMEOUT_S = 180.0

ARGS = None
SERIAL = 2026120101


def origin(i):
    return f"d{i}.hosting.test"


def address(i):
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def zone_text(i, serial=SERIAL, extra=""):
    return (f"$ORIGIN {origin(i)}.\n$TTL 3600\n"
            f"@ IN SOA ns1.hoster.test. hostmaster.hoster.test. {serial} 7200 3600 1209600 300\n"
            "@ IN NS ns1.hoster.test.\n@ IN NS ns2.hoster.test.\n@ IN MX 10 mail\n"
            '@ IN TXT "v=spf1 mx -all"\n'
            f"@ IN A {address(i)}\nwww IN A {address(i)}\nwww IN AAAA 2001:db8::{i:x}\n"
            "mail IN A 192.0.2.25\n" + extra)


def write_file(path, text):
    # Written beside and renamed, as an operator's tooling would.
    with open(path + ".new", "w") as f:
        f.write(text)
    os.replace(path + ".new", path)


def ask_all(port, queries, window=64, rounds=3):
    """Sends every (qname, qtype) over UDP with up to `window` in flight;
    returns {index: dns.message.Message}. Queries lost are asked again
    (loopback UDP may drop under a burst), `rounds` times at most."""
    answers = {}
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(2.0)
    try:
        for _ in range(rounds):
            todo = [i for i in range(len(queries)) if i not in answers]
            if not todo:
                break
            pending = {}
            pos = 0
            while pos < len(todo) or pending:
                while pos < len(todo) and len(pending) < window:
                    index = todo[pos]
                    pos += 1
                    q = dns.message.make_query(*queries[index])
                    q.id = index % 65536
                    pending[q.id] = (index, q)
                    sock.sendto(q.to_wire(), (harness.HOST, port))
                try:
                    wire = sock.recv(65535)
                except socket.timeout:
                    break  # the rest of this round is lost: asked again next round
                reply = dns.message.from_wire(wire)
                entry = pending.pop(reply.id, None)
                if entry:
                    answers[entry[0]] = reply
    finally:
        sock.close()
    return answers


def sections(reply):
    def texts(section):
        return sorted(rrset.to_text() for rrset in section)
    return (dns.rcode.to_text(reply.rcode()), bool(reply.flags & dns.flags.AA),
            texts(reply.answer), texts(reply.authority))


class HostingScale(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        started = time.monotonic()
        cls.tmp = tempfile.TemporaryDirectory(prefix="flatns-it-hosting-")
        cls.count = ARGS.zones
        cls.paths = []
        for i in range(cls.count):
            path = os.path.join(cls.tmp.name, f"{origin(i)}.zone")
            with open(path, "w") as f:
                f.write(zone_text(i))
            cls.paths.append(path)
        zones = [(origin(i), cls.paths[i]) for i in range(cls.count)]
        written = time.monotonic()
        cls.server = harness.Flatns(ARGS.flatns, zones, server_extra=["log_level: debug"]).__enter__()
        cls.zones = zones
        print(f"\n{cls.count} zone files written in {written - started:.1f} s, flatns answering "
              f"{time.monotonic() - written:.1f} s later", flush=True)

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)
        cls.tmp.cleanup()

    def hup_and_wait(self, occurrence):
        os.kill(self.server.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 120
        while self.server.log().count("reload done:") < occurrence:
            self.assertLess(time.monotonic(), deadline, f"no reload done in the log:\n{self.server.log()[-4000:]}")
            time.sleep(0.05)
        return [line for line in self.server.log().splitlines() if "reload done:" in line][occurrence - 1]

    def dnsperf(self, seconds):
        """dnsperf at 2000 queries/s over the apex A of random zones, in the
        background: the reload must lose none of them."""
        path = os.path.join(self.tmp.name, "queries.txt")
        rng = random.Random(3)
        with open(path, "w") as f:
            for _ in range(2000):
                f.write(f"{origin(rng.randrange(self.count))} A\n")
        argv = ["dnsperf", "-s", harness.HOST, "-p", str(self.server.port), "-d", path, "-l", str(seconds),
                "-Q", "2000", "-c", "4", "-t", "3"]
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                stdin=subprocess.DEVNULL)

    def serial(self, i):
        deadline = time.monotonic() + 3  # workers take a new zone set at their next loop turn
        while True:
            serial = self.server.query(origin(i), "SOA").answer[0][0].serial
            if serial != SERIAL or time.monotonic() > deadline:
                return serial
            time.sleep(0.02)

    def test_1_every_zone_answers(self):
        queries = [(origin(i), "A") for i in range(self.count)]
        answers = ask_all(self.server.port, queries)
        self.assertEqual(len(answers), self.count, "zones without an answer")
        wrong = []
        for i in range(self.count):
            reply = answers[i]
            got = [r.address for rrset in reply.answer for r in rrset]
            if reply.rcode() != dns.rcode.NOERROR or not reply.flags & dns.flags.AA or got != [address(i)]:
                wrong.append(f"{origin(i)}: {dns.rcode.to_text(reply.rcode())} {got}")
        self.assertEqual(wrong[:10], [], f"{len(wrong)} zones answer wrongly")
        summary = [line for line in self.server.log().splitlines() if "zones loaded:" in line]
        self.assertEqual(len(summary), 1, self.server.log()[-2000:])
        self.assertIn(f"{self.count} zones served, {9 * self.count} records; {self.count} loaded, "
                      "0 unchanged, 0 failed", summary[0])
        print(f"\n{summary[0]}", flush=True)

    def test_2_answers_equal_nsd(self):
        rng = random.Random(16)
        queries = []
        for _ in range(400):
            i = rng.randrange(self.count)
            name, qtype = rng.choice([("", "SOA"), ("", "NS"), ("", "MX"), ("", "TXT"), ("", "A"),
                                      ("www.", "A"), ("www.", "AAAA"), ("mail.", "A"), ("nx.", "A"),
                                      ("mail.", "AAAA")])
            queries.append((name + origin(i), qtype))
        with harness.Nsd(self.zones, options=["minimal-responses: yes"]) as nsd:
            theirs = ask_all(nsd.port, queries)
        ours = ask_all(self.server.port, queries)
        self.assertEqual(len(theirs), len(queries))
        self.assertEqual(len(ours), len(queries))
        differ = [f"{queries[k]}: flatns {sections(ours[k])} nsd {sections(theirs[k])}"
                  for k in range(len(queries)) if sections(ours[k]) != sections(theirs[k])]
        self.assertEqual(differ[:5], [], f"{len(differ)} answers differ from NSD's")

    def test_3_one_changed_zone_among_many(self):
        changed = self.count // 2
        perf = self.dnsperf(seconds=4)
        time.sleep(1.0)
        write_file(self.paths[changed], zone_text(changed, SERIAL + 1))
        done = self.hup_and_wait(1)
        self.assertEqual(self.serial(changed), SERIAL + 1)
        out, _ = perf.communicate(timeout=60)
        sent = int(re.search(r"Queries sent:\s+(\d+)", out).group(1))
        lost = int(re.search(r"Queries lost:\s+(\d+)", out).group(1))
        self.assertGreater(sent, 1000, out)
        self.assertEqual(lost, 0, out)
        self.assertRegex(out, r"Response codes:\s+NOERROR \d+ \(100\.00%\)", out)
        self.assertIn(f"1 loaded, {self.count - 1} unchanged, 0 failed", done)
        log = self.server.log()
        self.assertIn(f"zone {origin(changed)}. loaded: serial {SERIAL + 1}", log)
        self.assertIn(f"zone {origin(changed + 1)}. unchanged: snapshot kept (serial {SERIAL})", log)
        self.assertEqual(self.serial(changed + 1), SERIAL)
        print(f"\n{done}", flush=True)

    def test_4_a_broken_changed_zone_keeps_its_old_version(self):
        broken, fixed = 7, 8
        lines = zone_text(broken, SERIAL + 5).splitlines()
        lines.insert(5, "mail IN A 192.0.2.300")  # line 6: not an IPv4 address
        write_file(self.paths[broken], "\n".join(lines) + "\n")
        write_file(self.paths[fixed], zone_text(fixed, SERIAL + 5))
        done = self.hup_and_wait(2)
        self.assertIn(f"1 loaded, {self.count - 2} unchanged, 1 failed (1 keep their previous version)", done)
        log = self.server.log()
        self.assertIn(f"{self.paths[broken]}:6:", log)
        self.assertIn(f"zone {origin(broken)}. failed to load; still serving its previous version "
                      f"(serial {SERIAL})", log)
        self.assertEqual(self.serial(fixed), SERIAL + 5)
        self.assertEqual(self.serial(broken), SERIAL)
        reply = self.server.query(f"www.{origin(broken)}", "A")
        self.assertEqual([r.address for r in reply.answer[0]], [address(broken)])


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--flatns", required=True)
    parser.add_argument("--zones", type=int, default=20000)
    parser.add_argument("--corpus")
    parser.add_argument("--examples")
    ARGS, rest = parser.parse_known_args()
    harness.die_after(600)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
