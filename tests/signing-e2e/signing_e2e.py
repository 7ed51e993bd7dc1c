"""What the online-signing end-to-end tests of this folder share: the test
zone signed.test., flatns and Unbound started on 127.0.0.1 in a temporary
folder, the trust anchor taken from `flatns ds`, validation through Unbound
and delv, key files made with `flatns keygen` and their BIND timing fields
rewritten (as dnssec-settime does), and the checks' reporting.

Each test passes its own port range to free_ports() (see CMakeLists.txt).
"""
import os
import re
import shutil
import socket
import subprocess
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

ZONE = """$ORIGIN signed.test.
$TTL 3600
@        IN SOA  ns1 hostmaster 2026120401 7200 3600 1209600 300
@        IN NS   ns1
@        IN MX   10 mail
@        IN TXT  "flattened apex"
@        IN CNAME web
ns1      IN A    192.0.2.53
mail     IN A    192.0.2.25
web      IN A    192.0.2.80
web      IN AAAA 2001:db8::80
v4only   IN A    192.0.2.4
four     IN CNAME v4only
host.ent IN A    192.0.2.7
*.wild   IN A    192.0.2.100
sub      IN NS   ns.sub
ns.sub   IN A    192.0.2.201
"""

# (name, type, expectation): "answer" = records of that type, "nodata" =
# NOERROR and none, "nxdomain" = NXDOMAIN or (compact denial) NOERROR and
# none, "NXDOMAIN" = NXDOMAIN and none.
CASES = [
    ("signed.test.", "A", "answer"),
    ("signed.test.", "AAAA", "answer"),
    ("signed.test.", "MX", "answer"),
    ("signed.test.", "TXT", "answer"),
    ("signed.test.", "CNAME", "nodata"),
    ("four.signed.test.", "A", "answer"),
    ("four.signed.test.", "AAAA", "nodata"),
    ("nope.signed.test.", "A", "nxdomain"),
    ("deeper.nope.signed.test.", "AAAA", "nxdomain"),
    ("ent.signed.test.", "A", "nodata"),
    ("x.wild.signed.test.", "A", "answer"),
    ("y.z.wild.signed.test.", "A", "answer"),
    ("x.wild.signed.test.", "MX", "nodata"),
    ("wild.signed.test.", "A", "nodata"),
    ("sub.signed.test.", "DS", "nodata"),
    ("signed.test.", "DNSKEY", "answer"),
    ("signed.test.", "CDS", "answer"),
    ("signed.test.", "CDNSKEY", "answer"),
]


class Checks:
    """Prints each check as ok/FAIL and keeps the failures."""

    def __init__(self):
        self.failures = []

    def expect(self, ok, line):
        print(("ok   " if ok else "FAIL ") + line)
        if not ok:
            self.failures.append(line)
        return ok

    def exit_code(self):
        print(f"{len(self.failures)} failures")
        return 1 if self.failures else 0


def missing_tool(*tools):
    """The first of `tools` found neither in PATH nor in /usr/sbin, or None."""
    for tool in tools:
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            return tool
    return None


def free_ports(n, lo, hi):
    ports = []
    for port in range(lo, hi):
        try:
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(socket.AF_INET, kind)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", port))
                s.close()
        except OSError:
            continue
        ports.append(port)
        if len(ports) == n:
            return ports
    raise SystemExit(f"no free ports in 127.0.0.1:{lo}-{hi - 1}")


def wait_udp(port, qname="signed.test.", timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        try:
            dns.query.udp(dns.message.make_query(qname, "SOA"), "127.0.0.1", port=port, timeout=0.5)
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"nothing answers on 127.0.0.1:{port}")


def start_flatns(binary, workdir, name, port, keys, denial=None, zone=ZONE, zone_lines=(), top_lines=()):
    """flatns serving signed.test. (`zone`) signed online with the keys in
    workdir/`keys`; `zone_lines` are added to the zone's entry, `top_lines`
    to the config (a `keys:` section holding a TSIG secret makes the file
    mode 0600)."""
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, "signed.test.zone"), "w") as f:
        f.write(zone)
    cfg = os.path.join(workdir, f"{name}.yaml")
    extra = f"\n      denial: {denial}" if denial else ""
    extra += "".join(f"\n    {line}" for line in zone_lines)
    with open(cfg, "w") as f:
        os.chmod(cfg, 0o600)
        f.write(f"""server:
  listen: ["127.0.0.1:{port}"]
  workers: 1
zones:
  - name: signed.test
    file: signed.test.zone
    flatten: all
    dnssec:
      signing: online
      keys: {keys}{extra}
resolver:
  mode: forward
  forwarders: ["127.0.0.1:9"]
""" + "".join(line + "\n" for line in top_lines))
    log = open(os.path.join(workdir, f"{name}.log"), "w")
    proc = subprocess.Popen([binary, "serve", "-c", cfg], stdout=log, stderr=subprocess.STDOUT)
    wait_udp(port)
    return proc, cfg


