"""Differential test: flatns and NSD serve the same zone files; one generated
list of queries goes to both; rcode, the AA and TC flags, EDNS presence and
the sorted records of each section (TTL included) must be the same, except
for the intended differences in ALLOWED below.

Suites (each starts both servers on its own zones):
  examples  examples/zones (example.com without its apex CNAME, which NSD
            refuses and which test_answers.py covers), example.net, example.org
  rfc4592   the RFC 4592 wildcard zone
  rfc5155   the RFC 5155 appendix A zone (NSEC3, opt-out), DO=0 and DO=1
  gov       a slice of the real .gov zone: apex, every 40th delegation with
            its DS and glue

Usage: differential.py --flatns BIN --corpus DIR --examples DIR [--verbose]
Prints "N of M answers match" and exits 1 on any difference not allowed.
"""

import argparse
import base64
import os
import random
import re
import sys
import tempfile

import dns.dnssec
import dns.flags
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.zone

import harness

NODATA_TYPES = ["A", "AAAA", "MX", "TXT", "NS", "SOA", "CNAME", "DS", "SRV"]


# ---------------------------------------------------------------------------
# Intended differences. Each entry: (name, why, rule). A rule gets the query
# and both responses and returns True when the difference is explained; it
# must still check everything the servers have to agree on.
# ---------------------------------------------------------------------------

def _any_one_rrset(q, nsd, flat):
    # RFC 8482 4.1: an ANY query gets one RRset of the name (or HINFO); which
    # one is the server's choice (NSD answers the first in its node list,
    # Knot another). Everything else must agree.
    if q.qtype != "ANY" or nsd.rcode() != flat.rcode():
        return False
    if _flags(nsd) != _flags(flat) or len(nsd.answer) != len(flat.answer):
        return False
    if len(flat.answer) == 1 and flat.answer[0].name != q.qname:
        return False
    return True


def _same_except(nsd, flat, section):
    a, b = summary(nsd), summary(flat)
    return all(a[k] == b[k] for k in a if k != section)


def _zone_of(name, origins):
    """The served origin (longest) that holds `name`, or None."""
    best = None
    for origin in origins:
        if name.is_subdomain(origin) and (best is None or len(origin) > len(best)):
            best = origin
    return best


def _literal_wildcard_nodata_proof(q, nsd, flat):
    # A query for the wildcard owner itself ("*.w.example", a name that
    # exists) with DO=1 and a type it lacks is a plain NODATA: the NSEC3 that
    # matches QNAME suffices (RFC 5155 7.2.3), which flatns sends. NSD also
    # adds the NSEC3 of the closest encloser, as for a wildcard NODATA (7.2.5).
    if not (q.do and q.qname.labels[0] == b"*" and _same_except(nsd, flat, "authority")):
        return False
    a, b = set(_canonical(nsd.authority)), set(_canonical(flat.authority))
    extra = a - b
    return b < a and all(" IN NSEC3 " in x or " IN RRSIG NSEC3 " in x for x in extra)


def _nsec3_covers(owner_hash, next_hash, h):
    if owner_hash < next_hash:
        return owner_hash < h < next_hash
    return h > owner_hash or h < next_hash  # the last NSEC3 wraps around


