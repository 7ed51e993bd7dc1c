#!/usr/bin/python3
"""Writes the seed corpora under fuzz/corpus/<target>/ (run once; the output is
committed). Packets are made with dnspython: queries as clients send them, and
responses built from the zones in fuzz/zones (with their RRSIGs and NSEC/NSEC3
proofs, so the validator target starts from answers that validate). Zone and
config seeds are snippets of real files: fuzz/zones, examples/ and the test
corpus (IANA root zone, .gov, RFC 5155 and RFC 4592 zones). Query-path seeds
cover every fixed zone (fuzz/zones) with DO=0/1, EDNS options (NSID, cookies,
padding, client subnet, unknown) and payload sizes that force truncation,
plus the malformed packets of issue 7's hostile list. The resolver_response
seeds are recorded by the fuzz binary itself (FLATNS_FUZZ_RECORD=DIR), not here.
The cache_file seeds are flattened-answer cache files (flatten/cache_file.h)
written here in that layout: A and AAAA answers, NODATA, NXDOMAIN, the most
addresses an entry holds, and an empty file of entries.
   make_seeds.py [TARGET...]   (default: every target)"""
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
CORPUS = os.path.join(ROOT, "tests", "data", "corpus")


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


QUERY_PATH_NAMES = {
    "plain.example.": ["", "www.", "web.", "host.", "ns1.", "mail.", "x.wild.", "sub.wild.", "a.b.wild.",
                       "child.", "a.child.", "ns.child.", "redir.", "x.redir.", "a.b.redir.", "loop1.", "out.",
                       "_sip._udp.", "b.c.d.", "c.d.", "nx.", "NX.Deep.nx."],
    "signed.example.": ["", "www.", "host.", "nx.", "a.wild.", "wild.", "child.", "x.child.", "secure.",
                        "www.secure.", "x.redir.", "redir.", "mail.", "43f56q0upgsifctehngkl8fdq59n0sko."],
    "nsec.example.": ["", "www.", "nx.", "a.wild.", "b.a.wild.", "child.", "secure.", "x.secure.", "x.redir.",
                      "host.", "zzz."],
    "optout.example.": ["", "www.", "host.", "nx.", "a.wild.", "sub.wild.", "x.sub.wild.", "ent.", "b.ent.",
                        "a.b.ent.", "ins1.", "x.ins1.", "ins2.", "ins3.", "ns.ins3.", "ins4.", "y.ins4.",
                        "x.y.ins4.", "a.x.y.ins4.", "secure.", "www.secure.", "redir.", "x.redir.", "out.",
                        "dangling."],
    "flat.example.": ["", "alias.", "aname.", "short.", "dangling.", "delegated.", "dnamed.", "outside.",
                      "wild.", "nodata.", "loop1.", "toloop.", "x.w.", "w.", "c1.", "c3.", "c14.", "nx."],
}
QUERY_PATH_TYPES = ["A", "AAAA", "MX", "NS", "SOA", "TXT", "SRV", "ANY", "DNSKEY", "DS", "NSEC", "NSEC3",
                    "NSEC3PARAM", "RRSIG", "CNAME", "DNAME", "PTR", "CAA", "TYPE65401", "TYPE65305"]


def edns_variant(q, n):
    """The EDNS shapes clients send: none, DO=1 at 1232, small and large
    payloads, NSID, client and server cookies, padding, client subnet,
    keepalive and an unknown option."""
    nsid = dns.edns.GenericOption(3, b"")
    cookie = dns.edns.GenericOption(10, bytes(range(8)))
    server_cookie = dns.edns.GenericOption(10, bytes(range(8)) + bytes([1, 0, 0, 0]) + bytes(12))
    unknown = dns.edns.GenericOption(65001, b"\x01\x02\x03")
    ecs = dns.edns.GenericOption(8, bytes([0, 1, 24, 0, 192, 0, 2]))
    padding = dns.edns.GenericOption(12, bytes(32))
    keepalive = dns.edns.GenericOption(11, b"")
    shapes = [
        dict(edns=False),
        dict(edns=0, ednsflags=dns.flags.DO, payload=1232),
        dict(edns=0, ednsflags=dns.flags.DO, payload=512, options=[nsid]),
        dict(edns=0, payload=4096, options=[nsid, cookie]),
        dict(edns=0, ednsflags=dns.flags.DO, payload=65535, options=[server_cookie, padding]),
        dict(edns=0, ednsflags=dns.flags.DO, payload=100, options=[unknown, ecs, keepalive]),
        dict(edns=0, ednsflags=dns.flags.DO, payload=1400, options=[nsid, cookie, unknown]),
    ]
    shape = shapes[n % len(shapes)]
    q.use_edns(**shape)
    return q


