#!/usr/bin/env python3
"""Online signing end to end (issue 14): `flatns serve` signs a zone with a
CSK it makes in an empty keys folder; Unbound, with the DS that `flatns ds`
prints as its trust anchor and a stub-zone to flatns, must validate (AD=1,
no SERVFAIL) the flattened apex A and AAAA (a local target), a flattened
name whose target has no AAAA (signed NODATA), names that do not exist
(compact denial), an empty non-terminal, a wildcard, an unsigned delegation
(its DS NODATA), DNSKEY, CDS and CDNSKEY; delv (bind9-dnsutils), asking
flatns directly with the same DS, must say "fully validated" for each. A
second flatns whose keys are not the ones the DS names must make Unbound
SERVFAIL: the check can fail.

Ports: 127.0.0.1:25400-25499 (the first free ones). Exit 77 when unbound,
unbound-checkconf or delv is missing.
Usage: test_signing_e2e.py --flatns PATH
"""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import dns.flags
import dns.message
import dns.name
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


def free_ports(n, lo=25400, hi=25500):
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


def start_flatns(binary, workdir, name, port, keys, denial=None):
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, "signed.test.zone"), "w") as f:
        f.write(ZONE)
    cfg = os.path.join(workdir, f"{name}.yaml")
    denial_line = f"\n      denial: {denial}" if denial else ""
    with open(cfg, "w") as f:
        f.write(f"""server:
  listen: ["127.0.0.1:{port}"]
  workers: 1
zones:
  - name: signed.test
    file: signed.test.zone
    flatten: all
    dnssec:
      signing: online
      keys: {keys}{denial_line}
resolver:
  mode: forward
  forwarders: ["127.0.0.1:9"]
""")
    log = open(os.path.join(workdir, f"{name}.log"), "w")
    proc = subprocess.Popen([binary, "serve", "-c", cfg], stdout=log, stderr=subprocess.STDOUT)
    wait_udp(port)
    return proc, cfg


def start_unbound(workdir, name, port, flatns_port, anchor):
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
  local-zone: "test." nodefault
stub-zone:
  name: "signed.test"
  stub-addr: 127.0.0.1@{flatns_port}