def _below_nsec3_owner_proof(q, nsd, flat):
    # "nx.<hash>.example" where <hash>.example is an NSEC3 owner name: RFC
    # 5155 7.2.9 says an NSEC3 owner name does not exist, so the closest
    # encloser is the apex and flatns sends the full closest-encloser proof
    # (7.2.2). NSD treats the NSEC3 owner as the closest encloser and sends
    # less. Allowed only when flatns's proof checks out here: an NSEC3 that
    # matches the apex, one that covers the next closer name and one that
    # covers the apex wildcard.
    if not (q.do and len(q.qname.labels) >= 3 and _same_except(nsd, flat, "authority")):
        return False
    if flat.rcode() != dns.rcode.NXDOMAIN:
        return False
    apex = dns.name.Name(q.qname.labels[2:])
    nsec3 = [rrset for rrset in flat.authority if rrset.rdtype == dns.rdatatype.NSEC3]
    if not nsec3 or apex not in q.zones:
        return False
    params = nsec3[0][0]
    def h(name):
        return dns.dnssec.nsec3_hash(name, params.salt, params.iterations, params.algorithm).lower()
    chain = []
    for rrset in nsec3:
        for rd in rrset:
            nxt = base64.b32encode(rd.next).decode().translate(_B32_TO_HEX).lower()
            chain.append((rrset.name.labels[0].decode().lower(), nxt))
    def matched(x):
        return any(o == x for o, _ in chain)
    def covered(x):
        return any(_nsec3_covers(o, n, x) for o, n in chain)
    next_closer = dns.name.Name(q.qname.labels[1:])
    return (matched(h(apex)) and covered(h(next_closer))
            and covered(h(dns.name.Name((b"*",) + apex.labels))))


_B32_TO_HEX = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHIJKLMNOPQRSTUV")


ALLOWED = [
    ("ANY picks one RRset", "RFC 8482 lets each server choose the RRset", _any_one_rrset),
    ("NSD's extra NSEC3 for a literal wildcard-owner NODATA",
     "RFC 5155 7.2.3 needs only the NSEC3 matching QNAME", _literal_wildcard_nodata_proof),
    ("name below an NSEC3 owner name",
     "RFC 5155 7.2.9: NSEC3 owners do not exist; flatns's proof from the apex is checked",
     _below_nsec3_owner_proof),
]


# ---------------------------------------------------------------------------

class Query:
    def __init__(self, qname, qtype, tcp=False, edns=0, do=False, why="", zones=()):
        self.qname = qname if isinstance(qname, dns.name.Name) else dns.name.from_text(qname)
        self.qtype = qtype
        self.tcp = tcp
        self.edns = edns
        self.do = do
        self.why = why
        self.zones = zones  # origins served in this suite (dns.name.Name)

    def __str__(self):
        opts = ["tcp" if self.tcp else "udp",
                "noedns" if self.edns is None else "edns", "do" if self.do else ""]
        return f"{self.qname.to_text()} {self.qtype} ({' '.join(o for o in opts if o)}; {self.why})"


def _flags(r):
    return {"AA": bool(r.flags & dns.flags.AA), "TC": bool(r.flags & dns.flags.TC),
            "RA": bool(r.flags & dns.flags.RA), "edns": r.edns,
            "DO": bool(r.ednsflags & dns.flags.DO)}


def _canonical(section):
    """Records as text with names in canonical (lower) case, sorted; a
    client compares names case-insensitively (RFC 4343)."""
    out = []
    for rrset in section:
        for rd in rrset:
            wire = rd.to_digestable()
            canon = dns.rdata.from_wire(rd.rdclass, rd.rdtype, wire, 0, len(wire))
            out.append(f"{rrset.name.canonicalize().to_text()} {rrset.ttl} "
                       f"{dns.rdataclass.to_text(rrset.rdclass)} "
                       f"{dns.rdatatype.to_text(rrset.rdtype)} {canon.to_text()}")
    return sorted(out)


def summary(r):
    return {"rcode": dns.rcode.to_text(r.rcode()), **_flags(r), "answer": _canonical(r.answer),
            "authority": _canonical(r.authority), "additional": _canonical(r.additional)}


def compare(q, nsd, flat):
    """Returns None when equal, else (allowed reason or None, differences)."""
    a, b = summary(nsd), summary(flat)
    if a == b:
        return None
    diffs = []
    for key in a:
        if a[key] != b[key]:
            if isinstance(a[key], list):
                only_nsd = [x for x in a[key] if x not in b[key]]
                only_flat = [x for x in b[key] if x not in a[key]]
                diffs.append(f"  {key}: only NSD {only_nsd}  only flatns {only_flat}")
            else:
                diffs.append(f"  {key}: NSD {a[key]}  flatns {b[key]}")
    for name, why, rule in ALLOWED:
        if rule(q, nsd, flat):
            return (f"{name} ({why})", diffs)
    return (None, diffs)


