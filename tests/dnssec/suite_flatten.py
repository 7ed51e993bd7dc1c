"""Flattening cannot work in a pre-signed zone (flatns holds no keys to sign the
synthesised A/AAAA), so a signed zone whose config asks to flatten a name in it
must be refused at load, with a message naming the zone (a line that names it
and says flatten, sign, RRSIG or DNSSEC).

Cases, on the signed test hierarchy (rsa.test. holds the CNAMEs chain1, chain2,
dangling, ext and the wildcard *.cw):
  1. control: rsa.test. with `flatten: off` loads and answers its SOA (AA), so
     the refusal below is about flattening, not about signed zones;
  2. `flatten: all` on rsa.test.: `flatns check-config` exits non-zero and names
     rsa.test.;
  3. the same config under `flatns serve`: either the server exits non-zero
     naming rsa.test., or it keeps running, logs an error naming rsa.test. and
     does not serve the zone (no NOERROR+AA answer for its SOA).
"""

from __future__ import annotations

import os
import subprocess
import time

import dns.flags
import dns.rcode

import dnsquery
import fixture
import servers

ZONE = "rsa.test."


def _mentions_zone(text: str, workdir: str) -> bool:
    """A line names the zone and says why: flattening against its signatures
    (file paths are left out: the temporary folder's name says "flatten")."""
    why = ("flatten", "sign", "rrsig", "dnssec")
    for line in text.replace(workdir, "").splitlines():
        if (ZONE in line or ZONE.rstrip(".") in line) and any(w in line.lower() for w in why):
            return True
    return False


def _write_config(workdir: str, port: int, path: str, flatten: str) -> str:
    config = os.path.join(workdir, f"flatten-{flatten}.yaml")
    with open(config, "w") as out:
        out.write(servers.flatns_config(port, [(ZONE, path)], flatten))
    return config


def _control(args, workdir: str, path: str) -> str:
    try:
        with servers.Flatns(workdir, args.port, [(ZONE, path)], args.flatns, flatten="off"):
            outcome = dnsquery.ask(args.port, dnsquery.make_query(ZONE, "SOA"))
    except servers.ServerError as e:
        return f"flatten: off on the signed zone did not load: {e}"
    m = outcome.message
    if m is None or m.rcode() != dns.rcode.NOERROR or not m.flags & dns.flags.AA or not m.answer:
        return f"flatten: off on the signed zone: {ZONE} SOA not answered: {dnsquery.short(outcome)}"
    return ""


def _check_config(args, workdir: str, path: str) -> str:
    config = _write_config(workdir, args.port + 1, path, "all")
    try:
        done = subprocess.run([args.flatns, "check-config", "-c", config], capture_output=True,
                              text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"flatns check-config could not run: {e}"
    output = done.stdout + done.stderr
    if done.returncode == 0:
        return f"check-config accepted flatten: all on signed {ZONE} (exit 0): {output.strip()[:300]!r}"
    if not _mentions_zone(output, workdir):
        return f"check-config exit {done.returncode} without naming {ZONE}: {output.strip()[:300]!r}"
    return ""


def _serve(args, workdir: str, path: str) -> str:
    server = servers.Flatns(workdir, args.port + 2, [(ZONE, path)], args.flatns, flatten="all")
    server.write_config()
    with open(server.log, "ab") as log:
        try:
            proc = subprocess.Popen(server.command(), stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True, cwd=workdir)
        except OSError as e:
            return f"flatns serve could not start: {e}"
    server.proc = proc
    try:
        deadline = time.monotonic() + 3.0
        served = False
        while time.monotonic() < deadline and proc.poll() is None:
            outcome = dnsquery.ask(server.port, dnsquery.make_query(ZONE, "SOA"), timeout=0.3)
            m = outcome.message
            if m is not None:
                served = m.rcode() == dns.rcode.NOERROR and bool(m.flags & dns.flags.AA)
                break
            time.sleep(0.05)
        log_text = server.log_text()
        if proc.poll() is not None:
            if proc.returncode == 0:
                return f"serve exited 0 with flatten: all on signed {ZONE}: {log_text.strip()[:300]!r}"
            if not _mentions_zone(log_text, workdir):
                return f"serve exited {proc.returncode} without naming {ZONE}: {log_text.strip()[:300]!r}"
            return ""
        if served:
            return f"serve answers {ZONE} SOA authoritatively with flatten: all (zone not refused)"
        if not _mentions_zone(log_text, workdir):
            return f"serve runs, does not serve {ZONE}, but its log does not name it: {log_text.strip()[:300]!r}"
        return ""
    finally:
        server.stop()


def run(args, workdir: str) -> bool:
    hierarchy = fixture.build_hierarchy(workdir)
    path = hierarchy.zone(ZONE).path
    cases = [("control: flatten off loads", _control), ("check-config refuses", _check_config),
             ("serve refuses", _serve)]
    matched = 0
    control_problem = ""
    for label, case in cases:
        problem = case(args, workdir, path)
        if case is _control:
            control_problem = problem
        elif case is _serve and not problem and control_problem:
            problem = "not judged: the control case failed, so 'not served' proves nothing"
        if problem:
            print(f"MISMATCH {label}: {problem}")
        else:
            matched += 1
    print(f"flatten refused in a pre-signed zone: {matched} of {len(cases)} cases match")
    return matched == len(cases)
