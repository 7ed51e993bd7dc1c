"""The installed service (issue 17): `cmake --install` into a scratch prefix
puts sbin/flatns, flatns(8), flatns.yaml(5), etc/flatns/flatns.yaml, the
systemd unit and the sysusers file in place; the packaged config passes
`flatns check-config`; the man pages render without warnings; and
`systemd-analyze verify` accepts the unit (Type=notify, reload by SIGHUP,
an unprivileged user with CAP_NET_BIND_SERVICE only).
Exit 77 (skipped) without systemd-analyze or man.

Usage: test_install.py --build BUILD_DIR
"""

import argparse
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

BUILD = None


class InstallTree(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="flatns-install-")
        cls.prefix = os.path.join(cls.tmp.name, "prefix")
        p = subprocess.run(["cmake", "--install", BUILD, "--prefix", cls.prefix], capture_output=True, text=True,
                           timeout=60)
        assert p.returncode == 0, p.stdout + p.stderr

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def path(self, *parts):
        return os.path.join(self.prefix, *parts)

    def test_files_are_in_place(self):
        binary = self.path("sbin", "flatns")
        self.assertTrue(os.stat(binary).st_mode & stat.S_IXUSR)
        for rel in ("share/man/man8/flatns.8", "share/man/man5/flatns.yaml.5", "etc/flatns/flatns.yaml",
                    "lib/systemd/system/flatns.service", "lib/sysusers.d/flatns.conf",
                    "share/doc/flatns/examples/flatns.yaml"):
            self.assertTrue(os.path.isfile(self.path(rel)), rel)
        p = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 0)

    def test_packaged_config_checks(self):
        p = subprocess.run([self.path("sbin", "flatns"), "check-config", "-c", self.path("etc/flatns/flatns.yaml")],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_man_pages_render(self):
        for page in ("share/man/man8/flatns.8", "share/man/man5/flatns.yaml.5"):
            p = subprocess.run(["man", "--warnings", "-l", self.path(page)], capture_output=True, text=True,
                               timeout=30, env={**os.environ, "MANWIDTH": "80", "PAGER": "cat"})
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stderr, "", page)
            self.assertIn("flatns", p.stdout)

    def test_unit(self):
        unit = self.path("lib/systemd/system/flatns.service")
        with open(unit) as f:
            text = f.read()
        for line in ("Type=notify", f"ExecStart={self.prefix}/sbin/flatns serve -c {self.prefix}/etc/flatns/flatns.yaml",
                     "ExecReload=/bin/kill -HUP $MAINPID", "User=flatns", "AmbientCapabilities=CAP_NET_BIND_SERVICE",
                     "CapabilityBoundingSet=CAP_NET_BIND_SERVICE", "NoNewPrivileges=yes", "RuntimeDirectory=flatns"):
            self.assertIn(line + "\n", text)
        env = {**os.environ, "MANPATH": self.path("share/man") + ":", "SYSTEMD_LOG_LEVEL": "warning"}
        p = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True, text=True, timeout=60, env=env)
        # verify prints nothing but real problems (a non-zero exit for errors).
        problems = [l for l in (p.stdout + p.stderr).splitlines() if "flatns" in l]
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(problems, [], p.stdout + p.stderr)


def main():
    global BUILD
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    args, rest = parser.parse_known_args()
    BUILD = os.path.abspath(args.build)
    for tool in ("systemd-analyze", "man"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} is not installed (Debian: systemd, man-db)", file=sys.stderr)
            sys.exit(77)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
