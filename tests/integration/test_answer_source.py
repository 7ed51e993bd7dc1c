"""Answers leave from the address the query was sent to (UDP on a wildcard
listen address, the default 0.0.0.0:53 and [::]:53).

On a host with several addresses a socket bound to 0.0.0.0 receives for all
of them; if the answer's source were left to the kernel it would be the
address of the route back to the client, and a client that asked another
address drops it (dig: "reply from unexpected source"). flatns listens here
on 0.0.0.0:29000 and [::]:29000; a client bound to 127.0.0.1 asks 127.0.0.1,
127.0.0.2 and 127.0.0.3 (all loopback) and, when the host has IPv6, a client
on ::1 asks ::1. Every reply must come from the address asked: static answers
(sent in a batch with sendmmsg) and flattened answers that waited for the
upstream (parked, sent later one by one), one at a time and in bursts.

Usage: test_answer_source.py --flatns BIN --corpus DIR --examples DIR
"""

import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset

import harness

# This module's ports: 29000-29099, picked at random among the free ones so
# that runs from several worktrees at once rarely collide.
PORT_RANGE = (29000, 29099)
PORT = None
UPSTREAM_PORT = None
ADDRESSES_V4 = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
CLIENT_V4 = "127.0.0.1"
TIMEOUT_S = 3.0

ARGS = None
SERVER = None
UPSTREAM = None
HAVE_V6 = False

ZONE = """$ORIGIN source.test.
$TTL 300
@     IN SOA ns.source.test. hostmaster.source.test. 1 3600 600 86400 300
      IN NS  ns.source.test.
ns    IN A   192.0.2.53
www   IN A   192.0.2.80
{flattened}
"""


def flattened_names():
    """Names flattened through the upstream: one per (address, round), so
    that each query finds its target uncached and is parked."""
    return [f"flat{i}" for i in range(40)]


def ipv6_loopback_usable():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    except OSError:
        return False
    try:
        s.bind(("::1", 0))
        return True
    except OSError:
        return False
    finally:
        s.close()


class Server:
    def __init__(self, binary, listen):
        self.dir = tempfile.mkdtemp(prefix="flatns-it-source-")
        names = flattened_names()
        flattened = "\n".join(f"{n} IN CNAME t{i}.cdn.test." for i, n in enumerate(names))
        with open(os.path.join(self.dir, "source.test.zone"), "w") as f:
            f.write(ZONE.format(flattened=flattened))
        listen_text = ", ".join(f'"{a}"' for a in listen)
        config = f"""server:
  listen: [{listen_text}]
  workers: 2
zones:
  - name: source.test
    file: source.test.zone
    flatten: all
resolver:
  mode: forward
  forwarders: ["127.0.0.1:{UPSTREAM_PORT}"]
  dnssec: off
flatten:
  deadline_ms: 2000
"""
        self.config = os.path.join(self.dir, "flatns.yaml")
        with open(self.config, "w") as f:
            f.write(config)
        self.log_path = os.path.join(self.dir, "server.log")
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([os.path.abspath(binary), "serve", "-c", self.config], stdout=log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=self.dir, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 15
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"flatns exited with {self.proc.returncode}:\n{self.log()}")
            try:
                q = dns.message.make_query("source.test.", "SOA")
                reply = ask_from(CLIENT_V4, "127.0.0.1", q, timeout=0.3)
                if reply is not None:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"flatns did not answer on 127.0.0.1:{PORT}:\n{self.log()}")
            time.sleep(0.05)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)


def client_socket(bind_address):
    family = socket.AF_INET6 if ":" in bind_address else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((bind_address, 0))
    return s


def receive(s, timeout):
    """(reply message, source address) or (None, None) on timeout."""
    s.settimeout(timeout)
    try:
        wire, source = s.recvfrom(65535)
    except socket.timeout:
        return None, None
    return dns.message.from_wire(wire), source[0]


def ask_from(bind_address, server_address, query, timeout=TIMEOUT_S):
    s = client_socket(bind_address)
    try:
        s.sendto(query.to_wire(), (server_address, PORT))
        reply, _ = receive(s, timeout)
        return reply
    finally:
        s.close()


def port_is_free(port):
    checks = [(socket.AF_INET, "0.0.0.0")] + ([(socket.AF_INET6, "::")] if HAVE_V6 else [])
    for family, address in checks:
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(family, kind)
            try:
                if family == socket.AF_INET6:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                s.bind((address, port))
            except OSError:
                return False
            finally:
                s.close()
    return True


def free_port(exclude=()):
    for _ in range(200):
        port = random.randint(*PORT_RANGE)
        if port not in exclude and port_is_free(port):
            return port
    raise RuntimeError(f"no free port in {PORT_RANGE}")