def query_path_queries():
    out = []
    n = 0
    for origin, prefixes in QUERY_PATH_NAMES.items():
        for i, prefix in enumerate(prefixes):
            count = 2 + (i * 7 + len(origin)) % 5
            for j in range(count):
                t = QUERY_PATH_TYPES[(i * 3 + j * 5 + len(prefix)) % len(QUERY_PATH_TYPES)]
                if j == 0:
                    t = "A"
                elif j == 1:
                    t = "AAAA" if i % 2 else "MX"
                q = edns_variant(dns.message.make_query(prefix + origin, t), n)
                if n % 5 == 0:
                    q.flags |= dns.flags.CD
                if n % 3 == 0:
                    q.flags &= ~dns.flags.RD
                n += 1
                out.append(q.to_wire())
    # Answers that need truncation: large RRsets with DO=1 at the smallest
    # payloads, over UDP (the target also answers each packet over TCP).
    for name, t in (("signed.example.", "DNSKEY"), ("optout.example.", "ANY"), ("nx.optout.example.", "A"),
                    ("nx.signed.example.", "TXT"), ("nsec.example.", "DNSKEY"), ("x.ins1.optout.example.", "A")):
        for payload in (512, 600, 1232):
            q = dns.message.make_query(name, t, want_dnssec=True, payload=payload)
            out.append(q.to_wire())
        out.append(dns.message.make_query(name, t, want_dnssec=True, use_edns=False).to_wire())
    out.extend(hostile_queries())
    # Fixed IDs, so a rerun writes the same files.
    return [bytes([i >> 8 & 0xFF, i & 0xFF]) + p[2:] if len(p) >= 2 else p for i, p in enumerate(out)]


def hostile_queries():
    """Malformed and unusual queries with a defined outcome (DROP, FORMERR,
    NOTIMP, BADVERS, REFUSED): the packet shapes of issue 7's hostile list."""
    base = dns.message.make_query("www.plain.example.", "A", want_dnssec=True).to_wire()
    header, rest = base[:12], base[12:]
    out = [base[:11], base[:12], b"\x12\x34"]
    out.append(header[:2] + bytes([header[2] | 0x80]) + header[3:] + rest)                 # QR=1
    for opcode in (1, 2, 4, 5, 15):                                                        # IQUERY..UPDATE
        out.append(header[:2] + bytes([(header[2] & 0x87) | (opcode << 3)]) + header[3:] + rest)
    out.append(header[:4] + b"\x00\x00" + header[6:] + rest)                               # QDCOUNT 0
    q2 = dns.message.make_query("www.plain.example.", "A", use_edns=False).to_wire()
    out.append(q2[:4] + b"\x00\x02" + q2[6:] + q2[12:])                                     # QDCOUNT 2
    out.append(q2[:6] + b"\x00\x05" + q2[8:])                                             # ANCOUNT past the end
    out.append(q2[:12] + b"\xc0\x0c" + q2[-4:])                                           # pointer loop
    out.append(q2[:12] + b"\xc0\x20" + q2[-4:] + bytes(20))                               # forward pointer
    out.append(q2[:12] + b"\x40" + b"a" * 64 + b"\x00" + q2[-4:])                          # label over 63
    out.append(q2[:12] + (b"\x3f" + b"a" * 63) * 4 + b"\x00" + q2[-4:])                    # name over 255
    out.append(base + b"\x00\x01\x02")                                                  # trailing garbage
    opt = base[-11:]
    out.append(base[:10] + b"\x00\x02" + base[12:] + opt)                                 # two OPT
    out.append(base[:6] + b"\x00\x01" + base[8:10] + b"\x00\x00" + base[12:])            # OPT in answer
    v1 = dns.message.make_query("plain.example.", "SOA", use_edns=1).to_wire()              # BADVERS
    out.append(v1)
    for t in ("AXFR", "IXFR", "OPT", "MAILB", "TKEY", "TSIG"):
        out.append(dns.message.make_query("plain.example.", t, use_edns=0).to_wire())
    for cls in ("CH", "ANY", "NONE", "HS"):
        out.append(dns.message.make_query("plain.example.", "A", rdclass=cls).to_wire())
    out.append(dns.message.make_query("WwW.PlAiN.ExAmPlE.", "A").to_wire())
    out.append(dns.message.make_query(".", "NS").to_wire())
    out.append(dns.message.make_query("example.", "SOA", use_edns=0).to_wire())
    bad_opt = base[:-11] + b"\x00\x00\x29\x04\xd0\x00\x00\x80\x00\x00\x05\x00\x0a\x00\x09\x01"
    out.append(bad_opt)                                                                    # option past RDLENGTH
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


