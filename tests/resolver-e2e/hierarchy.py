"""A signed DNS hierarchy on loopback for the resolver end-to-end tests.

Built at test time with ldns-keygen and ldns-signzone (ECDSA P-256), served by
one NSD per address on 127.53.x.y:53, with Unbound on 127.0.0.1:24053 as the
oracle. Layout:

  .              127.53.0.1               signed (NSEC); its KSK's DS is the trust anchor
  tld1.          127.53.1.1, 127.53.1.2   signed (NSEC); 127.53.1.2 serves a copy whose
                                          signatures expired (the incident: one bad server)
  tld2.          127.53.2.1, 127.53.2.2   signed with NSEC3 opt-out
  tld3.          127.53.3.1, 127.53.3.2   both serve expired signatures
  secure.tld1.   127.53.10.1              signed; alias CNAME -> www.unsigned.tld2.
  sub.secure.tld1. 127.53.10.1            signed child on its parent's server: answers
                                          come without a referral (the resolver must
                                          find the cut from the signer name)
  broken.tld1.   127.53.10.1              signed, www A RRSIG corrupted
  expired.tld1.  127.53.10.1              signed with signatures that expired in 2020
  unsigned.tld2. 127.53.10.1              unsigned, no DS, covered by NSEC3 opt-out
  target.tld3.   127.53.10.1              signed, below the bad tld3
  dead.tld2.     127.53.14.1, 127.53.14.2 nothing listens there
"""

import contextlib
import dataclasses
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import dns.message
import dns.query
import dns.rdatatype

UNBOUND_PORT = 24053
EXPIRED = ("20191201000000", "20200101000000")  # inception, expiration

def ns_set(owner, servers, ttl):
    """owner's NS records, then the glue A record of each server whose address
    is given: servers is [(name server, address or None)]."""
    return ([f"{owner} {ttl} IN NS {name}" for name, _ in servers]
            + [f"{name} {ttl} IN A {address}" for name, address in servers if address])


def zone_text(origin, servers, delegations=(), records=(), minimum=300, soa_ttl=3600, apex_ttl=3600):
    """A zone file: SOA (the first server as MNAME, hostmaster@ its zone), the
    apex NS set with glue, the delegations [(child, servers, ttl)], records."""
    mname = servers[0][0]
    lines = [f"{origin} {soa_ttl} IN SOA {mname} hostmaster.{mname.split('.', 1)[1]} 1 1800 900 604800 {minimum}"]
    lines += ns_set(origin, servers, apex_ttl)
    for child, child_servers, ttl in delegations:
        lines += ns_set(child, child_servers, ttl)
    return "\n" + "\n".join(lines + list(records)) + "\n"


def tld_servers(net, tld):
    """ns1.tldN. and ns2.tldN. on net.N.1 and net.N.2."""
    n = tld[len("tld"):].rstrip(".")
    return [(f"ns1.{tld}", f"{net}.{n}.1"), (f"ns2.{tld}", f"{net}.{n}.2")]


def common_zones(net, delegations=None, records=None):
    """The zones every hierarchy here holds, on the addresses net.x.y: the root,
    tld1-3, and below them secure.tld1. (alias CNAME -> www.unsigned.tld2.),
    broken.tld1., unsigned.tld2., target.tld3., all on net.10.1, and the
    delegation of dead.tld2. to net.14.1 and net.14.2. `delegations` and
    `records` (zone -> list) add to a zone's delegations and records."""
    delegations, records = delegations or {}, records or {}
    targets = f"{net}.10.1"

    def leaf(origin, *lines):
        server = [(f"ns.{origin}", targets)]
        return zone_text(origin, server, delegations.get(origin, ()), list(lines) + records.get(origin, []))

    def child(origin):
        return (origin, [(f"ns.{origin}", targets)], 3600)

    def tld(origin, children):
        return zone_text(origin, tld_servers(net, origin), children + delegations.get(origin, []))

    tlds = ["tld1.", "tld2.", "tld3."]
    return {
        ".": zone_text(".", [("a.root.", f"{net}.0.1")], soa_ttl=86400, apex_ttl=518400, minimum=86400,
                       delegations=[(t, tld_servers(net, t), 172800) for t in tlds] + delegations.get(".", [])),
        "tld1.": tld("tld1.", [child("secure.tld1."), child("broken.tld1.")]),
        "tld2.": tld("tld2.", [child("unsigned.tld2."),
                               ("dead.tld2.", [("ns1.dead.tld2.", f"{net}.14.1"),
                                               ("ns2.dead.tld2.", f"{net}.14.2")], 3600)]),
        "tld3.": tld("tld3.", [child("target.tld3.")]),
        "secure.tld1.": leaf("secure.tld1.", "www.secure.tld1. 600 IN A 192.0.2.1",
                             "alias.secure.tld1. 300 IN CNAME www.unsigned.tld2."),
        "broken.tld1.": leaf("broken.tld1.", "www.broken.tld1. 600 IN A 192.0.2.3"),
        "unsigned.tld2.": leaf("unsigned.tld2.", "www.unsigned.tld2. 900 IN A 192.0.2.2"),
        "target.tld3.": leaf("target.tld3.", "www.target.tld3. 600 IN A 192.0.2.5"),
    }


