"""Without DO (EDNS with DO=0, and no EDNS at all) an answer carries no DNSSEC
records (RRSIG, NSEC, NSEC3, DS, DNSKEY, NSEC3PARAM) except the RRset of the
type asked for explicitly, in the answer section (RFC 4035 section 3.2.1,
RFC 3225). The signed hierarchy is served whole (answers) and as its middle
zones only (referrals), and the root zone too. Queries alternate between EDNS
with DO=0 and no EDNS; every fourth is asked both ways.

When the server under test is flatns, each answer must also equal NSD's
answer to the same query, so an empty or wrong answer cannot pass.
"""

from __future__ import annotations

import dns.flags
import dns.rdatatype

import dnsquery
import fixture
import queries
import rootzone
import servers



def dnssec_leaks(outcome: dnsquery.Outcome, rdtype: str) -> list[str]:
    asked = dns.rdatatype.from_text(rdtype)
    m = outcome.message
    leaks = []
    for section_name, section in (("answer", m.answer), ("authority", m.authority),
                                  ("additional", m.additional)):
        for rrset in section:
            if rrset.rdtype not in dnsquery.DNSSEC_TYPES:
                continue
            if section_name == "answer" and rrset.rdtype == asked:
                continue
            leaks.append(f"{section_name}: {rrset.to_text().splitlines()[0]}")
    return leaks


def _ask(port: int, query) -> dnsquery.Outcome:
    """UDP, and TCP when truncated: a truncated answer would hide what is in it."""
    outcome = dnsquery.ask(port, query)
    if outcome.message is not None and outcome.message.flags & dns.flags.TC:
        outcome = dnsquery.ask(port, query, tcp=True)
    return outcome


def _nsd_differences(reference_port: int, query, got: dnsquery.Outcome) -> list[str]:
    """Differences from NSD's answer. Without EDNS a referral's glue is cut to
    512 octets and which glue goes first is each server's choice (NSD puts
    every A before any AAAA): there the additional section must only be glue
    NSD would give over TCP, and present when NSD's is."""
    ref = _ask(reference_port, query)
    expected, actual = dnsquery.describe(ref), dnsquery.describe(got)
    if query.edns >= 0 or ref.message is None or got.message is None:
        return dnsquery.differences(expected, actual)
    complete = dnsquery.describe(dnsquery.ask(reference_port, query, tcp=True)).get("additional", [])
    extra = [rr for rr in actual["additional"] if rr not in complete]
    diffs = dnsquery.differences({**expected, "additional": []}, {**actual, "additional": []})
    if extra:
        diffs.append(f"additional: not glue NSD gives over TCP: {extra}")
    if bool(expected["additional"]) != bool(actual["additional"]):
        diffs.append(f"additional: NSD has {len(expected['additional'])} records, target {len(actual['additional'])}")
    return diffs


def check_all(label: str, port: int, reference_port: int | None, qlist: list[tuple[str, str]],
              leaked: list[int]):
    """(matched, total, reports); leaked[0] counts answers with DNSSEC records or none at all."""
    matched, total, reports = 0, 0, []
    patience = dnsquery.Patience()
    for i, (name, rdtype) in enumerate(qlist):
        for edns in (True, False) if i % 4 == 0 else (i % 2 == 0,):
            total += 1
            query = dnsquery.make_query(name, rdtype, do=False, edns=edns, payload=4096)
            got = _ask(port, query)
            if patience.exhausted(got):
                reports.append(f"[{label}] the server under test stopped answering at {name} {rdtype}\n")
                return matched, total + len(qlist) - i - 1, reports
            problems = [got.error] if got.message is None else dnssec_leaks(got, rdtype)
            leaked[0] += bool(problems)
            if reference_port is not None and got.message is not None:
                problems += [f"differs from NSD: {d}" for d in _nsd_differences(reference_port, query, got)]
            if problems:
                reports.append(f"MISMATCH [{label}] {name} {rdtype} {'EDNS DO=0' if edns else 'no EDNS'}: "
                               f"{dnsquery.short(got)}\n" + "".join(f"    - {p}\n" for p in problems))
            else:
                matched += 1
    return matched, total, reports


def run(args, workdir: str) -> bool:
    hierarchy = fixture.build_hierarchy(workdir)
    root = rootzone.load(args.corpus)
    load_sets = [(served, [(z.name, z.path) for z in queries.served_zones(hierarchy, served)],
                  queries.hierarchy_queries(hierarchy, served)) for served in ("all", "middle")]
    # The root zone: every 8th root query keeps the run short and still covers each kind.
    load_sets.append(("root", [(".", root.path)], queries.root_queries(root)[::8]))
    matched = total = 0
    reports: list[str] = []
    leaked = [0]
    for i, (label, zones, qlist) in enumerate(load_sets):
        port = args.port + 2 * i
        target = servers.auth_server(args.server, workdir, port, zones, args.flatns)
        reference = servers.Nsd(workdir, port + 1, zones) if args.server != "nsd" else None
        try:
            with target:
                if reference is None:
                    m, t, r = check_all(label, port, None, qlist, leaked)
                else:
                    with reference:
                        m, t, r = check_all(label, port, port + 1, qlist, leaked)
        except servers.ServerError as e:
            m, t, r = 0, len(qlist), [f"[{label}] {e}\n"]
        print(f"  load set {label}: {m} of {t} cases match")
        matched, total, reports = matched + m, total + t, reports + r
    dnsquery.print_reports(reports)
    print(f"  {leaked[0]} answers carried DNSSEC records not asked for (or no answer); "
          f"{total - matched - leaked[0]} others differ from NSD only")
    print(f"no DNSSEC records without DO ({args.server}): {matched} of {total} cases match")
    return matched == total
