#!/usr/bin/python3
"""Prints the TSIG test vectors of tests/dns/tsig_test.cpp, made by
dnspython's dns.tsig (an implementation independent of flatns).

Run: /usr/bin/python3 tests/data/tsig/make_vectors.py
Each vector: a query for example.com. AXFR (ID 0x1234) signed with key
"xfr-key." at time 1700000000, fudge 300, then a response to it (SOA of
example.com) signed with the query's MAC."""
import time

import dns.message
import dns.name
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring

SECRET = "c2VjcmV0LWtleS1mb3ItZmxhdG5zLXRzaWctdGVzdHM="  # "secret-key-for-flatns-tsig-tests"
time.time = lambda: 1700000000

for alg in ("hmac-sha256", "hmac-sha1", "hmac-sha384", "hmac-sha512"):
    key = dns.tsig.Key("xfr-key.", SECRET, alg + ".")
    q = dns.message.make_query("example.com.", "AXFR", use_edns=False)
    q.id = 0x1234
    q.flags = 0
    q.use_tsig(key, fudge=300)
    qw = q.to_wire()
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AA
    r.answer.append(dns.rrset.from_text("example.com.", 3600, "IN", "SOA",
                                        "ns1.example.com. host.example.com. 1 7200 3600 1209600 300"))
    rw = r.to_wire()
    print(f'{{"{alg}", "{qw.hex()}", "{rw.hex()}"}},')
