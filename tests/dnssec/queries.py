"""The query lists shared by the differential and DO=0 suites.

For the test hierarchy, the same names are asked in every test zone; which
zones a server loads decides whether a name gets an authoritative answer or a
referral (see SERVED_SETS). For the root zone, the names come from the zone
itself: every TLD's DS, referrals, NODATA and non-existent TLDs.
"""

from __future__ import annotations

import fixture
import rootzone

# Names relative to each zone of the hierarchy, with the types asked.
ZONE_QUERIES = [
    ("", ["SOA", "NS", "DNSKEY", "NSEC3PARAM", "DS", "A", "NSEC"]),
    ("www", ["A", "AAAA", "MX", "RRSIG", "NSEC", "DS"]),
    ("mail", ["MX"]),
    ("txt", ["TXT"]),
    ("ns1", ["A"]),
    ("nx", ["A", "DS"]),
    ("deeper.nx", ["TXT"]),
    ("x.wild", ["A", "MX", "TXT"]),
    ("y.x.wild", ["TXT"]),
    ("*.wild", ["A"]),
    ("wild", ["A"]),
    ("x.cw", ["A", "CNAME"]),
    ("chain1", ["A", "CNAME"]),
    ("dangling", ["A"]),
    ("ext", ["A"]),
    ("ent", ["A"]),
    ("b.ent", ["TXT"]),
    ("a.b.ent", ["TXT"]),
]

# Which zones one server loads. "all": every name is answered authoritatively
# (DS at a child apex from the parent); the others make the parents refer:
# secure delegations (DS + RRSIG), NSEC / NSEC3 no-DS proofs and opt-out spans.
SERVED_SETS = {
    "all": None,
    "test-only": ["test."],
    "middle": ["rsa.test.", "ed.test.", "oo.test."],
}


def served_zones(hierarchy: fixture.Hierarchy, served: str) -> list[fixture.ZoneSpec]:
    names = SERVED_SETS[served]
    return [z for z in hierarchy.zones if names is None or z.name in names]


def _under(name: str, origin: str) -> bool:
    return name == origin or name.endswith("." + origin)


def hierarchy_queries(hierarchy: fixture.Hierarchy, served: str) -> list[tuple[str, str]]:
    origins = [z.name for z in served_zones(hierarchy, served)]
    out = []
    for zone in hierarchy.zones:
        if not any(_under(zone.name, o) for o in origins):
            continue
        for label, types in ZONE_QUERIES:
            name = f"{label}.{zone.name}" if label else zone.name
            out += [(name, t) for t in types]
    return out


def root_queries(root: rootzone.RootZone) -> list[tuple[str, str]]:
    out = [(".", t) for t in ("SOA", "NS", "DNSKEY", "NSEC", "A", "MX", "DS", "TXT", "ZONEMD")]
    tlds = root.tlds
    out += [(tld, "DS") for tld in tlds[::2]]                   # half the TLDs: DS and RRSIG, or NSEC
    for i, tld in enumerate(tlds):
        if i % 10 == 0:
            out += [(f"www.{tld}", "A"), (tld, "NS"), (tld, "SOA"), (tld, "NSEC"),
                    (f"{tld.rstrip('.')}-nonexistent.", "A"),     # NXDOMAIN just after the TLD
                    (f"nx.{tld.rstrip('.')}0.", "AAAA")]           # NXDOMAIN, two labels
    hosts = sorted(root.glue)
    out += [(h, "A") for h in hosts[::25]]                      # glue: referral, not an answer
    out += [("nonexistent.", "A"), ("zzzzzzzzzz.", "NS"), ("0.", "A"), ("xn--zzzz.", "DS"),
            ("a.b.c.nx-tld.", "TXT"), ("arpa.", "DS"), ("root-servers.net.", "NS")]
    return out
