"""The README's "Running a fleet" configurations are ones a user can copy:
every flatns block there passes `flatns check-config`, the Knot block
`knotc conf-check` and the BIND block `named-checkconf`, with the README's
placeholder secret replaced by a real one (and, for the snippets that show
only a zone or a catalog, the README's `keys:` block in front). The test
fails when the section loses one of its three kinds of server, so it
cannot pass by finding nothing.

Usage: test_readme_fleet.py --flatns BIN --readme README.md
"""

import argparse
import base64
import os
import re
import subprocess
import sys
import tempfile
import unittest

ARGS = None
SECRET = base64.b64encode(bytes(range(32))).decode()
SECTION = "## Running a fleet"


def fleet_blocks(readme_text):
    """(language, text) of each fenced block of the fleet section, in order."""
    start = readme_text.index(SECTION)
    end = readme_text.find("\n## ", start + len(SECTION))
    section = readme_text[start:end if end >= 0 else len(readme_text)]
    return re.findall(r"^```(\w*)\n(.*?)^```", section, flags=re.S | re.M)


def kind_of(language, text):
    if language == "yaml" and re.search(r"^(remote|acl):", text, flags=re.M):
        return "knot"
    if language == "yaml" and re.search(r"^(zones|catalogs):", text, flags=re.M):
        return "flatns"
    if language == "" and 'zone "' in text:
        return "bind"
    return None


def with_secret(text):
    return text.replace("base64...", SECRET)


def zone_text(origin):
    return (f"$ORIGIN {origin}.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 60\n"
            "@ NS ns1\nns1 A 192.0.2.1\n")


class ReadmeFleet(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(ARGS.readme, encoding="utf-8") as f:
            cls.blocks = [(kind_of(lang, text), text) for lang, text in fleet_blocks(f.read())]
        keys = [t for k, t in cls.blocks if k == "flatns" and re.search(r"^keys:", t, flags=re.M)]
        cls.keys_block = re.search(r"^keys:\n(?:[ -].*\n)+", keys[0], flags=re.M).group(0) if keys else ""

    def test_the_section_shows_each_kind_of_server(self):
        kinds = [k for k, _ in self.blocks]
        self.assertGreaterEqual(kinds.count("flatns"), 3, kinds)
        self.assertEqual(kinds.count("knot"), 1, kinds)
        self.assertEqual(kinds.count("bind"), 1, kinds)
        self.assertTrue(self.keys_block, "no flatns block of the section defines keys:")

    def test_flatns_blocks_pass_check_config(self):
        for number, (kind, text) in enumerate(self.blocks):
            if kind != "flatns":
                continue
            with self.subTest(block=number), tempfile.TemporaryDirectory() as folder:
                config = with_secret(text)
                if not re.search(r"^keys:", config, flags=re.M):
                    config = with_secret(self.keys_block) + config
                # Zone files the block serves from its own files (not the
                # secondaries' copies, which a transfer writes).
                for path in re.findall(r"file: (zones/(\S+)\.zone)", config):
                    os.makedirs(os.path.join(folder, "zones"), exist_ok=True)
                    with open(os.path.join(folder, path[0]), "w") as f:
                        f.write(zone_text(path[1]))
                for sub in ("secondary", "catalogs"):
                    os.makedirs(os.path.join(folder, sub), exist_ok=True)
                path = os.path.join(folder, "flatns.yaml")
                with open(path, "w") as f:
                    f.write(config)
                done = subprocess.run([ARGS.flatns, "check-config", "-c", path], cwd=folder,
                                      capture_output=True, text=True, timeout=30)
                self.assertEqual(done.returncode, 0, f"block {number}:\n{config}\n{done.stdout}{done.stderr}")

    def check_foreign(self, kind, filename, head, argv):
        """Each `kind` block, after `head`, in `filename`, passes argv(path)."""
        for text in (t for k, t in self.blocks if k == kind):
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, filename)
                with open(path, "w") as f:
                    f.write(head(folder) + with_secret(text))
                done = subprocess.run(argv(path), capture_output=True, text=True, timeout=30)
                self.assertEqual(done.returncode, 0, done.stdout + done.stderr)

    def test_knot_block_passes_conf_check(self):
        self.check_foreign("knot", "knot.conf",
                           lambda folder: f'server:\n  rundir: "{folder}"\ndatabase:\n  storage: "{folder}"\n',
                           lambda path: ["knotc", "-c", path, "conf-check"])

    def test_bind_block_passes_named_checkconf(self):
        self.check_foreign("bind", "named.conf", lambda folder: "", lambda path: ["named-checkconf", path])


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flatns", required=True)
    parser.add_argument("--readme", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
