"""The world the flattening end-to-end tests run in.

A signed hierarchy built and served by tests/resolver-e2e/hierarchy.py, on its
own addresses (127.54.x.y:53) so it never meets the resolver suite's 127.53:

  .              127.54.0.1                signed; its KSK's DS is the trust anchor
  tld1.          127.54.1.1 -> .201.1      signed; relays in front of NSD: 127.54.1.2's
                 127.54.1.2 -> .201.2      serves a copy whose signatures expired (the
                                           incident); 127.54.1.1 can be switched to it
  tld2.          127.54.2.1, 127.54.2.2    signed with NSEC3 opt-out
  tld3.          127.54.3.1, 127.54.3.2    both serve expired signatures
  tld4.          127.54.4.1, 127.54.4.2    relays to a good NSD (.204.1); switched to an
                                           expired copy (.214.1) to make both servers bad
  secure.tld1.   127.54.10.1               signed: www A+AAAA, alias CNAME -> www.unsigned.tld2.
  broken.tld1.   127.54.10.1               signed, www A's RRSIG corrupted
  unsigned.tld2. 127.54.10.1               unsigned (opt-out: insecure), two A records
  target.tld3.   127.54.10.1               signed, below the bad tld3
  flip.tld4.     127.54.10.1               signed, www A TTL 2, delegation TTL 2
  fading.tld2.   127.54.15.1, 127.54.15.2  relays to NSD (.215.1); www A TTL 2, pop A TTL 10;
                                           both relays go dark
  dead.tld2.     127.54.14.1, 127.54.14.2  relays that swallow every query
  closed.tld2.   127.54.16.1               nothing listens (ICMP port unreachable)

flatns serves unsigned customer zones (`CUSTOMERS`), one scenario each, whose
apex CNAME points into that hierarchy.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "resolver-e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "dnssec"))

import hierarchy  # noqa: E402  (tests/resolver-e2e)

UNBOUND_PORT = 25250
ROOT = "127.54.0.1"
GOOD_TLD1, GOOD_TLD1_BACKEND = "127.54.1.1", "127.54.201.1"
BAD_TLD1 = "127.54.1.2"          # the incident's bad server (a relay, counted)
BAD_TLD1_BACKEND = "127.54.201.2"
TLD4 = ("127.54.4.1", "127.54.4.2")
TLD4_GOOD, TLD4_EXPIRED = "127.54.204.1", "127.54.214.1"
FADING, FADING_BACKEND = ("127.54.15.1", "127.54.15.2"), "127.54.215.1"
DEAD = ("127.54.14.1", "127.54.14.2")
TARGETS_NS = "127.54.10.1"

ZONES = {
    **hierarchy.common_zones("127.54", delegations={
        ".": [("tld4.", hierarchy.tld_servers("127.54", "tld4."), 172800)],
        "tld2.": [("closed.tld2.", [("ns.closed.tld2.", "127.54.16.1")], 3600),
                  ("fading.tld2.", [("ns1.fading.tld2.", FADING[0]), ("ns2.fading.tld2.", FADING[1])], 2)],
    }, records={
        "secure.tld1.": ["www.secure.tld1. 600 IN A 192.0.2.11", "www.secure.tld1. 700 IN AAAA 2001:db8::1"],
        "unsigned.tld2.": ["www.unsigned.tld2. 900 IN A 192.0.2.12"],
    }),
    "tld4.": hierarchy.zone_text("tld4.", hierarchy.tld_servers("127.54", "tld4."),
                                 [("flip.tld4.", [("ns.flip.tld4.", TARGETS_NS)], 2)]),
    "flip.tld4.": hierarchy.zone_text("flip.tld4.", [("ns.flip.tld4.", TARGETS_NS)], minimum=2,
                                      records=["www.flip.tld4. 2 IN A 192.0.2.7"]),
    "fading.tld2.": hierarchy.zone_text("fading.tld2.", [("ns1.fading.tld2.", FADING[0]),
                                                         ("ns2.fading.tld2.", FADING[1])], minimum=2,
                                        records=["www.fading.tld2. 2 IN A 192.0.2.6",
                                                 "pop.fading.tld2. 10 IN A 192.0.2.8"]),
}

LAYOUT = hierarchy.Layout(
    zones=ZONES,
    signing_order=["secure.tld1.", "broken.tld1.", "target.tld3.", "flip.tld4.", "fading.tld2.",
                   "tld1.", "tld2.", "tld3.", "tld4.", "."],
    parent={"secure.tld1.": "tld1.", "broken.tld1.": "tld1.", "target.tld3.": "tld3.",
            "flip.tld4.": "tld4.", "fading.tld2.": "tld2.",
            "tld1.": ".", "tld2.": ".", "tld3.": ".", "tld4.": "."},
    unsigned={"unsigned.tld2."},
    servers={
        ROOT: ["."],
        GOOD_TLD1_BACKEND: ["tld1."],
        BAD_TLD1_BACKEND: ["tld1..expired"],
        "127.54.2.1": ["tld2."],
        "127.54.2.2": ["tld2."],
        "127.54.3.1": ["tld3..expired"],
        "127.54.3.2": ["tld3..expired"],
        TLD4_GOOD: ["tld4."],
        TLD4_EXPIRED: ["tld4..expired"],
        TARGETS_NS: ["secure.tld1.", "broken.tld1.", "unsigned.tld2.", "target.tld3.", "flip.tld4."],
        FADING_BACKEND: ["fading.tld2."],
    },
    root_address=ROOT,
    unbound_port=UNBOUND_PORT,
    nsec3_optout={"tld2."},
    corrupt=[("broken.tld1.", "www.broken.tld1.", "A")],
    expired_only=set(),
    workdir_prefix="flatns-flatten-e2e-",
)

# Customer zones flatns serves (unsigned, flatten: apex): origin -> (apex
# CNAME TTL, apex CNAME target). Each also holds SOA, NS, MX and TXT.
CUSTOMERS = {
    "chain.example.": (3600, "alias.secure.tld1."),   # signed CNAME into an insecure zone
    "secure.example.": (3600, "www.secure.tld1."),
    "short.example.": (45, "www.secure.tld1."),       # the customer's own CNAME is the minimum
    "broken.example.": (3600, "www.broken.tld1."),
    "gone.example.": (3600, "nope.secure.tld1."),     # secure NXDOMAIN
    "dead.example.": (3600, "www.dead.tld2."),
    "closed.example.": (3600, "www.closed.tld2."),
    "bogus.example.": (3600, "www.target.tld3."),     # both TLD servers expired
    "fading.example.": (3600, "www.fading.tld2."),
    "flip.example.": (3600, "www.flip.tld4."),
    "incident.example.": (3600, "www.secure.tld1."),
    "popular.example.": (3600, "pop.fading.tld2."),   # prefetch
}

DEADLINE_MS = 1000
MAX_TTL = 500


def customer_zone_text(origin):
    ttl, target = CUSTOMERS[origin]
    return f"""$ORIGIN {origin}
