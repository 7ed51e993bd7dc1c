#!/usr/bin/python3
"""Writes the seed corpora under fuzz/corpus/<target>/ (run once; the output is
committed). Packets are made with dnspython: queries as clients send them, and
responses built from the zones in fuzz/zones (with their RRSIGs and NSEC/NSEC3
proofs, so the validator target starts from answers that validate). Zone and
config seeds are snippets of real files: fuzz/zones, examples/ and the shared
corpus (IANA root zone, .gov, RFC 5155 and RFC 4592 zones)."""
import hashlib
import os
import sys

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(ROOT, "..", "shared", "corpus")
if not os.path.isdir(SHARED):
    SHARED = "/work/shared/corpus"


def write(target, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def queries():
    out = []
    names = ["plain.example.", "www.plain.example.", "x.wild.plain.example.", "sub.wild.plain.example.",
             "a.child.plain.example.", "x.redir.plain.example.", "loop1.plain.example.", "out.plain.example.",
             "_sip._udp.plain.example.", "b.c.d.plain.example.", "nx.plain.example.",
             "signed.example.", "www.signed.example.", "nx.signed.example.", "a.wild.signed.example.",
             "child.signed.example.", "secure.signed.example.", "x.redir.signed.example.",
             "nsec.example.", "nx.nsec.example.", "a.wild.nsec.example.", "other.test."]
    types = ["A", "AAAA", "MX", "NS", "SOA", "TXT", "SRV", "ANY", "DNSKEY", "DS", "NSEC3PARAM", "CNAME"]
    for i, name in enumerate(names):
        for j, t in enumerate(types[: 3 + i % 5]):
            variant = (i + j) % 4
            if variant == 0:
                q = dns.message.make_query(name, t, use_edns=False)
            elif variant == 1:
                q = dns.message.make_query(name, t, want_dnssec=True, payload=1232)
            elif variant == 2:
                q = dns.message.make_query(name, t, use_edns=0, payload=4096,
                                           options=[dns.edns.GenericOption(3, b""),
                                                    dns.edns.GenericOption(10, bytes(range(8)))])
            else:
                q = dns.message.make_query(name, t, want_dnssec=True, payload=512)
                q.flags |= dns.flags.CD
            out.append(q.to_wire())
    return out


def load(origin):
    return dns.zone.from_file(os.path.join(HERE, "zones", origin + "zone"), origin, relativize=False,
                              check_origin=False)


def sigs_for(zone, name, rdtype):
    node = zone.get_node(name)
    if node is None:
        return None
    return node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, rdtype)


def add(section, name, rdataset):
    if rdataset is not None:
        rr = dns.rrset.RRset(name, rdataset.rdclass, rdataset.rdtype, rdataset.covers)
        rr.update(rdataset)
        section.append(rr)


def response(zone, qname, qtype, dnssec):
    q = dns.message.make_query(qname, qtype, want_dnssec=dnssec, payload=1232)
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AA
    name = dns.name.from_text(qname)
    t = dns.rdatatype.from_text(qtype)
    node = zone.get_node(name)
    found = node.get_rdataset(dns.rdataclass.IN, t) if node else None
    cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME) if node else None
    if found is None and cname is not None:
        found, t = cname, dns.rdatatype.CNAME
    if found is not None:
        add(r.answer, name, found)
        if dnssec:
            add(r.answer, name, sigs_for(zone, name, t))
        return r.to_wire(max_size=65535)
    if node is None:
        r.set_rcode(dns.rcode.NXDOMAIN)
    soa = zone.origin
    add(r.authority, soa, zone.get_node(soa).get_rdataset(dns.rdataclass.IN, dns.rdatatype.SOA))
    if dnssec:
        add(r.authority, soa, sigs_for(zone, soa, dns.rdatatype.SOA))
        for n, nd in zone.nodes.items():
            for kind in (dns.rdatatype.NSEC, dns.rdatatype.NSEC3):
                rs = nd.get_rdataset(dns.rdataclass.IN, kind)
                if rs is not None:
                    add(r.authority, n, rs)
                    add(r.authority, n, sigs_for(zone, n, kind))
    return r.to_wire(max_size=65535)


def referral(zone, child, glue):
    q = dns.message.make_query("www." + child, "A", want_dnssec=True)
    r = dns.message.make_response(q)
    c = dns.name.from_text(child)
    node = zone.get_node(c)
    add(r.authority, c, node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NS))
    for t in (dns.rdatatype.DS, dns.rdatatype.NSEC):
        add(r.authority, c, node.get_rdataset(dns.rdataclass.IN, t))
        add(r.authority, c, sigs_for(zone, c, t))
    g = dns.name.from_text(glue)
    add(r.additional, g, zone.get_node(g).get_rdataset(dns.rdataclass.IN, dns.rdatatype.A))
    return r.to_wire(max_size=65535)


