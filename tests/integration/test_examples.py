"""examples/ as the README presents it: flatns.yaml passes check-config, its
zones pass check-zone, and the README's queries give the answers it promises,
including the flattened apex CNAME of example.com (its target,
www.example.net, is served here, so it is resolved locally: DESIGN.md
"Flattening rules"). Also: check-config and check-zone name file:line of a
problem and exit 1.

Usage: test_examples.py --flatns BIN --corpus DIR --examples DIR
"""

import os
import re
import subprocess
import tempfile
import unittest

import dns.flags
import dns.rcode
import dns.rdatatype

import harness

ARGS = None
SERVER = None
TMP = None


class ExampleConfig(harness.Flatns):
    """flatns serve with examples/flatns.yaml itself, moved to a free port
    and with its zone paths made absolute."""

    def _prepare(self):
        with open(os.path.join(ARGS.examples, "flatns.yaml")) as f:
            text = f.read()
        text, n = re.subn(r'listen: \[.*\]', f'listen: ["{harness.HOST}:{self.port}"]', text)
        assert n == 1, "examples/flatns.yaml has one listen line"
        # Zone files are read from examples/; flatten.cache_file stays relative, so
        # it is written beside the copied config, never into the source tree.
        text = re.sub(r"(?<![_a-z])file: (\S+)", lambda m: "file: " + os.path.join(ARGS.examples, m.group(1)), text)
        self.config_path = os.path.join(self.dir, "flatns.yaml")
        with open(self.config_path, "w") as f:
            f.write(text)
        return [self.binary, "serve", "-c", self.config_path]


def setUpModule():
    global SERVER, TMP
    TMP = tempfile.TemporaryDirectory(prefix="flatns-it-examples-")
    SERVER = ExampleConfig(ARGS.flatns, [("example.com", None)]).__enter__()


def tearDownModule():
    if SERVER:
        SERVER.__exit__(None, None, None)
    if TMP:
        TMP.cleanup()


def run(*argv):
    return subprocess.run([ARGS.flatns, *argv], capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)


class Checks(unittest.TestCase):
    def test_example_config_is_clean(self):
        p = run("check-config", "-c", os.path.join(ARGS.examples, "flatns.yaml"))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_example_zones_are_clean(self):
        for origin in ("example.com", "example.net", "example.org"):
            with self.subTest(zone=origin):
                p = run("check-zone", origin, os.path.join(ARGS.examples, "zones", origin + ".zone"))
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_check_zone_names_the_line_at_fault(self):
        path = os.path.join(TMP.name, "bad.example.zone")
        with open(path, "w") as f:
            f.write("$ORIGIN bad.example.\n$TTL 300\n"
                    "@ IN SOA ns admin 1 2 3 4 5\n"
                    "  IN NS ns\n"
                    "ns IN A 192.0.2.300\n")          # line 5: not an IPv4 address
        p = run("check-zone", "bad.example", path)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn(f"{path}:5", p.stdout + p.stderr)

    def test_check_config_names_the_key_at_fault(self):
        path = os.path.join(TMP.name, "bad.yaml")
        with open(path, "w") as f:
            f.write("server:\n  listen: [\"127.0.0.1:21000\"]\n"
                    "zones:\n  - name: example.net\n"
                    f"    file: {os.path.join(ARGS.examples, 'zones', 'example.net.zone')}\n"
                    "    flatten: sometimes\n")       # line 6
        p = run("check-config", "-c", path)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn(f"{path}:6", p.stdout + p.stderr)
        self.assertIn("zones[0].flatten", p.stdout + p.stderr)


class ReadmeQueries(unittest.TestCase):
    def dig(self, *args):
        return harness.run_tool(["dig", "@" + harness.HOST, "-p", str(SERVER.port), "+time=3",
                                 "+tries=1", *args])

    def test_apex_soa_mx_txt(self):
        self.assertEqual(self.dig("+short", "example.com", "SOA").split(),
                         "ns1.example.com. hostmaster.example.com. 2026113001 7200 3600 1209600 300".split())
        self.assertEqual(sorted(self.dig("+short", "example.com", "MX").splitlines()),
                         ["10 mail.example.com.", "20 mail.example.net."])
        self.assertEqual(self.dig("+short", "example.com", "TXT").strip(), '"v=spf1 mx -all"')

    def test_apex_cname_is_flattened_to_served_zone(self):
        for tcp in (False, True):
            with self.subTest(tcp=tcp):
                r = SERVER.query("example.com", "A", tcp=tcp)
                self.assertEqual(r.rcode(), dns.rcode.NOERROR)
                self.assertTrue(r.flags & dns.flags.AA)
                # The target's records under the query name; TTL = min over the
                # chain (CNAME 3600, A 300).
                self.assertEqual(harness.rrset_texts(r.answer),
                                 ["example.com. 300 IN A 198.51.100.80",
                                  "example.com. 300 IN A 198.51.100.81"])
                r = SERVER.query("example.com", "AAAA", tcp=tcp)
                self.assertEqual(harness.rrset_texts(r.answer),
                                 ["example.com. 300 IN AAAA 2001:db8:100::80"])

    def test_flattened_cname_is_never_shown(self):
        r = SERVER.query("example.com", "CNAME")
        self.assertEqual(r.rcode(), dns.rcode.NOERROR)
        self.assertEqual(r.answer, [], "query type CNAME at a flattened name is NODATA")
        self.assertEqual([rrset.rdtype for rrset in r.authority], [dns.rdatatype.SOA])
        r = SERVER.query("example.com", "ANY")
        self.assertNotIn(dns.rdatatype.CNAME, [rrset.rdtype for rrset in r.answer])

    def test_readme_queries(self):
        out = self.dig("+short", "shop.example.com", "A").split()
        self.assertEqual(out[:2], ["cdn.example.net.", "www.example.net."])
        self.assertEqual(sorted(out[2:]), ["198.51.100.80", "198.51.100.81"])
        self.assertEqual(self.dig("+short", "foo.apps.example.com", "A").split(), ["192.0.2.100"])
        out = self.dig("host.sub.example.com", "A")
        self.assertIn("status: NOERROR", out)
        self.assertNotRegex(out, r"flags:[^;]* aa[ ;]", "a referral has AA=0")
        self.assertRegex(out, r"sub\.example\.com\.\s+3600\s+IN\s+NS\s+ns1\.sub\.example\.com\.")
        self.assertRegex(out, r"ns1\.sub\.example\.com\.\s+3600\s+IN\s+A\s+192\.0\.2\.201")
        out = self.dig("nope.example.com", "A")
        self.assertIn("status: NXDOMAIN", out)
        self.assertRegex(out, r"example\.com\.\s+300\s+IN\s+SOA")
        out = harness.run_tool(["kdig", "@" + harness.HOST, "-p", str(SERVER.port), "+tcp", "+short",
                                "example.net", "MX"])
        self.assertEqual(out.strip(), "10 mail.example.net.")


if __name__ == "__main__":
    ARGS, argv = harness.parse_args()
    harness.die_after(120)
    unittest.main(argv=argv, verbosity=2)
