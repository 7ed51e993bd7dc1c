"""What the tests need to know about the IANA root zone in the corpus: the TLDs,
their NS targets, which have DS, and the glue addresses. The corpus file is in
one-RR-per-line form with absolute owner names (SOURCES.md), read line by line.
"""

from __future__ import annotations

import collections
import dataclasses
import ipaddress
import os


@dataclasses.dataclass
class RootZone:
    path: str
    ns: dict[str, set[str]]            # TLD -> NS target names
    with_ds: set[str]                  # TLDs that have a DS RRset
    glue: dict[str, set[tuple[str, str]]]  # host name -> {(type, address)}

    @property
    def tlds(self) -> list[str]:
        return sorted(self.ns)

    def in_domain_glue(self, tld: str) -> set[tuple[str, str, str]]:
        """(host, type, address) of every NS target below the TLD itself (RFC 9471)."""
        out = set()
        for host in self.ns[tld]:
            if host.endswith("." + tld):
                out |= {(host, t, a) for t, a in self.glue.get(host, ())}
        return out


def load(corpus_dir: str) -> RootZone:
    path = os.path.join(corpus_dir, "root.zone")
    ns: dict[str, set[str]] = collections.defaultdict(set)
    with_ds: set[str] = set()
    glue: dict[str, set[tuple[str, str]]] = collections.defaultdict(set)
    with open(path) as f:
        for line in f:
            fields = line.split()
            if len(fields) < 5 or fields[0].startswith(";"):
                continue
            owner, rtype = fields[0].lower(), fields[3]
            if rtype == "NS" and owner != ".":
                ns[owner].add(fields[4].lower())
            elif rtype == "DS":
                with_ds.add(owner)
            elif rtype in ("A", "AAAA"):
                glue[owner].add((rtype, ipaddress.ip_address(fields[4]).compressed))
    return RootZone(path, dict(ns), with_ds, dict(glue))