ZONES = {
    **common_zones("127.53", delegations={
        "tld1.": [("expired.tld1.", [("ns.expired.tld1.", "127.53.10.1")], 3600)],
        "secure.tld1.": [("sub.secure.tld1.", [("ns.secure.tld1.", None)], 3600)]}),
    "sub.secure.tld1.": zone_text("sub.secure.tld1.", [("ns.secure.tld1.", None)],
                                  records=["www.sub.secure.tld1. 600 IN A 192.0.2.6"]),
    "expired.tld1.": zone_text("expired.tld1.", [("ns.expired.tld1.", "127.53.10.1")],
                               records=["www.expired.tld1. 600 IN A 192.0.2.4"]),
}

# Children signed before their parents, so each parent gets the child's DS.
SIGNING_ORDER = ["sub.secure.tld1.", "secure.tld1.", "broken.tld1.", "expired.tld1.", "target.tld3.",
                 "tld1.", "tld2.", "tld3.", "."]
UNSIGNED = {"unsigned.tld2."}
PARENT = {"sub.secure.tld1.": "secure.tld1.", "secure.tld1.": "tld1.", "broken.tld1.": "tld1.", "expired.tld1.": "tld1.",
          "target.tld3.": "tld3.", "tld1.": ".", "tld2.": ".", "tld3.": "."}

# address -> zone files it serves (".expired" = the copy with expired signatures)
SERVERS = {
    "127.53.0.1": ["."],
    "127.53.1.1": ["tld1."],
    "127.53.1.2": ["tld1..expired"],
    "127.53.2.1": ["tld2."],
    "127.53.2.2": ["tld2."],
    "127.53.3.1": ["tld3..expired"],
    "127.53.3.2": ["tld3..expired"],
    "127.53.10.1": ["secure.tld1.", "sub.secure.tld1.", "broken.tld1.", "expired.tld1.", "unsigned.tld2.", "target.tld3."],
}


@dataclasses.dataclass
class Layout:
    """What a hierarchy holds and where it is served; DEFAULT is the one above.
    Other suites (tests/flatten-e2e) build their own on other addresses."""

    zones: dict            # origin -> zone text (the DS of signed children is appended)
    signing_order: list    # children before parents; the root last
    parent: dict           # signed child -> parent that gets its DS
    unsigned: set          # zones served unsigned (no keys, no DS)
    servers: dict          # address -> zone entries; "zone..expired" = the expired copy
    root_address: str = "127.53.0.1"
    unbound_port: int = UNBOUND_PORT
    nsec3_optout: set = dataclasses.field(default_factory=lambda: {"tld2."})
    corrupt: list = dataclasses.field(  # (zone, owner, type) whose RRSIG gets one bad character
        default_factory=lambda: [("broken.tld1.", "www.broken.tld1.", "A")])
    expired_only: set = dataclasses.field(default_factory=lambda: {"expired.tld1."})
    workdir_prefix: str = "flatns-resolver-e2e-"


DEFAULT = Layout(ZONES, SIGNING_ORDER, PARENT, UNSIGNED, SERVERS)


def _file(zone):
    return "root" if zone == "." else zone.rstrip(".")


def _run(cmd, cwd):
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _corrupt_rrsig(path, owner, covered):
    """Changes one base64 character inside the signature of owner's RRSIG(covered)."""
    lines = open(path).read().splitlines()
    for i, line in enumerate(lines):
        f = line.split()
        if len(f) > 5 and f[0] == owner and f[3] == "RRSIG" and f[4] == covered:
            sig = f[-1]
            mid = len(sig) // 2
            f[-1] = sig[:mid] + ("B" if sig[mid] != "B" else "C") + sig[mid + 1:]
            lines[i] = "\t".join(f)
            open(path, "w").write("\n".join(lines) + "\n")
            return
    raise RuntimeError(f"no RRSIG {covered} for {owner} in {path}")


