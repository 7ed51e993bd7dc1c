"""Queries over loopback with dnspython, and answers turned into comparable text.

`ask` sends one query on UDP (or TCP) and returns the parsed response together
with its size on the wire, or an Outcome saying why there is none.
`describe` reduces a response to what two servers must agree on: rcode, header
flags, EDNS version and DO bit, and each section as sorted RR lines
(RRSIG, NSEC and NSEC3 included, each RR on its own line).
"""

from __future__ import annotations

import dataclasses
import socket
import struct

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

# How many mismatch reports a suite prints (run.py --all-mismatches lifts it).
MAX_PRINTED = 25

DNSSEC_TYPES = {dns.rdatatype.RRSIG, dns.rdatatype.NSEC, dns.rdatatype.NSEC3,
                dns.rdatatype.DS, dns.rdatatype.DNSKEY, dns.rdatatype.NSEC3PARAM}


@dataclasses.dataclass
class Outcome:
    message: dns.message.Message | None
    wire_size: int = 0
    error: str = ""          # set when there is no message


class Patience:
    """Gives up on a server that stopped answering, so a hung server costs
    seconds, not one timeout per remaining query."""

    LIMIT = 5

    def __init__(self):
        self.silent = 0

    def exhausted(self, outcome: Outcome) -> bool:
        self.silent = self.silent + 1 if outcome.message is None and outcome.error.startswith("no answer") else 0
        return self.silent >= self.LIMIT


def make_query(name: str, rdtype: str, do: bool = True, payload: int = 4096,
               edns: bool = True) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, use_edns=0 if edns else False,
                                   want_dnssec=do, payload=payload)
    query.flags &= ~dns.flags.RD   # the servers are authoritative; keep RD for resolvers
    return query


def ask(port: int, query: dns.message.Message, tcp: bool = False, timeout: float = 2.0) -> Outcome:
    wire = query.to_wire()
    try:
        if tcp:
            with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
                s.sendall(struct.pack("!H", len(wire)) + wire)
                data = read_tcp_message(s)
        else:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(timeout)
                s.sendto(wire, ("127.0.0.1", port))
                while True:
                    data, _ = s.recvfrom(65535)
                    if len(data) >= 2 and data[:2] == wire[:2]:
                        break
    except (socket.timeout, TimeoutError):
        return Outcome(None, error=f"no answer within {timeout} s ({'TCP' if tcp else 'UDP'})")
    except OSError as e:
        return Outcome(None, error=f"{'TCP' if tcp else 'UDP'} error: {e}")
    try:
        return Outcome(dns.message.from_wire(data), len(data))
    except dns.exception.DNSException as e:
        return Outcome(None, len(data), error=f"unparseable response ({len(data)} octets): {e!r}")


def _recv_exact(s: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise OSError("connection closed early")
        out += chunk
    return out


def read_tcp_message(s: socket.socket) -> bytes:
    """One DNS message from a TCP stream: its two-octet length, then that many
    octets (RFC 1035 4.2.2). OSError when the stream ends before."""
    length = struct.unpack("!H", _recv_exact(s, 2))[0]
    return _recv_exact(s, length)


def rr_lines(section) -> list[str]:
    lines = []
    for rrset in section:
        lines += rrset.to_text().splitlines()
    return sorted(lines)


def describe(outcome: Outcome) -> dict:
    if outcome.message is None:
        return {"error": outcome.error}
    m = outcome.message
    return {
        "rcode": dns.rcode.to_text(m.rcode()),
        "flags": dns.flags.to_text(m.flags),
        "edns": m.edns,
        "do": bool(m.ednsflags & dns.flags.DO) if m.edns >= 0 else None,
        "answer": rr_lines(m.answer),
        "authority": rr_lines(m.authority),
        "additional": rr_lines(m.additional),
    }


def differences(expected: dict, actual: dict) -> list[str]:
    """Human-readable differences, naming the section and the RRs that differ."""
    out = []
    for key in expected.keys() | actual.keys():
        want, got = expected.get(key), actual.get(key)
        if want == got:
            continue
        if isinstance(want, list) and isinstance(got, list):
            missing = [line for line in want if line not in got]
            extra = [line for line in got if line not in want]
            out.append(f"{key}: missing {missing or 'nothing'}; extra {extra or 'nothing'}")
        else:
            out.append(f"{key}: reference {want!r}, got {got!r}")
    return sorted(out)


def short(outcome: Outcome) -> str:
    """One-line summary of an answer for reports."""
    if outcome.message is None:
        return outcome.error
    m = outcome.message
    counts = "/".join(str(sum(len(r) for r in s)) for s in (m.answer, m.authority, m.additional))
    return f"{dns.rcode.to_text(m.rcode())} flags [{dns.flags.to_text(m.flags)}] an/ns/ar {counts}"


def _rr_kind(line: str) -> str:
    fields = line.split()
    return f"RRSIG({fields[4]})" if fields[3] == "RRSIG" else fields[3]


def difference_kinds(expected: dict, actual: dict) -> list[str]:
    """Differences reduced to their kind ("authority -RRSIG(SOA) +RRSIG(SOA)",
    "flags", "rcode"), to tally what goes wrong over many queries."""
    kinds = []
    for key in sorted(expected.keys() | actual.keys()):
        want, got = expected.get(key), actual.get(key)
        if want == got:
            continue
        if isinstance(want, list) and isinstance(got, list):
            missing = sorted({_rr_kind(x) for x in want if x not in got})
            extra = sorted({_rr_kind(x) for x in got if x not in want})
            kinds.append(f"{key} " + " ".join([f"-{k}" for k in missing] + [f"+{k}" for k in extra]))
        else:
            kinds.append(f"{key} {want!r}->{got!r}")
    return kinds


def print_reports(reports: list[str], tally: dict[str, int] | None = None) -> None:
    """Prints up to MAX_PRINTED mismatch reports, then the tally of kinds."""
    for r in reports[:MAX_PRINTED]:
        print(r if r.endswith("\n") else r + "\n", end="")
    if len(reports) > MAX_PRINTED:
        print(f"... and {len(reports) - MAX_PRINTED} more mismatches (run.py --all-mismatches shows them)")
    if tally:
        print("kinds of difference (count):")
        for kind, count in sorted(tally.items(), key=lambda kv: -kv[1]):
            print(f"  {count:5d}  {kind}")
