"""The three clients the tests ask flatns with -- dnspython (through
tests/dnssec/dnsquery.py), kdig and dig -- each reduced to one Reply, so a
check is written once and run with every client over UDP and TCP.
"""

import dataclasses
import re
import subprocess
import time

import dns.edns
import dns.flags
import dns.rcode
import dns.rdatatype

import dnsquery  # tests/dnssec (world.py puts it on sys.path)

CLIENT_TIMEOUT_S = 4  # well past flatten.deadline_ms: the server must answer first


@dataclasses.dataclass
class Reply:
    client: str                      # e.g. "dnspython/udp", "kdig/tcp"
    rcode: str = ""
    aa: bool = False
    answer: list = dataclasses.field(default_factory=list)     # (owner, ttl, type, rdata)
    authority: list = dataclasses.field(default_factory=list)  # (owner, ttl, type, rdata)
    ede: list = dataclasses.field(default_factory=list)        # (code, extra text)
    elapsed_ms: float = 0.0
    error: str = ""                  # no answer
    raw: str = ""

    def ede_codes(self):
        return [code for code, _ in self.ede]

    def ede_text(self):
        return " | ".join(text for _, text in self.ede)

    def __str__(self):
        if self.error:
            return f"{self.client}: {self.error}"
        return (f"{self.client}: {self.rcode} aa={int(self.aa)} answer={self.answer} "
                f"authority={self.authority} ede={self.ede} in {self.elapsed_ms:.0f} ms")


def _rrs(section):
    out = []
    for rrset in section:
        for rd in rrset:
            out.append((rrset.name.to_text(), rrset.ttl, dns.rdatatype.to_text(rrset.rdtype),
                        rd.to_text()))
    return sorted(out)


def ask_dnspython(port, name, rdtype, tcp=False):
    query = dnsquery.make_query(name, rdtype, do=False, payload=1232)
    start = time.monotonic()
    outcome = dnsquery.ask(port, query, tcp=tcp, timeout=CLIENT_TIMEOUT_S)
    reply = Reply(f"dnspython/{'tcp' if tcp else 'udp'}", elapsed_ms=(time.monotonic() - start) * 1000)
    m = outcome.message
    if m is None:
        reply.error = outcome.error
        return reply
    reply.rcode = dns.rcode.to_text(m.rcode())
    reply.aa = bool(m.flags & dns.flags.AA)
    reply.answer = _rrs(m.answer)
    reply.authority = _rrs(m.authority)
    reply.ede = [(o.code, o.text or "") for o in m.options if o.otype == dns.edns.EDE]
    reply.raw = m.to_text()
    return reply


_SECTION = re.compile(r"^;; (ANSWER|AUTHORITY|ADDITIONAL) SECTION:", re.M)


def _parse_tool_output(reply, text):
    status = re.search(r"status: (\w+)", text)
    if not status:
        reply.error = "no answer: " + " ".join(text.split())[:300]
        return reply
    reply.rcode = status.group(1)
    flags = re.search(r";; flags: ([a-z ]*);", text, re.I)
    reply.aa = bool(flags) and "aa" in flags.group(1).split()
    # dig:  "; EDE: 22 (No Reachable Authority): (text)"
    # kdig: ";; EDE: 22 (No Reachable Authority): 'text'"
    for m in re.finditer(r"^;+ EDE: (\d+)(?: \([^)]*\))?(?:: (.*))?$", text, re.M):
        extra = (m.group(2) or "").strip()
        if len(extra) >= 2 and extra[0] + extra[-1] in ("()", "''", '""'):
            extra = extra[1:-1]
        reply.ede.append((int(m.group(1)), extra))
    sections = {}
    for m in _SECTION.finditer(text):
        body = text[m.end():].split("\n\n")[0]
        rows = []
        for line in body.strip().splitlines():
            f = line.split(None, 4)
            if line.startswith(";") or len(f) < 5:
                continue
            rows.append((f[0], int(f[1]), f[3], f[4].strip()))
        sections[m.group(1)] = sorted(rows)
    # the tool's own measure, without its start-up: dig "Query time: 12 msec",
    # kdig "From 127.0.0.1@25200(UDP) in 12.3 ms"
    took = re.search(r"Query time: (\d+) msec|\) in ([\d.]+) ms", text)
    if took:
        reply.elapsed_ms = float(took.group(1) or took.group(2))
    reply.answer = sections.get("ANSWER", [])
    reply.authority = sections.get("AUTHORITY", [])
    return reply


def ask_tool(tool, port, name, rdtype, tcp=False):
    """tool is "kdig" or "dig"; EDNS on (EDE needs it), RD off, one try."""
    cmd = [tool, "@127.0.0.1", "-p", str(port), name, rdtype, "+norecurse",
           f"+time={CLIENT_TIMEOUT_S}", "+retry=0"]
    cmd += ["+edns=0"] if tool == "kdig" else ["+edns=0", "+nocookie"]
    if tcp:
        cmd.append("+tcp")
    start = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=CLIENT_TIMEOUT_S + 5)
    reply = Reply(f"{tool}/{'tcp' if tcp else 'udp'}", elapsed_ms=(time.monotonic() - start) * 1000,
                  raw=p.stdout + p.stderr)
    return _parse_tool_output(reply, p.stdout + p.stderr)


def ask(client, port, name, rdtype, tcp=False):
    if client == "dnspython":
        return ask_dnspython(port, name, rdtype, tcp)
    return ask_tool(client, port, name, rdtype, tcp)


# Every (client, transport) a scenario is asked with.
ALL = [("dnspython", False), ("dnspython", True), ("kdig", False), ("kdig", True),
       ("dig", False), ("dig", True)]