def setUpModule():
    global SERVER, UPSTREAM, HAVE_V6, PORT, UPSTREAM_PORT
    HAVE_V6 = ipv6_loopback_usable()
    last_error = None
    for _attempt in range(3):  # a port taken between the check and the bind
        PORT = free_port()
        UPSTREAM_PORT = free_port(exclude=(PORT,))
        listen = [f"0.0.0.0:{PORT}"] + ([f"[::]:{PORT}"] if HAVE_V6 else [])
        try:
            UPSTREAM = harness.CdnUpstream(port=UPSTREAM_PORT)
        except OSError as e:
            last_error = e
            continue
        try:
            SERVER = Server(ARGS.flatns, listen)
            return
        except RuntimeError as e:
            last_error = e
            UPSTREAM.stop()
            UPSTREAM = None
            if "in use" not in str(e).lower():
                break
    raise RuntimeError(f"could not start flatns on a wildcard address: {last_error}")


def tearDownModule():
    if SERVER:
        SERVER.stop()
    if UPSTREAM:
        UPSTREAM.stop()


class AnswerSource(unittest.TestCase):
    next_flattened = 0

    def take_flattened(self):
        """A flattened name not asked before (its target is not cached) and
        the address its target resolves to."""
        i = AnswerSource.next_flattened
        AnswerSource.next_flattened += 1
        return f"{flattened_names()[i]}.source.test.", f"198.51.100.{i}"

    def exchange(self, client, server_address, qname, expect_address):
        s = client_socket(client)
        try:
            q = dns.message.make_query(qname, "A")
            s.sendto(q.to_wire(), (server_address, PORT))
            reply, source = receive(s, TIMEOUT_S)
            self.assertIsNotNone(reply, f"no reply from {server_address} for {qname}\n{SERVER.log()}")
            self.assertEqual(source, server_address, f"the reply to {qname} sent to {server_address} came from {source}")
            self.assertEqual(reply.id, q.id)
            self.assertEqual(reply.rcode(), dns.rcode.NOERROR)
            self.assertEqual([r.address for rrset in reply.answer for r in rrset], [expect_address])
        finally:
            s.close()

    def test_static_answers_come_from_the_address_asked(self):
        for address in ADDRESSES_V4:
            with self.subTest(address=address):
                self.exchange(CLIENT_V4, address, "www.source.test.", "192.0.2.80")

    def test_parked_flattened_answers_come_from_the_address_asked(self):
        for address in ADDRESSES_V4:
            with self.subTest(address=address):
                qname, target_address = self.take_flattened()
                self.exchange(CLIENT_V4, address, qname, target_address)

    def test_a_burst_to_three_addresses_is_answered_from_each(self):
        # One socket, queries to the three addresses interleaved and sent at
        # once: they come back in batches (static) and one by one (parked).
        s = client_socket(CLIENT_V4)
        try:
            expected = {}
            for round_number in range(4):
                for n, address in enumerate(ADDRESSES_V4):
                    if round_number % 2 == 0:
                        qname, answer = "www.source.test.", "192.0.2.80"
                    else:
                        qname, answer = self.take_flattened()
                    q = dns.message.make_query(qname, "A")
                    q.id = 1000 + round_number * 10 + n
                    expected[q.id] = (address, answer)
                    s.sendto(q.to_wire(), (address, PORT))
            while expected:
                reply, source = receive(s, TIMEOUT_S)
                self.assertIsNotNone(reply, f"no reply for ids {sorted(expected)}")
                self.assertIn(reply.id, expected)
                address, answer = expected.pop(reply.id)
                self.assertEqual(source, address, f"reply {reply.id} sent to {address} came from {source}")
                self.assertEqual([r.address for rrset in reply.answer for r in rrset], [answer])
        finally:
            s.close()

    def test_dig_bound_to_one_address_accepts_the_replies_from_another(self):
        # dig drops a reply from an unexpected source ("reply from unexpected
        # source") and times out; here it gets its answer.
        for address in ADDRESSES_V4[1:]:
            with self.subTest(address=address):
                out = subprocess.run(["dig", "-b", CLIENT_V4, f"@{address}", "-p", str(PORT),
                                      "+tries=1", "+time=2", "+short", "www.source.test.", "A"],
                                     capture_output=True, text=True, timeout=10)
                self.assertEqual(out.stdout.strip(), "192.0.2.80", out.stdout + out.stderr)

    def test_ipv6_answers_come_from_the_address_asked(self):
        if not HAVE_V6:
            self.skipTest("no IPv6 loopback on this host")
        self.exchange("::1", "::1", "www.source.test.", "192.0.2.80")
        qname, target_address = self.take_flattened()
        self.exchange("::1", "::1", qname, target_address)

    def test_tcp_is_unaffected(self):
        for address in ADDRESSES_V4:
            with self.subTest(address=address):
                reply = dns.query.tcp(dns.message.make_query("www.source.test.", "A"), address,
                                      port=PORT, timeout=TIMEOUT_S, source=CLIENT_V4)
                self.assertEqual([r.address for rrset in reply.answer for r in rrset], ["192.0.2.80"])


if __name__ == "__main__":
    ARGS, argv = harness.parse_args()
    harness.die_after(120)
    harness.run_unittests(argv)
