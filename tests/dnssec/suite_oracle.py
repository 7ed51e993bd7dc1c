"""Validation oracle: Unbound, with the test trust anchor and a stub zone per
test zone pointing at the server under test, must validate every answer.

Each case names a query, the rcode Unbound must return, whether the answer is
secure (AD set) or insecure (AD clear), and for positive answers an address the
answer must contain. SERVFAIL is never expected: it means the server under test
served records or proofs that do not validate (Unbound's log says why; the
validation failures are printed with the failing cases).
"""

from __future__ import annotations

import dataclasses

import dns.flags
import dns.rcode
import dns.rdatatype

import dnsquery
import fixture
import servers

SIGNED_ADDRESS = "192.0.2.1"      # www in signed.zone.in
WILDCARD_ADDRESS = "192.0.2.2"    # *.wild in signed.zone.in
UNSIGNED_ADDRESS = "192.0.2.3"    # www in unsigned.zone.in
UNSIGNED_WILDCARD = "192.0.2.4"   # *.wild in unsigned.zone.in


@dataclasses.dataclass
class Case:
    name: str
    rdtype: str
    rcode: str           # NOERROR | NXDOMAIN
    secure: bool         # AD expected
    contains: str = ""   # text that must appear in the answer section
    why: str = ""

    def label(self) -> str:
        return f"{self.name} {self.rdtype} ({self.why})"


def _optout_span(zone: fixture.ZoneSpec) -> bool:
    return zone.denial == "nsec3-optout"


def signed_zone_cases(z: fixture.ZoneSpec, hierarchy: fixture.Hierarchy) -> list[Case]:
    n = z.name
    # RFC 5155 9.2: no AD when the proof rests on an opt-out NSEC3 covering the next closer name.
    proven_by_cover = not _optout_span(z)
    target_signed = hierarchy.zone(z.ext_target.split(".", 1)[1]).signed
    cases = [
        Case(n, "SOA", "NOERROR", True, "SOA", "apex SOA"),
        Case(n, "DNSKEY", "NOERROR", True, "DNSKEY", "apex DNSKEY"),
        Case(f"www.{n}", "A", "NOERROR", True, SIGNED_ADDRESS, "positive"),
        Case(f"www.{n}", "AAAA", "NOERROR", True, "2001:db8::1", "positive AAAA"),
        Case(f"mail.{n}", "MX", "NOERROR", True, "MX", "positive MX"),
        Case(f"www.{n}", "MX", "NOERROR", True, "", "NODATA"),
        Case(f"nx.{n}", "A", "NXDOMAIN", proven_by_cover, "", "NXDOMAIN"),
        Case(f"deeper.nx.{n}", "TXT", "NXDOMAIN", proven_by_cover, "", "NXDOMAIN two labels below"),
        Case(f"x.wild.{n}", "A", "NOERROR", proven_by_cover, WILDCARD_ADDRESS, "wildcard answer"),
        Case(f"y.x.wild.{n}", "TXT", "NOERROR", proven_by_cover, "from the wildcard", "wildcard two labels below"),
        Case(f"x.wild.{n}", "MX", "NOERROR", proven_by_cover, "", "wildcard NODATA"),
        Case(f"x.cw.{n}", "A", "NOERROR", proven_by_cover, SIGNED_ADDRESS, "wildcard CNAME"),
        Case(f"chain1.{n}", "A", "NOERROR", True, SIGNED_ADDRESS, "CNAME chain in zone"),
        Case(f"dangling.{n}", "A", "NXDOMAIN", proven_by_cover, "CNAME", "CNAME to NXDOMAIN"),
        Case(f"ext.{n}", "A", "NOERROR", target_signed,
             SIGNED_ADDRESS if target_signed else UNSIGNED_ADDRESS,
             f"CNAME into {'signed' if target_signed else 'unsigned'} zone"),
        Case(f"ent.{n}", "A", "NOERROR", True, "", "NODATA at empty non-terminal"),
        Case(f"b.ent.{n}", "TXT", "NOERROR", True, "", "NODATA at empty non-terminal"),
        Case(f"a.b.ent.{n}", "TXT", "NOERROR", True, "below two empty", "positive below ENT"),
    ]
    for child in hierarchy.zones:
        if child.parent != n:
            continue
        c = child.name
        if child.signed:
            cases += [Case(c, "DS", "NOERROR", True, "DS", "DS of secure delegation"),
                      Case(f"www.{c}", "A", "NOERROR", True, SIGNED_ADDRESS, "in secure child")]
        else:
            # No DS: a matching NSEC/NSEC3 is a secure NODATA; an opt-out span is insecure.
            cases += [Case(c, "DS", "NOERROR", not child.after_signing, "",
                           "no DS, opt-out span" if child.after_signing else "no DS, proven"),
                      Case(f"www.{c}", "A", "NOERROR", False, UNSIGNED_ADDRESS, "in insecure child"),
                      Case(f"nx.{c}", "A", "NXDOMAIN", False, "", "NXDOMAIN in insecure child"),
                      Case(f"x.wild.{c}", "A", "NOERROR", False, UNSIGNED_WILDCARD, "wildcard in insecure child"),
                      Case(f"chain1.{c}", "A", "NOERROR", False, UNSIGNED_ADDRESS, "CNAME in insecure child")]
    return cases


def all_cases(hierarchy: fixture.Hierarchy) -> list[Case]:
    cases = []
    for zone in hierarchy.zones:
        if zone.signed:
            cases += signed_zone_cases(zone, hierarchy)
    return cases


