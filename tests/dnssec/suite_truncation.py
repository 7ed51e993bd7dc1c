"""Referrals with DNSSEC under a small EDNS buffer: with DO=1 and a 1232-octet
(and a 512-octet) payload over UDP, a referral from the root zone for every TLD
(every third TLD at 512) either fits and is complete, or sets TC.

Complete means (RFC 4035 section 3.1.4): the whole NS RRset and the DS RRset
with its RRSIG (or, for a TLD without DS, the NSEC proving it with its RRSIG);
at 1232 octets also every in-domain glue address (RFC 9471; sibling glue may be
left out without TC). Glue is not judged at 512 octets: NSD 4.6.1, the
reference, predates RFC 9471 and drops in-domain glue there without TC. The
response is never larger than the buffer.
"""

from __future__ import annotations

import dns.flags
import dns.name
import dns.rdatatype

import dnsquery
import rootzone
import servers

PAYLOADS = (1232, 512)
EVERY = {1232: 1, 512: 3}   # every TLD at 1232 octets, every third at 512


def _owned(section, owner: str, rdtype: int, covers: int = 0):
    name = dns.name.from_text(owner)
    for rrset in section:
        if rrset.name == name and rrset.rdtype == rdtype and (covers == 0 or rrset.covers == covers):
            return rrset
    return None


def referral_problems(root: rootzone.RootZone, tld: str, payload: int,
                      outcome: dnsquery.Outcome) -> tuple[list[str], bool]:
    """(what is wrong, whether TC was set)."""
    m = outcome.message
    if m is None:
        return [outcome.error], False
    problems = []
    if outcome.wire_size > payload:
        problems.append(f"{outcome.wire_size} octets exceed the {payload}-octet buffer")
    if m.rcode() != 0:
        problems.append(f"rcode {m.rcode()}")
    if m.flags & dns.flags.TC:
        return problems, True
    ns = _owned(m.authority, tld, dns.rdatatype.NS)
    got_ns = {r.target.to_text().lower() for r in ns} if ns else set()
    if got_ns != root.ns[tld]:
        problems.append(f"NS RRset incomplete without TC: {len(got_ns)} of {len(root.ns[tld])}")
    proof = dns.rdatatype.DS if tld in root.with_ds else dns.rdatatype.NSEC
    if _owned(m.authority, tld, proof) is None:
        problems.append(f"no {dns.rdatatype.to_text(proof)} without TC")
    if _owned(m.authority, tld, dns.rdatatype.RRSIG, proof) is None:
        problems.append(f"no RRSIG {dns.rdatatype.to_text(proof)} without TC")
    present = set()
    for rrset in m.additional:
        for rd in rrset:
            present.add((rrset.name.to_text().lower(), dns.rdatatype.to_text(rrset.rdtype), rd.to_text()))
    missing = root.in_domain_glue(tld) - present
    if missing and payload >= 1232:
        problems.append(f"{len(missing)} in-domain glue records missing without TC, e.g. {sorted(missing)[0]}")
    return problems, False


def _ask_all(args, root: rootzone.RootZone, reports: list[str]) -> tuple[int, int]:
    """(matched, truncated) over every planned referral query."""
    matched = truncated = 0
    patience = dnsquery.Patience()
    for payload in PAYLOADS:
        for tld in root.tlds[::EVERY[payload]]:
            name = f"www.{tld}"
            outcome = dnsquery.ask(args.port, dnsquery.make_query(name, "A", do=True, payload=payload))
            if patience.exhausted(outcome):
                reports.append(f"the server stopped answering at {name} A (payload {payload})")
                return matched, truncated
            problems, tc = referral_problems(root, tld, payload, outcome)
            truncated += tc
            if problems:
                reports.append(f"MISMATCH {name} A DO=1 payload {payload}: {dnsquery.short(outcome)}: "
                               + "; ".join(problems))
            else:
                matched += 1
    return matched, truncated


def run(args, workdir: str) -> bool:
    root = rootzone.load(args.corpus)
    planned = sum(len(root.tlds[::EVERY[p]]) for p in PAYLOADS)
    matched = truncated = 0
    reports: list[str] = []
    try:
        with servers.auth_server(args.server, workdir, args.port, [(".", root.path)], args.flatns):
            matched, truncated = _ask_all(args, root, reports)
    except servers.ServerError as e:
        reports.append(str(e))
    dnsquery.print_reports(reports)
    print(f"  {truncated} answers set TC (allowed), the others were checked as complete referrals")
    print(f"referral with DS fits or sets TC ({args.server}): {matched} of {planned} cases match")
    return matched == planned