@ 3600 IN SOA ns.example. hostmaster.example. 1 3600 900 604800 60
@ 3600 IN NS ns.example.
@ {ttl} IN CNAME {target}
@ 3600 IN MX 10 mail.{origin}
@ 3600 IN TXT "customer zone {origin}"
mail 3600 IN A 198.51.100.25
"""


def control_socket(workdir, port):
    """The control socket (`flatns ctl`) of the flatns instance on `port`."""
    return os.path.join(workdir, f"control-{port}.sock")


def flatns_config(workdir, port, zones, **flatten):
    """Writes the zone files of `zones` (customer origins) and a config that
    resolves through the hierarchy; returns the config's path. `flatten`
    overrides or adds flatten.* settings (deadline_ms, failure_ttl_s, ...)."""
    flatten = {"deadline_ms": DEADLINE_MS, "serve_stale": "true", "max_ttl": MAX_TTL, **flatten}
    lines = ["server:", f'  listen: ["127.0.0.1:{port}"]', "  workers: 2",
             f"  control: {control_socket(workdir, port)}",
             "zones:" if zones else "zones: []"]
    for origin in zones:
        path = os.path.join(workdir, f"customer-{origin.rstrip('.')}.zone")
        with open(path, "w") as f:
            f.write(customer_zone_text(origin))
        lines += [f'  - name: "{origin}"', f'    file: "{path}"', "    flatten: apex"]
    lines += ["resolver:", f'  root_hints: ["{ROOT}"]', f"  trust_anchors: {workdir}/root.ds",
              "flatten:"] + [f"  {key}: {value}" for key, value in flatten.items()]
    config = os.path.join(workdir, f"flatns-{port}.yaml")
    with open(config, "w") as f:
        f.write("\n".join(lines) + "\n")
    return config