def check(case: Case, outcome: dnsquery.Outcome) -> str:
    """Empty when Unbound's answer is what the case expects, else what is wrong."""
    m = outcome.message
    if m is None:
        return outcome.error
    problems = []
    rcode = dns.rcode.to_text(m.rcode())
    if rcode != case.rcode:
        problems.append(f"rcode {rcode}, expected {case.rcode}")
    ad = bool(m.flags & dns.flags.AD)
    if ad != case.secure:
        problems.append(f"AD {'set' if ad else 'clear'}, expected {'secure' if case.secure else 'insecure'}")
    answer = "\n".join(dnsquery.rr_lines(m.answer))
    if case.contains and case.contains not in answer:
        problems.append(f"answer lacks {case.contains!r}: {answer or '(empty)'}")
    if not case.contains and case.rcode == "NOERROR" and any(
            r.rdtype == dns.rdatatype.from_text(case.rdtype) for r in m.answer):
        problems.append(f"expected NODATA, answer has {answer}")
    return "; ".join(problems)


def _rewrite(path: str, keep_line, change_line=lambda line: line) -> int:
    """Filters and edits a zone file in place; returns how many lines changed."""
    with open(path) as f:
        lines = f.readlines()
    out = [change_line(line) for line in lines if keep_line(line)]
    with open(path, "w") as f:
        f.writelines(out)
    return sum(a != b for a, b in zip(lines, out)) + len(lines) - len(out)


def _fields(line: str) -> list[str]:
    return line.split()


def break_zones(hierarchy: fixture.Hierarchy) -> list[Case]:
    """Damages three signed zones the way a faulty server would serve them and
    returns the cases Unbound must now fail (SERVFAIL), plus healthy ones."""
    changed = _rewrite(hierarchy.zone("rsa.test.").path, lambda line: True,
                       lambda line: line.replace(SIGNED_ADDRESS, "192.0.2.99")
                       if _fields(line)[:1] == ["www.rsa.test."] and _fields(line)[3:4] == ["A"] else line)
    changed += _rewrite(hierarchy.zone("sec.oo.test.").path,
                        lambda line: _fields(line)[3:4] != ["NSEC3"])
    changed += _rewrite(hierarchy.zone("ed.test.").path,
                        lambda line: not (_fields(line)[:1] == ["sec.ed.test."] and _fields(line)[3:4] == ["DS"]))
    if changed < 3:
        raise fixture.FixtureError(f"the damage to the zones did not apply ({changed} lines changed)")
    return [
        Case("www.rsa.test.", "A", "SERVFAIL", False, "", "A changed after signing"),
        Case("nx.sec.oo.test.", "A", "SERVFAIL", False, "", "NXDOMAIN without NSEC3"),
        Case("www.sec.oo.test.", "MX", "SERVFAIL", False, "", "NODATA without NSEC3"),
        Case("www.sec.ed.test.", "A", "SERVFAIL", False, "", "DS removed, NSEC3 still lists it"),
        Case("www.test.", "A", "NOERROR", True, SIGNED_ADDRESS, "undamaged zone"),
        Case("www.sec.oo.test.", "A", "NOERROR", True, SIGNED_ADDRESS, "undamaged positive answer"),
    ]


def run_control(args, workdir: str) -> bool:
    """Proves the oracle can fail: NSD serving damaged zones must fail the cases."""
    hierarchy = fixture.build_hierarchy(workdir)
    return _run_cases(args, workdir, hierarchy, break_zones(hierarchy), "oracle control")


def run(args, workdir: str) -> bool:
    hierarchy = fixture.build_hierarchy(workdir)
    return _run_cases(args, workdir, hierarchy, all_cases(hierarchy), "oracle")


def _run_cases(args, workdir: str, hierarchy: fixture.Hierarchy, cases: list[Case], title: str) -> bool:
    zones = [(z.name, z.path) for z in hierarchy.zones]
    auth_port, resolver_port = args.port, args.port + 1
    failures, asked, failed_validation = [], 0, []
    try:
        with servers.auth_server(args.server, workdir, auth_port, zones, args.flatns):
            with servers.Unbound(workdir, resolver_port, hierarchy.trust_anchor,
                                 [z.name for z in hierarchy.zones], auth_port) as unbound:
                timeouts = 0
                for case in cases:
                    query = dnsquery.make_query(case.name, case.rdtype, do=True, payload=1232)
                    query.flags |= dns.flags.RD
                    outcome = dnsquery.ask(resolver_port, query, timeout=4.0)
                    asked += 1
                    problem = check(case, outcome)
                    if problem:
                        failures.append((case, problem, dnsquery.short(outcome)))
                    timeouts = timeouts + 1 if outcome.message is None else 0
                    if timeouts >= 3:
                        print("Unbound stopped answering; the remaining cases count as failed")
                        break
                failed_validation = unbound.validation_failures()
    except servers.ServerError as e:
        print(f"could not start: {e}")
    matched = asked - len(failures)
    for case, problem, summary in failures[:dnsquery.MAX_PRINTED]:
        print(f"MISMATCH {case.label()}: {problem}  [unbound: {summary}]")
    if len(failures) > dnsquery.MAX_PRINTED:
        print(f"... and {len(failures) - dnsquery.MAX_PRINTED} more mismatches")
    if failures and failed_validation and title == "oracle":
        print("Unbound log (validation failures / SERVFAIL):")
        for line in failed_validation[:30]:
            print("  " + line)
    print(f"{title} against {args.server}: {matched} of {len(cases)} cases match")
    return matched == len(cases)
