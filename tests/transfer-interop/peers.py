"""Transfer peers for the interop tests: flatns as primary, and NSD, Knot and
BIND (named) as secondaries, each in a temporary folder on 127.0.0.1 with a
port from 26000-26999 (this folder's range), stopped by the context manager.
"""

import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import dns.flags
import dns.message
import dns.query
import dns.rdatatype
import dns.tsigkeyring

HOST = "127.0.0.1"
PORT_RANGE = (26000, 26999)
KEY_NAME = "xfr-key"
KEY_SECRET = "c2VjcmV0LWtleS1mb3ItZmxhdG5zLXRzaWctdGVzdHM="  # base64, test only
KEYRING = dns.tsigkeyring.from_text({KEY_NAME: ("hmac-sha256", KEY_SECRET)})


def free_port(port_range=PORT_RANGE):
    """A port free for UDP and TCP on HOST in `port_range` (a test file with
    its own range passes it)."""
    for _ in range(200):
        port = random.randint(*port_range)
        ok = True
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(socket.AF_INET, kind)
            try:
                s.bind((HOST, port))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            return port
    raise RuntimeError(f"no free port in {port_range}")


def knot_conf_head(folder, port):
    """The start of every knot.conf here: its files in `folder`, listening on
    HOST@port, logging to stderr, and the shared TSIG key. Callers add
    remote:, acl: and zone:."""
    return f"""server:
    rundir: "{folder}"
    listen: {HOST}@{port}
log:
  - target: stderr
    any: info
database:
    storage: "{folder}"
key:
  - id: {KEY_NAME}
    algorithm: hmac-sha256
    secret: {KEY_SECRET}
"""


def soa_serial(port, zone, timeout=1.0):
    q = dns.message.make_query(zone, "SOA")
    r = dns.query.udp(q, HOST, port=port, timeout=timeout)
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            return rrset[0].serial
    return None


class Process:
    """Runs argv in `folder` with its output in a log file."""

    name = "process"

    def __init__(self, port=None):
        self.dir = tempfile.mkdtemp(prefix=f"flatns-xfr-{self.name}-")
        self.port = port or free_port()
        self.proc = None

    def start(self, argv):
        self.log_path = os.path.join(self.dir, "output.log")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         cwd=self.dir, start_new_session=True)
        return self

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, signum):
        os.killpg(self.proc.pid, signum)

    def stop(self):
        if self.alive():
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
            except ProcessLookupError:
                pass

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def wait_serial(self, zone, serial, timeout=20.0):
        """Waits until the server answers `zone` SOA with `serial`."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(f"{self.name} exited:\n{self.log()}")
            try:
                last = soa_serial(self.port, zone, timeout=0.5)
                if last == serial:
                    return
            except Exception:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.name}: {zone} serial {last}, not {serial}, after {timeout} s\n"
                             f"--- {self.name} log ---\n{self.log()}")


class FlatnsPrimary(Process):
    name = "flatns"

    def __init__(self, binary, zone, zone_file, notify_ports, allow_extra=(), port=None):
        super().__init__(port)
        self.binary = binary
        self.config = os.path.join(self.dir, "flatns.yaml")
        lines = [
            "server:",
            f'  listen: ["{HOST}:{self.port}"]',
            "  workers: 1",
            "keys:",
            f"  - name: {KEY_NAME}",
            "    algorithm: hmac-sha256",
            f'    secret: "{KEY_SECRET}"',
            "zones:",
            f"  - name: {zone}",
            f"    file: {zone_file}",
            f"    allow_transfer: [{{address: {HOST}, key: {KEY_NAME}}}{''.join(', ' + a for a in allow_extra)}]",
            "    notify: [" + ", ".join(f'{{address: "{HOST}:{p}", key: {KEY_NAME}}}' for p in notify_ports) + "]",
        ]
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(self.config, 0o600)  # it holds a TSIG secret

    def run(self):
        return self.start([self.binary, "serve", "-c", self.config])


class NsdSecondary(Process):
    name = "nsd"

    def __init__(self, zone, primary_port):
        super().__init__()
        d = self.dir
        conf = os.path.join(d, "nsd.conf")
        with open(conf, "w") as f:
            f.write(f"""server:
  ip-address: {HOST}
  port: {self.port}
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "{d}"
  database: ""
  pidfile: "{d}/nsd.pid"
  xfrdfile: "{d}/xfrd.state"
  xfrdir: "{d}"
  zonelistfile: "{d}/zone.list"
  verbosity: 2
remote-control:
  control-enable: no
key:
  name: {KEY_NAME}
  algorithm: hmac-sha256
  secret: "{KEY_SECRET}"
zone:
  name: {zone}
  zonefile: "{d}/{zone}zone"
  allow-notify: {HOST} {KEY_NAME}
  request-xfr: {HOST}@{primary_port} {KEY_NAME}
""")
        self.argv = [shutil.which("nsd") or "/usr/sbin/nsd", "-d", "-c", conf]

    def run(self):
        return self.start(self.argv)


class KnotSecondary(Process):
    name = "knot"

    def __init__(self, zone, primary_port):
        super().__init__()
        d = self.dir
        conf = os.path.join(d, "knot.conf")
        with open(conf, "w") as f:
            f.write(knot_conf_head(d, self.port) + f"""remote:
  - id: primary
    address: {HOST}@{primary_port}
    key: {KEY_NAME}
acl:
  - id: notify_from_primary
    address: {HOST}
    key: {KEY_NAME}
    action: notify
zone:
  - domain: {zone}
    storage: "{d}"
    file: "{zone}zone"
    master: primary
    acl: notify_from_primary