# ---------------------------------------------------------------------------
# Query generation from the zone contents.
# ---------------------------------------------------------------------------

def _mixed_case(name, rng):
    labels = []
    for label in name.labels:
        labels.append(bytes(c ^ 0x20 if 97 <= (c | 0x20) <= 122 and rng.random() < 0.5 else c
                            for c in label))
    return dns.name.Name(labels)


def queries_for_zone(origin, path, rng, limit, dnssec=False):
    zone = dns.zone.from_file(path, origin, relativize=False, check_origin=True)
    apex = zone.origin
    names = sorted(zone.nodes.keys())
    cuts = {n for n in names if n != apex and zone.nodes[n].get_rdataset(dns.rdataclass.IN,
                                                                          dns.rdatatype.NS)}
    out = []
    for n in names:
        types = sorted({dns.rdatatype.to_text(rds.rdtype) for rds in zone.nodes[n].rdatasets})
        for t in types:
            if t in ("RRSIG", "NSEC3"):
                continue
            out.append(Query(n, t, why="existing RRset"))
        for t in NODATA_TYPES:
            if t not in types:
                out.append(Query(n, t, why="type not at the name"))
        out.append(Query(n, "ANY", why="ANY"))
        if n in cuts:
            out.append(Query(dns.name.Name((b"host",) + n.labels), "A", why="below a delegation"))
        if n.labels[0] == b"*":
            parent = dns.name.Name(n.labels[1:])
            for prefix in ((b"wx",), (b"a", b"b")):
                for t in types + ["A"]:
                    out.append(Query(dns.name.Name(prefix + parent.labels), t, why="wildcard"))
        if n != apex:
            out.append(Query(dns.name.Name((b"nx",) + n.labels), "A", why="name below an existing one"))
            out.append(Query(dns.name.Name((b"nx-" + n.labels[0],) + n.labels[1:]), "A",
                             why="sibling that does not exist"))
    out.append(Query(dns.name.Name((b"nothing-here",) + apex.labels), "TXT", why="NXDOMAIN at apex level"))
    if len(out) > limit:
        out = rng.sample(out, limit)
    out.append(Query("www.example.invalid", "A", why="no served zone: REFUSED"))
    if len(apex.labels) > 2:
        out.append(Query(dns.name.Name(apex.labels[1:]), "SOA", why="parent of the apex: REFUSED"))
    # Variants: mixed case, TCP, no EDNS, DO.
    for i, q in enumerate(out):
        if i % 6 == 0:
            q.qname = _mixed_case(q.qname, rng)
            q.why += ", mixed case"
        if i % 7 == 0:
            q.tcp = True
        if i % 5 == 0:
            q.edns = None
    if dnssec:
        out += [Query(q.qname, q.qtype, tcp=q.tcp, edns=0, do=True, why=q.why + ", DO") for q in out]
    return out


def gov_slice(corpus, folder, every=40):
    """The .gov apex plus every `every`-th delegation (its NS, DS and any glue
    at or below it) and what lives under ns.gov: a zone NSD and flatns both
    load in well under a second."""
    apex_lines, by_child = [], {}
    with open(os.path.join(corpus, "gov.zone")) as f:
        for line in f:
            if not line.strip() or line.startswith(";"):
                continue
            owner = line.split(None, 1)[0].lower()
            labels = owner.rstrip(".").split(".")
            if owner == "gov." or owner.endswith(".ns.gov.") or owner == "_dmarc.gov.":
                apex_lines.append(line)
                continue
            child = ".".join(labels[-2:]) + "."
            by_child.setdefault(child, []).append(line)
    children = sorted(by_child)
    chosen = children[::every]
    path = os.path.join(folder, "gov.zone")
    with open(path, "w") as f:
        f.writelines(apex_lines)
        for c in chosen:
            f.writelines(by_child[c])
    return path