def _key_pair(zone, workdir):
    """A KSK and a ZSK for `zone` (ldns-keygen; their file basenames).

    Two keys can have the same key tag (a 16-bit checksum, 1 in 65,536): the
    ZSK's files, named by the tag, then overwrite the KSK's while the KSK's
    .ds stays, and the zone's DS matches no DNSKEY. Such a pair is made anew."""
    for _ in range(5):
        ksk = subprocess.run(["ldns-keygen", "-a", "ECDSAP256SHA256", "-k", zone], cwd=workdir,
                             check=True, capture_output=True, text=True).stdout.strip()
        zsk = subprocess.run(["ldns-keygen", "-a", "ECDSAP256SHA256", zone], cwd=workdir,
                             check=True, capture_output=True, text=True).stdout.strip()
        if zsk != ksk:
            return ksk, zsk
        for suffix in (".key", ".private", ".ds"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(workdir, ksk + suffix))
    raise RuntimeError(f"ldns-keygen gave {zone} two keys with one tag five times")


def build(workdir, layout=DEFAULT):
    """Writes, signs and returns the paths of the hierarchy's zone files."""
    for zone, text in layout.zones.items():
        with open(os.path.join(workdir, _file(zone) + ".zone"), "w") as f:
            f.write(text.lstrip())
    for zone in layout.signing_order:
        name = _file(zone)
        ksk, zsk = _key_pair(zone, workdir)
        zfile = name + ".zone"
        opts = ["-o", zone]
        if zone in layout.nsec3_optout:
            opts = ["-n", "-p", "-t", "0"] + opts  # NSEC3 opt-out (RFC 5155 §6)
        _run(["ldns-signzone"] + opts + ["-f", zfile + ".signed", zfile, zsk, ksk], workdir)
        _run(["ldns-signzone"] + opts + ["-i", EXPIRED[0], "-e", EXPIRED[1],
                                         "-f", zfile + ".expired", zfile, zsk, ksk], workdir)
        ds = open(os.path.join(workdir, ksk + ".ds")).read()
        if zone in layout.parent:
            with open(os.path.join(workdir, _file(layout.parent[zone]) + ".zone"), "a") as f:
                f.write(ds)
        else:
            with open(os.path.join(workdir, "root.ds"), "w") as f:
                f.write(ds)
    for zone, owner, covered in layout.corrupt:
        _corrupt_rrsig(os.path.join(workdir, _file(zone) + ".zone.signed"), owner, covered)
    for zone in layout.expired_only:  # served only in its expired form
        shutil.copy(os.path.join(workdir, _file(zone) + ".zone.expired"),
                    os.path.join(workdir, _file(zone) + ".zone.signed"))
    with open(os.path.join(workdir, "root.hints"), "w") as f:
        f.write(f". 3600000 NS a.root.\na.root. 3600000 A {layout.root_address}\n")


def _zone_path(entry, layout=DEFAULT):
    if entry.endswith("..expired"):
        zone = entry[: -len(".expired")]
        return zone, _file(zone) + ".zone.expired"
    if entry in layout.unsigned:
        return entry, _file(entry) + ".zone"
    return entry, _file(entry) + ".zone.signed"


def _wait_udp(host, port, qname, timeout=30.0):  # NSD starts slowly on a loaded machine
    end = time.time() + timeout
    while time.time() < end:
        try:
            dns.query.udp(dns.message.make_query(qname, "SOA"), host, port=port, timeout=0.3)
            return
        except Exception:
            time.sleep(0.05)
    raise RuntimeError(f"{host}:{port} did not answer within {timeout} s")


LOCK_WAIT_S = 240.0