""")
    subprocess.run(["unbound-checkconf", conf], check=True, capture_output=True)
    proc = subprocess.Popen(["unbound", "-d", "-c", conf], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_udp(port)
    return proc


def ask(port, qname, qtype):
    q = dns.message.make_query(qname, qtype, want_dnssec=True)
    q.flags |= dns.flags.AD
    return dns.query.udp(q, "127.0.0.1", port=port, timeout=5)


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
        line = f"unbound {name} {qtype}: {dns.rcode.to_text(rcode)} AD={int(bool(r.flags & dns.flags.AD))} answers={len(answers)}"
        print(("ok   " if ok else "FAIL ") + line)
        if not ok:
            failures.append(line)
    return failures


CO = 0x4000  # EDNS header flag "compact answers OK" (RFC 9824 §4)


def nsec_types(r, owner):
    """The types in the bitmap of the NSEC at `owner` in authority, or None."""
    for rrset in r.authority:
        if rrset.rdtype == dns.rdatatype.NSEC and rrset.name == dns.name.from_text(owner):
            # dnspython before 2.5 writes NXNAME (128) as TYPE128
            return {"NXNAME" if t == "TYPE128" else t for t in rrset[0].to_text().split()[1:]}
    return None


def check_direct(port):
    """RFC 9824 details asked of flatns itself: NXNAME queries, the CO flag,
    and the bitmap at a flattened name (A/AAAA as the target has them,
    whatever the type asked)."""
    failures = []

    def expect(ok, line):
        print(("ok   " if ok else "FAIL ") + line)
        if not ok:
            failures.append(line)

    def direct(name, qtype, compact_ok=False):
        q = dns.message.make_query(name, qtype, want_dnssec=True, payload=1232)
        if compact_ok:
            q.ednsflags |= CO
        return dns.query.udp(q, "127.0.0.1", port=port, timeout=5)

    r = direct("signed.test.", 128)
    expect(r.rcode() == dns.rcode.FORMERR, f"NXNAME query: {dns.rcode.to_text(r.rcode())} (want FORMERR)")
    r = direct("nope.signed.test.", "A")
    types = nsec_types(r, "nope.signed.test.")
    expect(r.rcode() == dns.rcode.NOERROR and types == {"RRSIG", "NSEC", "NXNAME"},
           f"compact NXDOMAIN without CO: {dns.rcode.to_text(r.rcode())} NSEC types {types}")
    r = direct("nope.signed.test.", "A", compact_ok=True)
    types = nsec_types(r, "nope.signed.test.")
    expect(r.rcode() == dns.rcode.NXDOMAIN and types == {"RRSIG", "NSEC", "NXNAME"},
           f"compact NXDOMAIN with CO: {dns.rcode.to_text(r.rcode())} NSEC types {types}")
    for qtype in ("AAAA", "MX", "TXT", "CNAME"):
        r = direct("four.signed.test.", qtype)
        types = nsec_types(r, "four.signed.test.")
        expect(types == {"A", "RRSIG", "NSEC"},
               f"flattened four.signed.test. (target A only) {qtype} NODATA: NSEC types {types} (want A RRSIG NSEC)")
    for qtype in ("CNAME", "SRV"):
        r = direct("signed.test.", qtype)
        types = nsec_types(r, "signed.test.")
        expect(types is not None and {"A", "AAAA"} <= types,
               f"flattened apex (target A and AAAA) {qtype} NODATA: NSEC types {types}")
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flatns", required=True)
    args = ap.parse_args()
    for tool in ("unbound", "unbound-checkconf", "delv"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} not found")
            return 77
    work = tempfile.mkdtemp(prefix="flatns-signing-e2e-")
    procs = []
    failures = []
    try:
        flatns_port, unbound_port, wrong_port, unbound2_port = free_ports(4, 25400, 25440)
        proc, cfg = start_flatns(args.flatns, work, "flatns", flatns_port, "keys")
        procs.append(proc)
        keys = os.listdir(os.path.join(work, "keys"))
        private = [k for k in keys if k.endswith(".private")]
        assert len(private) == 1, keys
        assert oct(os.stat(os.path.join(work, "keys", private[0])).st_mode & 0o777) == "0o600"
        ds = subprocess.run([args.flatns, "ds", "-c", cfg, "signed.test"], capture_output=True, text=True,
                            check=True).stdout.strip()
        print("DS:", ds)
        anchor = os.path.join(work, "anchor.ds")
        with open(anchor, "w") as f:
            f.write(ds + "\n")
        tag, alg, digest_type, digest = ds.split()[4:8]
        anchor_conf = os.path.join(work, "anchor.conf")
        with open(anchor_conf, "w") as f:
            f.write(f'trust-anchors {{ signed.test. static-ds {tag} {alg} {digest_type} "{digest}"; }};\n')
        procs.append(start_unbound(work, "unbound", unbound_port, flatns_port, anchor))
        failures += check_unbound(unbound_port)
        failures += check_delv(flatns_port, anchor_conf)
        failures += check_direct(flatns_port)

        # A signer with other keys: the DS does not match, Unbound must SERVFAIL.
        os.makedirs(os.path.join(work, "wrong"), exist_ok=True)
        subprocess.run([args.flatns, "keygen", "signed.test", os.path.join(work, "wrong", "keys")], check=True,
                       capture_output=True)
        proc2, _ = start_flatns(args.flatns, os.path.join(work, "wrong"), "wrong", wrong_port, "keys")
        procs.append(proc2)
        procs.append(start_unbound(work, "unbound2", unbound2_port, wrong_port, anchor))
        r = ask(unbound2_port, "signed.test.", "A")
        line = f"unbound with the wrong key: signed.test A: {dns.rcode.to_text(r.rcode())}"
        print(("ok   " if r.rcode() == dns.rcode.SERVFAIL else "FAIL ") + line)
        if r.rcode() != dns.rcode.SERVFAIL:
            failures.append(line)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if failures:
            for name in ("flatns.log", "unbound.log"):
                path = os.path.join(work, name)
                if os.path.exists(path):
                    print(f"--- {name}\n" + open(path).read()[-3000:])
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