def write_anchor(flatns, cfg, workdir, zone="signed.test"):
    """The DS `flatns ds` prints for `zone`, written as Unbound's
    trust-anchor-file and as delv's trust-anchors clause; their paths."""
    ds = subprocess.run([flatns, "ds", "-c", cfg, zone], capture_output=True, text=True,
                        check=True).stdout.strip()
    print("DS:", ds)
    anchor = os.path.join(workdir, "anchor.ds")
    with open(anchor, "w") as f:
        f.write(ds + "\n")
    tag, alg, digest_type, digest = ds.split()[4:8]
    anchor_conf = os.path.join(workdir, "anchor.conf")
    with open(anchor_conf, "w") as f:
        f.write(f'trust-anchors {{ {zone}. static-ds {tag} {alg} {digest_type} "{digest}"; }};\n')
    return anchor, anchor_conf


def start_unbound(workdir, name, port, flatns_port, anchor, zone="signed.test"):
    """Unbound validating `zone` from `anchor`, with a stub-zone to flatns."""
    parent = zone.split(".", 1)[1]
    conf = os.path.join(workdir, f"{name}.conf")
    with open(conf, "w") as f:
        f.write(f"""server:
  interface: 127.0.0.1
  port: {port}
  do-not-query-localhost: no
  username: ""
  chroot: ""
  directory: "{workdir}"
  pidfile: "{workdir}/{name}.pid"
  use-syslog: no
  logfile: "{workdir}/{name}.log"
  verbosity: 1
  val-log-level: 2
  trust-anchor-file: "{anchor}"
  module-config: "validator iterator"
  qname-minimisation: no
  local-zone: "{parent}." nodefault
stub-zone:
  name: "{zone}"
  stub-addr: 127.0.0.1@{flatns_port}
""")
    subprocess.run(["unbound-checkconf", conf], check=True, capture_output=True)
    proc = subprocess.Popen(["unbound", "-d", "-c", conf], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_udp(port, zone + ".")
    return proc


def stop(procs):
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


def print_logs(workdir, names):
    for name in names:
        path = os.path.join(workdir, name)
        if os.path.exists(path):
            print(f"--- {name}\n" + open(path, errors="replace").read()[-3000:])


def clean_up(workdir, procs, failures, logs):
    """Stops `procs`, prints the `logs` in `workdir` when a check failed,
    and removes `workdir`."""
    stop(procs)
    if failures:
        print_logs(workdir, logs)
    shutil.rmtree(workdir, ignore_errors=True)


def ask(port, qname, qtype):
    q = dns.message.make_query(qname, qtype, want_dnssec=True)
    q.flags |= dns.flags.AD
    return dns.query.udp(q, "127.0.0.1", port=port, timeout=5)


def check_unbound(port, cases=CASES):
    failures = []
    for name, qtype, want in cases:
        r = ask(port, name, qtype)
        rtype = dns.rdatatype.from_text(qtype)
        answers = [rr for rr in r.answer if rr.rdtype == rtype]
        rcode = r.rcode()
        ok = bool(r.flags & dns.flags.AD)
        if want == "answer":
            ok = ok and rcode == dns.rcode.NOERROR and answers
        elif want == "nodata":
            ok = ok and rcode == dns.rcode.NOERROR and not answers
        elif want == "NXDOMAIN":
            ok = ok and rcode == dns.rcode.NXDOMAIN and not answers
        else:
            ok = ok and rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN) and not answers
        line = (f"unbound {name} {qtype}: {dns.rcode.to_text(rcode)} AD={int(bool(r.flags & dns.flags.AD))} "
                f"answers={len(answers)}")
        print(("ok   " if ok else "FAIL ") + line)
        if not ok:
            failures.append(line)
    return failures


def check_delv(port, anchor_conf, root="signed.test", cases=CASES):
    failures = []
    for name, qtype, want in cases:
        res = subprocess.run(["delv", "-a", anchor_conf, f"+root={root}", "@127.0.0.1", "-p", str(port),
                              name, qtype], capture_output=True, text=True, timeout=30)
        out = res.stdout + res.stderr
        ok = "fully validated" in out
        print(("ok   " if ok else "FAIL ") + f"delv {name} {qtype}: " + out.splitlines()[0] if out else "")
        if not ok:
            failures.append(f"delv {name} {qtype}: {out.strip()}")
    return failures


def keygen(flatns, keys, *extra, zone="signed.test"):
    """A new key made by `flatns keygen` (a CSK unless `extra` says
    otherwise); its .private path and key tag."""
    out = subprocess.run([flatns, "keygen", zone, keys, *extra], capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    base = out[:-len(".private")] if out.endswith(".private") else out
    return base + ".private", int(re.search(r"\+(\d+)$", base).group(1))


def stamp(t):
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(t))


def set_timing(private, **fields):
    """Sets BIND timing fields (Publish, Activate, Inactive, Delete: Unix
    times) in a .private file, and in its .key where that lists them,
    keeping the files' modes."""
    for path in (private, private[:-len(".private")] + ".key"):
        text = open(path).read()
        for name, t in fields.items():
            text, n = re.subn(rf"^(;?\s*{name}:\s*)\d+", lambda m: m.group(1) + stamp(t), text, flags=re.M)
            if n == 0 and path.endswith(".private"):
                text += f"{name}: {stamp(t)}\n"
        with open(path, "w") as f:
            f.write(text)
