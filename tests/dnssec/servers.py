"""Launchers for the processes a test talks to: NSD and flatns (the authoritative
servers compared), and Unbound (the validating oracle).

Each launcher is a context manager: it writes its config into the test's
temporary folder, starts the process in the foreground on a loopback port,
waits until it answers, and on exit stops it (SIGTERM, then SIGKILL to the
process group it created) whatever happened. A launcher that cannot start
raises ServerError with the tail of the process's log.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0


class ServerError(RuntimeError):
    pass


def _die_with_parent() -> None:
    # If the test runner itself is killed (ctest timeout), take the server along.
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _tail(path: str, lines: int = 25) -> str:
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


class Process:
    """One foreground process with its output in `log`."""

    label = "process"

    def __init__(self, workdir: str, port: int):
        self.workdir = workdir
        self.port = port
        self.log = os.path.join(workdir, f"{self.label}-{port}.log")
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def write_config(self) -> None:
        raise NotImplementedError

    def probe(self) -> tuple[str, str]:
        """The (name, type) queried to know the process is up."""
        raise NotImplementedError

    def probe_ok(self, response: dns.message.Message) -> bool:
        return response.rcode() == dns.rcode.NOERROR

    def __enter__(self):
        self.write_config()
        with open(self.log, "ab") as log:
            try:
                self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, start_new_session=True,
                                             preexec_fn=_die_with_parent, cwd=self.workdir)
            except OSError as e:
                raise ServerError(f"{self.label} could not start ({' '.join(self.command())}): {e}") from e
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _wait_ready(self) -> None:
        name, rdtype = self.probe()
        query = dns.message.make_query(name, rdtype)
        deadline = time.monotonic() + READY_TIMEOUT_S
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"{self.label} exited with {self.proc.returncode} before answering "
                                  f"{name} {rdtype} on port {self.port}; log {self.log}:\n{_tail(self.log)}")
            try:
                response = dns.query.udp(query, "127.0.0.1", port=self.port, timeout=0.3)
                if self.probe_ok(response):
                    return
                last = f"rcode {dns.rcode.to_text(response.rcode())}"
            except (dns.exception.Timeout, OSError) as e:
                last = type(e).__name__
            time.sleep(0.05)
        raise ServerError(f"{self.label} on port {self.port} did not answer {name} {rdtype} within "
                          f"{READY_TIMEOUT_S:.0f} s (last: {last}); log {self.log}:\n{_tail(self.log)}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pass
        try:  # NSD's worker children share the group the launcher created.
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self.proc.poll() is None:
            self.proc.wait(STOP_TIMEOUT_S)

    def log_text(self) -> str:
        with open(self.log, errors="replace") as f:
            return f.read()


class AuthServer(Process):
    """An authoritative server for `zones`: a list of (origin, zone file path)."""

    def __init__(self, workdir: str, port: int, zones: list[tuple[str, str]]):
        super().__init__(workdir, port)
        self.zones = zones

    def probe(self) -> tuple[str, str]:
        return self.zones[0][0], "SOA"

    def probe_ok(self, response: dns.message.Message) -> bool:
        return True  # it answers: both servers load their zones before they listen


class Nsd(AuthServer):
    label = "nsd"

    def write_config(self) -> None:
        base = os.path.join(self.workdir, f"nsd-{self.port}")
        os.makedirs(base, exist_ok=True)
        self.config = base + ".conf"
        lines = ["server:",
                 f"  ip-address: 127.0.0.1@{self.port}",
                 f"  port: {self.port}",
                 "  do-ip6: no",
                 "  username: \"\"",
                 "  chroot: \"\"",
                 f"  zonesdir: \"{base}\"",
                 f"  pidfile: \"{base}/nsd.pid\"",
                 "  database: \"\"",
                 f"  xfrdfile: \"{base}/xfrd.state\"",
                 f"  xfrdir: \"{base}\"",
                 f"  zonelistfile: \"{base}/zone.list\"",
                 "  server-count: 1",
                 "  verbosity: 1",
                 "  hide-version: yes",
                 # As tests/integration/differential.py: no NS set in the authority
                 # section of positive answers, additional data only for referrals.
                 "  minimal-responses: yes",
                 "remote-control:",
                 "  control-enable: no"]
        for origin, path in self.zones:
            lines += ["zone:", f"  name: \"{origin}\"", f"  zonefile: \"{path}\""]
        with open(self.config, "w") as out:
            out.write("\n".join(lines) + "\n")

    def command(self) -> list[str]:
        return ["nsd", "-d", "-c", self.config]


class Flatns(AuthServer):
    label = "flatns"

    def __init__(self, workdir: str, port: int, zones: list[tuple[str, str]], binary: str,
                 flatten: str = "off"):
        super().__init__(workdir, port, zones)
        self.binary = binary
        self.flatten = flatten

    def write_config(self) -> None:
        self.config = os.path.join(self.workdir, f"flatns-{self.port}.yaml")
        with open(self.config, "w") as out:
            out.write(flatns_config(self.port, self.zones, self.flatten))

    def command(self) -> list[str]:
        return [self.binary, "serve", "-c", self.config]


def flatns_config(port: int, zones: list[tuple[str, str]], flatten: str = "off") -> str:
    lines = ["server:", f"  listen: [\"127.0.0.1:{port}\"]", "  workers: 1", "zones:"]
    for origin, path in zones:
        lines += [f"  - name: \"{origin}\"", f"    file: \"{path}\"", f"    flatten: {flatten}"]
    return "\n".join(lines) + "\n"


def auth_server(kind: str, workdir: str, port: int, zones: list[tuple[str, str]],
                flatns_binary: str) -> AuthServer:
    if kind == "nsd":
        return Nsd(workdir, port, zones)
    if kind == "flatns":
        return Flatns(workdir, port, zones, flatns_binary)
    raise ValueError(f"unknown server kind {kind!r} (nsd or flatns)")


class Unbound(Process):
    """Validating resolver with `trust_anchor` and a stub zone per served zone."""

    label = "unbound"

    def __init__(self, workdir: str, port: int, trust_anchor: str, stub_zones: list[str],
                 auth_port: int):
        super().__init__(workdir, port)
        self.trust_anchor = trust_anchor
        self.stub_zones = stub_zones
        self.auth_port = auth_port

    def write_config(self) -> None:
        self.config = os.path.join(self.workdir, f"unbound-{self.port}.conf")
        lines = ["server:",
                 f"  interface: 127.0.0.1@{self.port}",
                 f"  port: {self.port}",
                 "  do-ip6: no",
                 "  do-daemonize: no",
                 "  chroot: \"\"",
                 "  username: \"\"",
                 f"  directory: \"{self.workdir}\"",
                 f"  pidfile: \"{self.workdir}/unbound-{self.port}.pid\"",
                 "  use-syslog: no",
                 f"  logfile: \"{self.log}\"",
                 "  verbosity: 1",
                 "  val-log-level: 2",
                 "  log-servfail: yes",
                 "  num-threads: 1",
                 "  so-reuseport: no",
                 "  do-not-query-localhost: no",
                 "  module-config: \"validator iterator\"",
                 f"  trust-anchor-file: \"{self.trust_anchor}\"",
                 # Every proof must come from the server under test, not from the cache.
                 "  aggressive-nsec: no",
                 "  qname-minimisation: no",
                 "  prefetch: no",
                 "  target-fetch-policy: \"0 0 0 0 0\"",
                 # RFC 6761 names are blocked by default in Unbound.
                 "  local-zone: \"test.\" nodefault",
                 "remote-control:",
                 "  control-enable: no"]
        for zone in self.stub_zones:
            lines += ["stub-zone:", f"  name: \"{zone}\"", f"  stub-addr: 127.0.0.1@{self.auth_port}"]
        with open(self.config, "w") as out:
            out.write("\n".join(lines) + "\n")

    def command(self) -> list[str]:
        return ["unbound", "-d", "-c", self.config]

    def probe(self) -> tuple[str, str]:
        return self.stub_zones[0], "SOA"

    def probe_ok(self, response: dns.message.Message) -> bool:
        return True  # any answer, even SERVFAIL: the cases judge the content

    def validation_failures(self) -> list[str]:
        return [line.strip() for line in self.log_text().splitlines()
                if "validation failure" in line or "SERVFAIL" in line]
