"""Differential test with DO=1: flatns and NSD load the same signed zones and
get the same queries; rcode, header flags, EDNS DO and every section's sorted
records (RRSIG, NSEC, NSEC3 included) must be identical.

run_signed covers the signed test hierarchy in three load sets (authoritative
answers and referrals); run_root covers the IANA root zone from the corpus.
Each mismatch is printed with the query and both servers' answers.
"""

from __future__ import annotations

import dns.flags

import dnsquery
import fixture
import queries
import rootzone
import servers

def compare(label: str, nsd_port: int, flatns_port: int, qlist: list[tuple[str, str]],
            tally: dict[str, int], do: bool = True) -> tuple[int, list[str]]:
    """(number matching, mismatch reports) for every query in qlist; the kinds
    of difference are counted in tally."""
    matched, reports = 0, []
    patience = dnsquery.Patience()
    for i, (name, rdtype) in enumerate(qlist):
        query = dnsquery.make_query(name, rdtype, do=do, payload=4096)
        ref = dnsquery.ask(nsd_port, query)
        got = dnsquery.ask(flatns_port, query)
        if patience.exhausted(got):
            reports.append(f"[{label}] the server under test stopped answering at {name} {rdtype}; "
                           f"{len(qlist) - i - 1} queries not asked\n")
            break
        if ref.message is not None and ref.message.flags & dns.flags.TC:
            ref, got = dnsquery.ask(nsd_port, query, tcp=True), dnsquery.ask(flatns_port, query, tcp=True)
        expected, actual = dnsquery.describe(ref), dnsquery.describe(got)
        diffs = dnsquery.differences(expected, actual)
        if not diffs:
            matched += 1
            continue
        for kind in dnsquery.difference_kinds(expected, actual):
            tally[kind] = tally.get(kind, 0) + 1
        reports.append(f"MISMATCH [{label}] {name} {rdtype} DO={int(do)}\n"
                       f"    nsd:    {dnsquery.short(ref)}\n    target: {dnsquery.short(got)}\n"
                       + "".join(f"    - {d}\n" for d in diffs))
    return matched, reports


def _pair(args, workdir: str, port: int, zones: list[tuple[str, str]]):
    """The reference NSD and the server under test; `--server nsd` compares NSD with
    a second NSD, which proves the harness itself (every case must match)."""
    return (servers.Nsd(workdir, port, zones),
            servers.auth_server(args.server, workdir, port + 1, zones, args.flatns))


def run_signed(args, workdir: str) -> bool:
    hierarchy = fixture.build_hierarchy(workdir)
    total = matched = 0
    reports: list[str] = []
    tally: dict[str, int] = {}
    for i, served in enumerate(queries.SERVED_SETS):
        zones = [(z.name, z.path) for z in queries.served_zones(hierarchy, served)]
        qlist = queries.hierarchy_queries(hierarchy, served)
        port = args.port + 2 * i
        nsd, flatns = _pair(args, workdir, port, zones)
        with nsd:
            try:
                with flatns:
                    m, r = compare(served, port, port + 1, qlist, tally)
            except servers.ServerError as e:
                m, r = 0, [f"[{served}] server under test did not start: {e}\n"]
        total += len(qlist)
        matched += m
        reports += r
        print(f"  load set {served}: {m} of {len(qlist)} cases match")
    dnsquery.print_reports(reports, tally)
    print(f"differential DO=1, signed hierarchy: {matched} of {total} cases match")
    return matched == total


def run_root(args, workdir: str) -> bool:
    root = rootzone.load(args.corpus)
    qlist = queries.root_queries(root)
    tally: dict[str, int] = {}
    nsd, flatns = _pair(args, workdir, args.port, [(".", root.path)])
    with nsd:
        try:
            with flatns:
                matched, reports = compare("root", args.port, args.port + 1, qlist, tally)
        except servers.ServerError as e:
            matched, reports = 0, [f"server under test did not start: {e}\n"]
    dnsquery.print_reports(reports, tally)
    print(f"differential DO=1, IANA root zone: {matched} of {len(qlist)} cases match")
    return matched == len(qlist)