def responses():
    out = []
    for origin in ("signed.example.", "nsec.example.", "plain.example."):
        zone = load(origin)
        for name, qtype in (("", "SOA"), ("", "DNSKEY"), ("", "MX"), ("www.", "A"), ("host.", "AAAA"),
                            ("nx.", "A"), ("host.", "TXT"), ("a.wild.", "A"), ("redir.", "DNAME")):
            for dnssec in (True, False):
                out.append(response(zone, name + origin, qtype, dnssec))
        out.append(referral(zone, "child." + origin, "ns.child." + origin))
        if origin != "plain.example.":
            out.append(referral(zone, "secure." + origin, "ns.secure." + origin))
    # Record types the zones do not hold, in one answer each.
    for t, text in (("SVCB", "1 svc.example. alpn=h2,h3 port=443 ipv4hint=192.0.2.1"),
                    ("HTTPS", "1 . alpn=h2 ech=AQID ipv6hint=2001:db8::1"),
                    ("CAA", '0 issue "ca.example"'), ("TLSA", "3 1 1 ABCDEF"),
                    ("NAPTR", '10 20 "S" "SIP+D2U" "" _sip._udp.example.'),
                    ("LOC", "52 22 23.000 N 4 53 32.000 E -2.00m 1m 10000m 10m"),
                    ("SSHFP", "1 1 0123456789ABCDEF"), ("HINFO", "cpu os"),
                    ("NSEC3PARAM", "1 0 5 0123ABCD"), ("URI", '1 2 "https://example/"'),
                    ("APL", "1:192.0.2.0/24 !2:2001:db8::/32"), ("ZONEMD", "1 1 1 " + "AB" * 48),
                    ("CDS", "0 0 0 00"), ("OPENPGPKEY", "AQID"), ("TYPE65280", "\\# 3 010203")):
        q = dns.message.make_query("x.example.", t)
        r = dns.message.make_response(q)
        rr = dns.rrset.from_text("x.example.", 300, "IN", t, text)
        r.answer.append(rr)
        out.append(r.to_wire(max_size=65535))
    return out


def main():
    for packet in queries():
        write("message", packet)
        write("query_path", packet)
    for packet in responses():
        write("message", packet)
        write("validator", packet)
    zone_sources = [os.path.join(HERE, "zones", f) for f in sorted(os.listdir(os.path.join(HERE, "zones")))
                    if f.endswith(".zone") or f.endswith(".unsigned")]
    zone_sources += [os.path.join(SHARED, "rfc", "rfc5155-appendixA.zone"),
                     os.path.join(SHARED, "rfc", "rfc4592-wildcard.zone")]
    zone_sources += [os.path.join(ROOT, "examples", "zones", f)
                     for f in sorted(os.listdir(os.path.join(ROOT, "examples", "zones")))]
    for path in zone_sources:
        with open(path, "rb") as f:
            write("zone_file", f.read())
    for big, lines in (("root.zone", 120), ("gov.zone", 80), ("root.zone.2026082201-nosigs", 60)):
        with open(os.path.join(SHARED, big), "rb") as f:
            write("zone_file", b"".join(f.readline() for _ in range(lines)))
    write("zone_file", "$ORIGIN example.\n$TTL 1h\n@ SOA ns h ( 1 2 3\n 4 5 ) ; comment\n"
                       "$GENERATE 1-20/2 host-$ A 192.0.2.$\n$GENERATE 0-3 ${0,3,x} AAAA 2001:db8::${1,4,X}\n"
                       "@ ALIAS target.example.\nq\\.x TXT \"a\\\"b\" \\065 \"\"\n$INCLUDE other.zone sub\n"
                       "w 1w2d3h IN CAA 0 issue \"x\"\nw TYPE65280 \\# 2 ABCD\n")
    with open(os.path.join(ROOT, "examples", "flatns.yaml"), "rb") as f:
        write("config", f.read())
    write("config", "server:\n  listen: [\"127.0.0.1:5353\", \"[::1]:5353\"]\n  workers: 2\n  nsid: fuzz\n"
                    "  tcp_idle_timeout_ms: 5000\n  tcp_max_connections: 64\n  log_level: debug\n"
                    "zones:\n  - name: example.com\n    file: zones/example.com.zone\n    flatten: all\n"
                    "resolver:\n  mode: forward\n  forwarders: [\"127.0.0.1:53\"]\n"
                    "  trust_anchors: keys/root.ds\n  dnssec: validate\n"
                    "flatten:\n  deadline_ms: 1200\n  serve_stale: true\n  stale_max_s: 86400\n"
                    "  max_ttl: 3600\n  min_ttl: 0\n")
    write("config", "resolver:\n  mode: recursive\n  root_hints: [\"198.41.0.4\", \"2001:503:ba3e::2:30\"]\n"
                    "  dnssec: off\nzones: []\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