def cache_file(entries, saved_ms=1_800_000_000_000):
    """A flattened-answer cache file in flatten/cache_file.h's layout;
    entries: (target, type, kind, secure, age_ms, ttl, left, addresses)."""
    import ipaddress
    import struct
    body = b""
    for target, rdtype, kind, secure, age_ms, ttl, left, addresses in entries:
        wire = dns.name.from_text(target).canonicalize().to_wire()
        body += struct.pack("!B", len(wire)) + wire
        body += struct.pack("!HBBQIIB", dns.rdatatype.from_text(rdtype), kind, secure, saved_ms - age_ms, ttl, left,
                            len(addresses))
        body += b"".join(ipaddress.ip_address(a).packed for a in addresses)
    header = b"FLATNSAC" + struct.pack("!IQII", 1, saved_ms, len(entries), len(body))
    return header + hashlib.sha256(header + body).digest() + body


def cache_files():
    a, nodata, nx = 1, 2, 3
    yield cache_file([])
    yield cache_file([("www.example.net.", "A", a, 1, 10_000, 300, 290, ["192.0.2.1", "192.0.2.2"])])
    yield cache_file([("edge.cdn.test.", "AAAA", a, 0, 0, 60, 60, ["2001:db8::1"]),
                      ("gone.example.", "A", nx, 1, 5_000, 120, 115, []),
                      ("empty.example.", "AAAA", nodata, 1, 400_000, 300, 0, [])])
    yield cache_file([("many.example.", "A", a, 1, 1, 3600, 3599, [f"198.51.100.{i}" for i in range(8)])])


def main(argv):
    """With target names as arguments, writes only those targets' seeds."""
    wanted = set(argv) or {"message", "query_path", "validator", "resolver_response", "zone_file", "config",
                           "cache_file"}
    if "cache_file" in wanted:
        for data in cache_files():
            write("cache_file", data)
    if "message" in wanted:
        for packet in queries():
            write("message", packet)
    for packet in query_path_queries():
        if "message" in wanted:
            write("message", packet)
        if "query_path" in wanted:
            write("query_path", packet)
    if not wanted & {"message", "validator", "zone_file", "config"}:
        return 0
    for packet in responses():
        write("message", packet)
        write("validator", packet)
    zone_sources = [os.path.join(HERE, "zones", f) for f in sorted(os.listdir(os.path.join(HERE, "zones")))
                    if f.endswith(".zone") or f.endswith(".unsigned")]
    zone_sources += [os.path.join(CORPUS, "rfc", "rfc5155-appendixA.zone"),
                     os.path.join(CORPUS, "rfc", "rfc4592-wildcard.zone")]
    zone_sources += [os.path.join(ROOT, "examples", "zones", f)
                     for f in sorted(os.listdir(os.path.join(ROOT, "examples", "zones")))]
    for path in zone_sources:
        with open(path, "rb") as f:
            write("zone_file", f.read())
    for big, lines in (("root.zone", 120), ("gov.zone", 80), ("root.zone.2026082201-nosigs", 60)):
        with open(os.path.join(CORPUS, big), "rb") as f:
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
    sys.exit(main(sys.argv[1:]))
