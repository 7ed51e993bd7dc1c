"""Runs real DNS servers (flatns, NSD) on loopback for the integration tests.

A server is a context manager: entering writes its configuration into a
temporary folder, starts the process on a free port in 127.0.0.1:21000-22999,
and waits until it answers a SOA query; leaving always stops it (SIGTERM, then
SIGKILL) and removes the folder. Nothing here listens on anything but loopback.
"""

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset

PORT_RANGE = (21000, 22999)
HOST = "127.0.0.1"
START_TIMEOUT_S = 15.0
QUERY_TIMEOUT_S = 3.0


_running = set()  # servers started and not yet stopped, for die_after


def die_after(seconds):
    """Ends the whole test program when it runs longer than `seconds`: stops
    every server it started and exits 1. (An exception would not do: unittest
    records it as one test's error and goes on.)"""

    def on_alarm(signum, frame):
        sys.stderr.write(f"\ntest program timed out after {seconds} s; stopping its servers\n")
        for server in list(_running):
            server._stop()
        sys.stderr.flush()
        os._exit(1)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)


def _port_is_free(port):
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def free_port():
    """A port free for both UDP and TCP, picked at random so that tests run
    in parallel by ctest rarely collide (and a collision only costs a retry)."""
    for _ in range(200):
        port = random.randint(*PORT_RANGE)
        if _port_is_free(port):
            return port
    raise RuntimeError(f"no free port in {PORT_RANGE}")


def _ask_soa(port, zone, tcp=False):
    q = dns.message.make_query(zone, dns.rdatatype.SOA)
    if tcp:
        return dns.query.tcp(q, HOST, port=port, timeout=0.5)
    return dns.query.udp(q, HOST, port=port, timeout=0.5)


class _Server:
    """Common start/wait/stop logic; subclasses write the config and argv."""

    name = "server"

    def __init__(self, zones):
        # zones: list of (origin, path) or (origin, path, flatten)
        self.zones = [tuple(z) for z in zones]
        self.port = None
        self.dir = None
        self.proc = None
        self.log_path = None

    # Subclasses: write files into self.dir, return the command line.
    def _prepare(self):
        raise NotImplementedError

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def __enter__(self):
        last_error = None
        for _attempt in range(3):
            self.dir = tempfile.mkdtemp(prefix=f"flatns-it-{self.name}-")
            self.port = free_port()
            argv = self._prepare()
            self.log_path = os.path.join(self.dir, "server.log")
            log = open(self.log_path, "wb")
            self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.dir,
                                         start_new_session=True)
            log.close()
            _running.add(self)
            try:
                self._wait_ready()
                return self
            except Exception as e:  # port taken meanwhile, slow start, crash
                last_error = e
                output = self.log()
                self._stop()
                if "in use" not in output.lower():
                    break
        raise RuntimeError(f"{self.name} did not start: {last_error}\n--- {self.name} output ---\n"
                           f"{self._last_log}")

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        zone = self.zones[0][0]
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"exited with status {self.proc.returncode}")
            try:
                _ask_soa(self.port, zone)
                _ask_soa(self.port, zone, tcp=True)
                return
            except (dns.exception.Timeout, OSError, EOFError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no answer to {zone} SOA on port {self.port} "
                                       f"within {START_TIMEOUT_S} s")
                time.sleep(0.05)

    def _stop(self):
        _running.discard(self)
        self._last_log = self.log()
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.proc = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __exit__(self, *exc):
        self._stop()
        return False

    # Queries ------------------------------------------------------------
    def query(self, qname, qtype="A", tcp=False, **make_query_args):
        q = make_query(qname, qtype, **make_query_args)
        return self.send(q, tcp=tcp)

    def send(self, message, tcp=False):
        if tcp:
            return dns.query.tcp(message, HOST, port=self.port, timeout=QUERY_TIMEOUT_S)
        return dns.query.udp(message, HOST, port=self.port, timeout=QUERY_TIMEOUT_S,
                             ignore_trailing=False)

    def raw_udp(self, payload, timeout=QUERY_TIMEOUT_S):
        """Sends raw octets over UDP; returns the reply's octets or None."""
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.settimeout(timeout)
            s.sendto(payload, (HOST, self.port))
            try:
                return s.recv(65535)
            except socket.timeout:
                return None
        finally:
            s.close()