def _answers(address):
    """Whether something answers DNS on address:53 (a connected socket learns
    at once, from the ICMP error, that nothing listens)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.3)
        try:
            s.connect((address, 53))
            s.send(dns.message.make_query(".", "SOA").to_wire())
            s.recv(65535)
            return True
        except OSError:  # refused, or silence
            return False


class Hierarchy:
    """Context manager: builds the hierarchy, starts NSD and Unbound, stops them.

    The addresses are fixed, and every worktree on the machine may run the same
    suite: a lock file per layout makes concurrent runs take turns instead of
    failing to bind (waiting up to LOCK_WAIT_S)."""

    def __init__(self, layout=DEFAULT):
        self.layout = layout
        self.dir = tempfile.mkdtemp(prefix=layout.workdir_prefix)
        self.procs = []
        self.lock = None

    def _lock(self):
        path = os.path.join(tempfile.gettempdir(), self.layout.workdir_prefix + "lock")
        self.lock = open(path, "w")
        end = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                # A copy of a suite from before the lock may still run here.
                if not _answers(self.layout.root_address):
                    return
                fcntl.flock(self.lock, fcntl.LOCK_UN)
                if time.monotonic() > end:
                    raise RuntimeError(f"{self.layout.root_address}:53 is served by another run "
                                       f"for over {LOCK_WAIT_S:.0f} s")
                time.sleep(0.5)
            except BlockingIOError:
                if time.monotonic() > end:
                    raise RuntimeError(f"another run holds {path} (its hierarchy's addresses) "
                                       f"for over {LOCK_WAIT_S:.0f} s")
                time.sleep(0.5)

    def __enter__(self):
        try:
            self._lock()
            build(self.dir, self.layout)
            for addr, entries in self.layout.servers.items():
                self._start_nsd(addr, entries)
            self._start_unbound()
            for addr, entries in self.layout.servers.items():
                _wait_udp(addr, 53, _zone_path(entries[0], self.layout)[0])
            _wait_udp("127.0.0.1", self.layout.unbound_port, ".")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.lock:
            self.lock.close()  # releases the flock
            self.lock = None

    def _start_nsd(self, addr, entries):
        conf = os.path.join(self.dir, f"nsd-{addr}.conf")
        zones = ""
        for entry in entries:
            zone, path = _zone_path(entry, self.layout)
            zones += f'zone:\n  name: "{zone}"\n  zonefile: "{os.path.join(self.dir, path)}"\n'
        with open(conf, "w") as f:
            f.write(f"""server:
  ip-address: {addr}
  port: 53
  username: ""
  chroot: ""
  zonesdir: "{self.dir}"
  pidfile: "{self.dir}/nsd-{addr}.pid"
  database: ""
  xfrdfile: "{self.dir}/xfrd-{addr}.state"
  zonelistfile: "{self.dir}/zonelist-{addr}"
  logfile: "{self.dir}/nsd-{addr}.log"
  server-count: 1
  verbosity: 0
  do-ip6: no
remote-control:
  control-enable: no
{zones}""")
        self.procs.append(subprocess.Popen(["nsd", "-d", "-c", conf], stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL))

    def _start_unbound(self):
        conf = os.path.join(self.dir, "unbound.conf")
        with open(conf, "w") as f:
            f.write(f"""server:
  interface: 127.0.0.1@{self.layout.unbound_port}
  port: {self.layout.unbound_port}
  do-ip6: no
  do-not-query-localhost: no
  username: ""
  chroot: ""
  directory: "{self.dir}"
  pidfile: ""
  use-syslog: no
  logfile: "{self.dir}/unbound.log"
  verbosity: 1
  num-threads: 1
  so-reuseport: no
  root-hints: "{self.dir}/root.hints"
  trust-anchor-file: "{self.dir}/root.ds"
  access-control: 127.0.0.0/8 allow
  ede: yes
  val-log-level: 2
  module-config: "validator iterator"
remote-control:
  control-enable: no
""")
        self.procs.append(subprocess.Popen(["unbound", "-d", "-c", conf], stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL))

    def flatns_config(self, deadline_ms=1200, forward=False, extra=""):
        """A flatns config: recursive from the hierarchy's root, or forwarding
        to Unbound (which answers CD=1 queries without validating: flatns
        validates from the same trust anchor). `extra`: more resolver keys."""
        tag = f"{deadline_ms}-{'fwd' if forward else 'rec'}-{abs(hash(extra))}"
        path = os.path.join(self.dir, f"flatns-{tag}.yaml")
        resolver = (f"""  mode: forward
  forwarders: ["127.0.0.1:{self.layout.unbound_port}"]
""" if forward else f"""  root_hints: ["{self.layout.root_address}"]
""") + f"""  trust_anchors: {self.dir}/root.ds
""" + "".join(f"  {line}\n" for line in extra.splitlines() if line.strip())
        with open(path, "w") as f:
            f.write(f"""server:
  listen: ["127.0.0.1:24054"]
zones: []
resolver:
{resolver}flatten:
  deadline_ms: {deadline_ms}
""")
        return path