# ---------------------------------------------------------------------------

def run_suite(args, name, zones, queries, report):
    matched = 0
    origins = [dns.name.from_text(z[0]) for z in zones]
    for q in queries:
        q.zones = origins
    # NSD with minimal-responses, the policy flatns follows (as Knot does):
    # no NS RRset in the authority section of positive answers; additional
    # data only for referrals and NS answers, from the same zone.
    nsd_options = ["minimal-responses: yes"]
    other = (harness.Nsd(zones, nsd_options) if args.against_nsd
             else harness.Flatns(args.flatns, zones))
    with harness.Nsd(zones, nsd_options) as nsd, other as flat:
        for q in queries:
            msg = harness.make_query(q.qname, q.qtype, edns=q.edns, do=q.do)
            try:
                a = nsd.send(msg, tcp=q.tcp)
            except Exception as e:  # NSD is the reference: this is a harness fault
                raise RuntimeError(f"NSD gave no answer to {q}: {e}")
            try:
                b = flat.send(msg, tcp=q.tcp)
            except Exception as e:
                report["failed"].append(f"[{name}] {q}\n  flatns: no usable answer ({type(e).__name__}: {e})")
                continue
            result = compare(q, a, b)
            if result is None:
                matched += 1
            elif result[0] is not None:
                report["allowed"].setdefault(result[0], []).append(f"[{name}] {q}")
                matched += 1
            else:
                report["failed"].append(f"[{name}] {q}\n" + "\n".join(result[1]))
    report["total"] += len(queries)
    report["matched"] += matched
    print(f"{name}: {matched} of {len(queries)} answers match", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--flatns", required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--examples", required=True)
    parser.add_argument("--verbose", action="store_true", help="list every allowed difference")
    parser.add_argument("--against-nsd", action="store_true",
                        help="compare NSD with a second NSD (checks this script itself)")
    parser.add_argument("--limit", type=int, default=1500, help="queries per zone at most")
    args = parser.parse_args()
    harness.check_paths(args)
    harness.die_after(300)
    rng = random.Random(4592)
    report = {"total": 0, "matched": 0, "failed": [], "allowed": {}}

    with tempfile.TemporaryDirectory(prefix="flatns-diff-") as tmp:
        ex = os.path.join(args.examples, "zones")
        zones, qs = [], []
        for origin in ("example.com", "example.net", "example.org"):
            copy, dropped = harness.nsd_compatible_copy(os.path.join(ex, origin + ".zone"), tmp)
            for d in dropped:
                print(f"examples: not compared (NSD refuses it): {d}")
            zones.append((origin, copy))
            qs += queries_for_zone(origin, copy, rng, args.limit)
        suites = [("examples", zones, qs)]

        z4592 = os.path.join(args.corpus, "rfc", "rfc4592-wildcard.zone")
        suites.append(("rfc4592", [("example", z4592)], queries_for_zone("example", z4592, rng, args.limit)))

        z5155 = os.path.join(args.corpus, "rfc", "rfc5155-appendixA.zone")
        suites.append(("rfc5155", [("example", z5155)],
                       queries_for_zone("example", z5155, rng, args.limit, dnssec=True)))

        gov = gov_slice(args.corpus, tmp)
        suites.append(("gov", [("gov", gov)], queries_for_zone("gov", gov, rng, args.limit)))

        for name, zs, queries in suites:
            run_suite(args, name, zs, queries, report)

    for reason, items in sorted(report["allowed"].items()):
        print(f"allowed difference, {len(items)} answers: {reason}")
        for item in items if args.verbose else items[:3]:
            print(f"  e.g. {item}")
    for f in report["failed"]:
        print(f"DIFFERENT: {f}")
    print(f"{report['matched']} of {report['total']} answers match"
          f" ({len(report['failed'])} differences not in the allow-list)")
    return 1 if report["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