class Flatns(_Server):
    """flatns serve with a generated YAML config.

    zones: (origin, path[, flatten]); server_extra: more `server:` keys as
    YAML text lines (e.g. 'nsid: "..."')."""

    name = "flatns"

    def __init__(self, binary, zones, server_extra=()):
        super().__init__(zones)
        self.binary = binary
        self.server_extra = list(server_extra)

    def _prepare(self):
        lines = ["server:", f'  listen: ["{HOST}:{self.port}"]', "  workers: 1"]
        lines += [f"  {x}" for x in self.server_extra]
        lines.append("zones:")
        for z in self.zones:
            lines.append(f"  - name: {z[0]}")
            lines.append(f"    file: {os.path.abspath(z[1])}")
            if len(z) > 2:
                lines.append(f"    flatten: {z[2]}")
        self.config_path = os.path.join(self.dir, "flatns.yaml")
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return [self.binary, "serve", "-c", self.config_path]


class Nsd(_Server):
    """NSD 4 in the foreground (-d) with everything it writes in the temp dir."""

    name = "nsd"

    def __init__(self, zones, options=()):
        super().__init__(zones)
        self.options = list(options)

    def _prepare(self):
        d = self.dir
        lines = [
            "server:",
            f"  ip-address: {HOST}",
            f"  port: {self.port}",
            "  server-count: 1",
            '  username: ""',
            '  chroot: ""',
            f'  zonesdir: "{d}"',
            '  database: ""',
            f'  pidfile: "{d}/nsd.pid"',
            f'  xfrdfile: "{d}/xfrd.state"',
            f'  xfrdir: "{d}"',
            f'  zonelistfile: "{d}/zone.list"',
            "  zonefiles-write: 0",
            "  verbosity: 1",
            "  hide-version: yes",
        ]
        lines += [f"  {x}" for x in self.options]
        lines += ["remote-control:", "  control-enable: no"]
        for z in self.zones:
            lines += ["zone:", f"  name: {z[0]}", f'  zonefile: "{os.path.abspath(z[1])}"']
        conf = os.path.join(d, "nsd.conf")
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        check = subprocess.run(["nsd-checkconf", conf], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nsd-checkconf {conf}: {check.stdout}{check.stderr}")
        return [nsd_binary(), "-d", "-c", conf]


def nsd_binary():
    return shutil.which("nsd") or "/usr/sbin/nsd"


class ScriptedUpstream:
    """A UDP DNS server on loopback answering each query with reply(query),
    which subclasses write; malformed queries are ignored. Binds `port`, or
    a free one in `port_range`. A context manager; stop() also ends it."""

    def __init__(self, host=HOST, port=None, port_range=None):
        self.host = host
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for _ in range(1 if port else 100):
            self.port = port or random.randint(*port_range)
            try:
                self.sock.bind((host, self.port))
                break
            except OSError:
                if port:
                    raise
        else:
            raise RuntimeError(f"no free port on {host} in {port_range}")
        self.sock.settimeout(0.2)
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping:
            try:
                wire, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                query = dns.message.from_wire(wire)
            except Exception:
                continue
            if query.question:
                self.sock.sendto(self.reply(query).to_wire(), peer)

    def reply(self, query):
        raise NotImplementedError

    def stop(self):
        self.stopping = True
        self.thread.join(timeout=2)
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class CdnUpstream(ScriptedUpstream):
    """A forwarder for flattening targets: tN.cdn.test. A is 198.51.100.N
    (TTL 300), no AAAA; other names are REFUSED. Records each question as
    (name, type)."""

    def __init__(self, host=HOST, port=None, port_range=None):
        self.questions = []
        super().__init__(host, port, port_range)

    def reply(self, query):
        reply = dns.message.make_response(query)
        reply.flags |= dns.flags.RA
        question = query.question[0]
        self.questions.append((question.name.to_text(), dns.rdatatype.to_text(question.rdtype)))
        labels = question.name.to_text().split(".")
        if labels[1:] != ["cdn", "test", ""] or not re.fullmatch(r"t[0-9]+", labels[0]):
            reply.set_rcode(dns.rcode.REFUSED)
        elif question.rdtype == dns.rdatatype.A:
            reply.answer.append(dns.rrset.from_text(question.name, 300, "IN", "A", f"198.51.100.{int(labels[0][1:])}"))
        return reply


def make_query(qname, qtype="A", rd=False, edns=None, payload=1232, do=False, options=None,
               id=None):
    """A query as a stub resolver sends it; edns=None means no OPT record,
    else the EDNS version (0, or 1 to provoke BADVERS)."""
    q = dns.message.make_query(qname, qtype)
    q.flags = dns.flags.RD if rd else 0
    if edns is not None:
        # use_edns(1) rather than make_query(use_edns=1): dnspython reads 1 as True.
        q.use_edns(edns, ednsflags=dns.flags.DO if do else 0, payload=payload,
                   options=options or [])
    if id is not None:
        q.id = id
    return q


def rrset_texts(section):
    """Every record of a section as 'owner TTL CLASS TYPE rdata', sorted;
    owners lowercased (comparison is case-insensitive, RFC 4343)."""
    out = []
    for rrset in section:
        for line in rrset.to_text().splitlines():
            owner, rest = line.split(" ", 1)
            out.append(f"{owner.lower()} {rest}")
    return sorted(out)


def run_tool(argv, timeout=15):
    """Runs dig/kdig; returns stdout, raising with the output on failure."""
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {p.returncode}:\n{p.stdout}{p.stderr}")
    return p.stdout


def nsd_compatible_copy(path, folder):
    """A copy of a zone file that NSD loads: flatns accepts a CNAME beside
    other data at a flattened apex, NSD (rightly, RFC 1034 3.6.2) does not.
    Drops each line nsd-checkzone reports as "CNAME and other data", after
    checking it is a CNAME line. Returns (path of the copy, dropped lines)."""
    with open(path) as f:
        lines = f.read().split("\n")
    dropped = []
    origin = None
    for line in lines:
        if line.startswith("$ORIGIN"):
            origin = line.split()[1]
            break
    if origin is None:
        origin = os.path.basename(path).removesuffix(".zone") + "."
    copy = os.path.join(folder, os.path.basename(path))
    for _ in range(20):
        with open(copy, "w") as f:
            f.write("\n".join(lines))
        p = subprocess.run(["nsd-checkzone", origin, copy], capture_output=True, text=True)
        bad = [int(m.group(1)) for m in re.finditer(r":(\d+): CNAME and other data", p.stderr + p.stdout)]
        if not bad:
            return copy, dropped
        for n in bad:
            if "CNAME" not in lines[n - 1].upper():
                raise RuntimeError(f"{path}:{n}: nsd-checkzone objects to a line that is not a CNAME")
            dropped.append(f"{path}:{n}: {lines[n - 1].strip()}")
            lines[n - 1] = "; dropped for NSD: " + lines[n - 1]
    raise RuntimeError(f"{path}: could not make an NSD-compatible copy")



def run_unittests(argv):
    """unittest.main, but a skipped case makes the whole test exit 77 so ctest
    reports it skipped (SKIP_RETURN_CODE) with the reason printed, never passed."""
    import unittest
    program = unittest.main(argv=argv, verbosity=2, exit=False)
    result = program.result
    if not result.wasSuccessful():
        sys.exit(1)
    for case, reason in result.skipped:
        print(f"SKIPPED {case.id()}: {reason}", flush=True)
    sys.exit(77 if result.skipped else 0)

def parse_args(argv=None):
    """Common command line: --flatns BINARY --corpus DIR --examples DIR; the
    rest goes to unittest. --against-nsd runs a test module's expectations
    against NSD instead of flatns (to check the tests themselves; differences
    where flatns intends to differ, such as chasing CNAMEs across zones, are
    expected then)."""
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--flatns", required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--examples", required=True)
    parser.add_argument("--against-nsd", action="store_true")
    args, rest = parser.parse_known_args(argv)
    check_paths(args)
    return args, [sys.argv[0]] + rest


def check_paths(args):
    """Stops with a message naming what is missing rather than a traceback."""
    for what, path in (("flatns binary (--flatns)", args.flatns),
                       ("corpus folder (--corpus)", args.corpus),
                       ("examples folder (--examples)", args.examples)):
        if not os.path.exists(path) and not (what.startswith("flatns") and args.against_nsd):
            sys.exit(f"{what} not found: {path}")


def server_for(args, zones, folder, nsid=None):
    """The server a test module runs against: flatns, or NSD with --against-nsd."""
    if args.against_nsd:
        copies = [(z[0], nsd_compatible_copy(z[1], folder)[0]) for z in zones]
        options = ["minimal-responses: yes"]
        if nsid is not None:
            options.append(f"nsid: ascii_{nsid}")
        return Nsd(copies, options)
    extra = [f'nsid: "{nsid}"'] if nsid is not None else []
    return Flatns(args.flatns, zones, server_extra=extra)