""")
        self.argv = [shutil.which("knotd") or "/usr/sbin/knotd", "-c", conf]

    def run(self):
        return self.start(self.argv)


class BindSecondary(Process):
    name = "named"

    def __init__(self, zone, primary_port):
        super().__init__()
        d = self.dir
        conf = os.path.join(d, "named.conf")
        with open(conf, "w") as f:
            f.write(f"""options {{
    directory "{d}";
    pid-file "{d}/named.pid";
    session-keyfile "{d}/session.key";
    listen-on port {self.port} {{ {HOST}; }};
    listen-on-v6 {{ none; }};
    recursion no;
    notify no;
    dnssec-validation no;
}};
controls {{ }};
key "{KEY_NAME}" {{ algorithm hmac-sha256; secret "{KEY_SECRET}"; }};
zone "{zone.rstrip('.')}" {{
    type secondary;
    file "{d}/{zone}db";
    masterfile-format text;
    primaries port {primary_port} {{ {HOST} key "{KEY_NAME}"; }};
}};
""")
        self.argv = [shutil.which("named") or "/usr/sbin/named", "-g", "-n", "1", "-c", conf]

    def run(self):
        return self.start(self.argv)


def compare_answers(servers, queries):
    """Asks every server each (name, type) over UDP; returns the differences
    from the first server's answers: rcode, AA, the answer section, and the
    authority section of answers without records (NODATA, NXDOMAIN,
    referrals). Servers differ, by design, in the NS they add to positive
    answers (NSD and BIND add them, flatns and Knot do not: RFC 2181 5.4.1
    leaves it optional), so those are not compared."""
    differences = []
    for name, rdtype in queries:
        seen = []
        for server in servers:
            q = dns.message.make_query(name, rdtype)
            q.flags = 0
            r = dns.query.udp(q, HOST, port=server.port, timeout=2)
            def texts(section):
                return sorted(line for rrset in section for line in rrset.to_text().lower().splitlines())
            authority = texts(r.authority) if not r.answer else []
            seen.append((server.name, r.rcode(), bool(r.flags & dns.flags.AA), texts(r.answer), authority))
        for other in seen[1:]:
            if other[1:] != seen[0][1:]:
                differences.append(f"{name} {rdtype}: {seen[0][0]} {seen[0][1:]} != {other[0]} {other[1:]}")
    return differences


class FlatnsSecondary(Process):
    """flatns with secondary zones: zones is a list of (origin, primary_port)."""

    name = "flatns-secondary"

    def __init__(self, binary, zones, port=None):
        super().__init__(port)
        self.binary = binary
        self.config = os.path.join(self.dir, "flatns.yaml")
        lines = [
            "server:",
            f'  listen: ["{HOST}:{self.port}"]',
            "  workers: 1",
            "keys:",
            f"  - name: {KEY_NAME}",
            f'    secret: "{KEY_SECRET}"',
            "zones:",
        ]
        for origin, primary_port in zones:
            lines += [f"  - name: {origin}",
                      f"    file: secondary/{origin}zone",
                      f'    primaries: [{{address: "{HOST}:{primary_port}", key: {KEY_NAME}}}]']
        os.makedirs(os.path.join(self.dir, "secondary"))
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(self.config, 0o600)

    def zone_file(self, origin):
        return os.path.join(self.dir, "secondary", origin + "zone")

    def run(self):
        return self.start([self.binary, "serve", "-c", self.config])


class KnotPrimary(Process):
    name = "knot-primary"

    def __init__(self, zone, zone_text, notify_port, port=None):
        super().__init__(port)
        d = self.dir
        self.zone_path = os.path.join(d, f"{zone}zone")
        with open(self.zone_path, "w") as f:
            f.write(zone_text)
        conf = os.path.join(d, "knot.conf")
        with open(conf, "w") as f:
            f.write(knot_conf_head(d, self.port) + f"""remote:
  - id: secondary
    address: {HOST}@{notify_port}
    key: {KEY_NAME}
acl:
  - id: transfer
    address: {HOST}
    key: {KEY_NAME}
    action: transfer
zone:
  - domain: {zone}
    storage: "{d}"
    file: "{zone}zone"
    notify: secondary
    acl: transfer
    zonefile-load: difference
""")
        self.argv = [shutil.which("knotd") or "/usr/sbin/knotd", "-c", conf]

    def run(self):
        return self.start(self.argv)


class BindPrimary(Process):
    name = "named-primary"

    def __init__(self, zone, zone_text, notify_port, port=None):
        super().__init__(port)
        d = self.dir
        self.zone_path = os.path.join(d, f"{zone}db")
        with open(self.zone_path, "w") as f:
            f.write(zone_text)
        conf = os.path.join(d, "named.conf")
        with open(conf, "w") as f:
            f.write(f"""options {{
    directory "{d}";
    pid-file "{d}/named.pid";
    session-keyfile "{d}/session.key";
    listen-on port {self.port} {{ {HOST}; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
}};
controls {{ }};
key "{KEY_NAME}" {{ algorithm hmac-sha256; secret "{KEY_SECRET}"; }};
zone "{zone.rstrip('.')}" {{
    type primary;
    file "{self.zone_path}";
    allow-transfer {{ key "{KEY_NAME}"; }};
    ixfr-from-differences yes;
    notify explicit;
    also-notify {{ {HOST} port {notify_port} key "{KEY_NAME}"; }};
}};
""")
        self.argv = [shutil.which("named") or "/usr/sbin/named", "-g", "-n", "1", "-c", conf]

    def run(self):
        return self.start(self.argv)
