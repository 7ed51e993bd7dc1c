"""The control channel (issue 17): every `flatns ctl` command against a
running flatns, a reload that fails (a broken zone, a broken config), a
flush, --json, bad commands, and a client that says nothing.

Usage: test_ops_ctl.py --flatns BIN --corpus DIR --examples DIR
"""

import json
import os
import shutil
import socket
import stat
import tempfile
import time
import unittest

import harness
from ops_server import ORIGIN, OTHER, OpsServer, records, zone_text

ARGS = None


class Control(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="flatns-it-ctl-")
        cls.server = OpsServer(ARGS.flatns, cls.tmp.name).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)
        cls.tmp.cleanup()

    def ctl_ok(self, *words):
        p = self.server.ctl(*words)
        self.assertEqual(p.returncode, 0, f"flatns ctl {' '.join(words)}: {p.stderr}{p.stdout}")
        return records(p.stdout)

    def test_socket_is_owner_only(self):
        mode = os.stat(self.server.socket_path).st_mode
        self.assertTrue(stat.S_ISSOCK(mode))
        self.assertEqual(stat.S_IMODE(mode), 0o600)

    def test_status(self):
        (r,) = self.ctl_ok("status")
        self.assertEqual((r["workers"], r["zones"], r["zones_failed"], r["reload"]), ("2", "2", "0", "idle"))
        self.assertEqual(r["records"], "8")  # 5 + 3 records in the two zones
        self.assertRegex(r["version"], r"^\d+\.\d+\.\d+$")
        self.assertGreaterEqual(int(r["uptime_s"]), 0)

    def test_zone_status(self):
        rows = self.ctl_ok("zone-status")
        self.assertEqual([r["zone"] for r in rows], [f"{ORIGIN}.", f"{OTHER}."])
        (other,) = self.ctl_ok("zone-status", OTHER)
        self.assertEqual((other["state"], other["serial"], other["records"], other["signed"], other["last_error"]),
                         ("loaded", "7", "3", "no", "-"))
        self.assertEqual(other["file"], self.server.other_path)
        p = self.server.ctl("zone-status", "nowhere.example")
        self.assertEqual(p.returncode, 1)
        self.assertIn("zone nowhere.example. is not in the configuration", p.stderr)

    def test_json_records(self):
        p = self.server.ctl("--json", "zone-status", OTHER)
        self.assertEqual(p.returncode, 0, p.stderr)
        (row,) = [json.loads(line) for line in p.stdout.splitlines()]
        self.assertEqual((row["zone"], row["serial"], row["records"]), (f"{OTHER}.", 7, 3))

    def test_reload_and_a_reload_that_fails(self):
        self.server.write_zone(zone_text(2))
        # `reload ZONE` reads that zone alone: the other zone's new file and a
        # broken configuration file are not looked at.
        with open(self.server.other_path) as f:
            other = f.read()
        with open(self.server.other_path, "w") as f:
            f.write(other.replace(" 7 3600 600", " 8 3600 600"))
        good = self.server.config_text()
        with open(self.server.config_path, "w") as f:
            f.write(good.replace("  workers: 2\n", "  workers: 2\n  bogus_key: 1\n"))
        try:
            (r,) = self.ctl_ok("reload", ORIGIN)
        finally:
            with open(self.server.config_path, "w") as f:
                f.write(good)
            with open(self.server.other_path, "w") as f:
                f.write(other)
        self.assertEqual((r["zone"], r["serial"]), (f"{ORIGIN}.", "2"))
        self.assertEqual(self.server.query(ORIGIN, "SOA").answer[0][0].serial, 2)
        self.assertEqual(self.server.query(OTHER, "SOA").answer[0][0].serial, 7)
        (z,) = self.ctl_ok("zone-status", ORIGIN)
        self.assertEqual((z["state"], z["serial"], z["last_error"]), ("loaded", "2", "-"))

        # A broken zone: exit 1, the error with file:line, the old zone still served.
        self.server.write_zone(zone_text(3, "bad IN A 192.0.2.300\n"))
        p = self.server.ctl("reload", ORIGIN)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn(f"zone {ORIGIN}. failed to load; still serving serial 2", p.stderr)
        self.assertIn(f'error="{self.server.zone_path}:8: A: \'192.0.2.300\' is not an IPv4 address"', p.stdout)
        (z,) = self.ctl_ok("zone-status", ORIGIN)
        self.assertEqual((z["state"], z["serial"]), ("failed-kept-previous", "2"))
        self.assertIn(f"{self.server.zone_path}:8:", z["last_error"])
        (s,) = self.ctl_ok("status")
        self.assertEqual(s["last_reload_result"], "zones-failed")
        p = self.server.ctl("reload")
        self.assertEqual(p.returncode, 1)
        self.assertIn("1 zone(s) failed to load; their previous versions are kept", p.stderr)
        self.assertEqual(self.server.query(ORIGIN, "SOA").answer[0][0].serial, 2)

        # A broken configuration: exit 1 naming the key; nothing changes.
        self.server.write_zone(zone_text(4))
        good = self.server.config_text()
        with open(self.server.config_path, "w") as f:
            f.write(good.replace("  workers: 2\n", "  workers: 2\n  bogus_key: 1\n"))
        try:
            p = self.server.ctl("reload")
            self.assertEqual(p.returncode, 1)
            self.assertIn("reload failed: 1 error(s) in", p.stderr)
            self.assertIn("server.bogus_key: unknown key", p.stdout)
            self.assertEqual(self.server.query(ORIGIN, "SOA").answer[0][0].serial, 2)
            (s,) = self.ctl_ok("status")
            self.assertEqual(s["last_reload_result"], "failed")
        finally:
            with open(self.server.config_path, "w") as f:
                f.write(good)
        self.ctl_ok("reload")
        self.assertEqual(self.server.query(ORIGIN, "SOA").answer[0][0].serial, 4)
        p = self.server.ctl("reload", "nowhere.example")
        self.assertEqual(p.returncode, 1)
        self.assertIn("not in the configuration", p.stderr)

    def test_zone_status_of_a_secondary_zone(self):
        """A secondary zone whose only primary does not answer: zone-status
        says it awaits its first transfer and which primary failed why."""
        folder = os.path.join(self.tmp.name, "secondary")
        os.makedirs(folder, exist_ok=True)
        primary = f"{harness.HOST}:9"  # discard: nothing answers DNS there
        secondary = ["- name: sec.example", f"  file: {folder}/sec.example.zone",
                     f'  primaries: [{{address: "{primary}"}}]']
        with OpsServer(ARGS.flatns, folder, zones_extra=secondary) as server:
            deadline = time.monotonic() + 15
            while True:
                p = server.ctl("zone-status", "sec.example")
                self.assertEqual(p.returncode, 0, p.stderr)
                (z,) = records(p.stdout)
                if z["transfer_error"] != "-" or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            self.assertEqual((z["state"], z["transfer"], z["transfer_serial"], z["last_refresh"]),
                             ("awaiting-transfer", "awaiting-first-transfer", "0", "never"), p.stdout)
            # The SOA check gets no answer, so the transfer itself is tried
            # (a primary may answer transfers only, as Knot does for catalogs).
            self.assertEqual(z["transfer_error"], f"AXFR from {primary}: connect: Connection refused")
            self.assertGreater(int(z["next_refresh_s"]), 0)
            (own,) = records(server.ctl("zone-status", ORIGIN).stdout)
            self.assertEqual(own["transfer"], "-")

    def test_flush(self):
        (r,) = self.ctl_ok("flush")
        self.assertEqual((r["flushed"], r["flattened_answers"]), (".", "0"))
        (r,) = self.ctl_ok("flush", "example.net")
        self.assertEqual(r["flushed"], "example.net.")
        p = self.server.ctl("flush", "bad..name")
        self.assertEqual(p.returncode, 1)
        self.assertIn("'bad..name' is not a domain name", p.stderr)

    def test_upstreams_and_flatten_status_empty(self):
        # No flattening here: nothing was asked upstream (the flatten-e2e
        # incident scenario checks a real table).
        self.assertEqual(self.ctl_ok("upstreams"), [])
        self.assertEqual(self.ctl_ok("flatten-status"), [])

    def test_stats(self):
        before = {(r["metric"], r.get("transport"), r.get("qtype")): int(r["value"]) for r in self.ctl_ok("stats")
                  if r["metric"] == "flatns_queries_total"}
        for _ in range(3):
            self.server.query(f"www.{ORIGIN}", "AAAA", tcp=True)
        after = {(r["metric"], r.get("transport"), r.get("qtype")): int(r["value"]) for r in self.ctl_ok("stats")
                 if r["metric"] == "flatns_queries_total"}
        key = ("flatns_queries_total", "tcp", "AAAA")
        self.assertEqual(after[key] - before[key], 3)

    def test_stats_udp_batches(self):
        def datagrams():
            return sum(int(r["value"]) for r in self.ctl_ok("stats")
                       if r["metric"] == "flatns_udp_receive_batch_datagrams_sum")
        before = datagrams()
        for _ in range(4):
            self.server.query(f"www.{ORIGIN}", "A")
        self.assertEqual(datagrams() - before, 4)

    def test_bad_commands(self):
        p = self.server.ctl("frobnicate")
        self.assertEqual(p.returncode, 1)
        self.assertIn("unknown command 'frobnicate'", p.stderr)
        p = self.server.ctl("status", "extra")
        self.assertEqual(p.returncode, 1)
        self.assertIn("too many arguments to status", p.stderr)
        p = self.server.ctl()
        self.assertEqual(p.returncode, 2)
        self.assertIn("missing COMMAND", p.stderr)

    def test_silent_client_blocks_nobody(self):
        silent = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(3)]
        for s in silent:
            s.connect(self.server.socket_path)
        half = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        half.connect(self.server.socket_path)
        half.sendall(b"text sta")  # no newline, ever
        try:
            start = time.monotonic()
            self.ctl_ok("status")
            self.assertLess(time.monotonic() - start, 2.0)
            self.assertEqual(self.server.query(ORIGIN, "SOA").rcode(), 0)
            # The server closes them by itself (after 5 s).
            half.settimeout(10)
            self.assertEqual(half.recv(100), b"")
        finally:
            for s in silent + [half]:
                s.close()

    def test_request_too_long(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.server.socket_path)
        s.settimeout(5)
        try:
            s.sendall(b"x" * 2000)
            self.assertEqual(s.recv(100), b"error request too long\n")
        finally:
            s.close()


class ControlNobody(unittest.TestCase):
    """The socket refuses other users: `flatns ctl` run as nobody."""

    def test_nobody_is_refused(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to run the client as nobody")
        tmp = tempfile.TemporaryDirectory(prefix="flatns-it-ctl-nobody-")
        os.chmod(tmp.name, 0o755)
        with OpsServer(ARGS.flatns, tmp.name) as server:
            # Let nobody read the config and reach the socket's folder: only the
            # socket's own mode (0600) and SO_PEERCRED stand in the way.
            os.chmod(server.dir, 0o755)
            os.chmod(server.config_path, 0o644)
            for path in (server.zone_path, server.other_path):
                os.chmod(path, 0o644)
            # The build tree may sit in a folder only root can enter (CI clones
            # into a mktemp -d): nobody runs a copy of the client from here.
            client = os.path.join(tmp.name, "flatns")
            shutil.copy2(ARGS.flatns, client)
            os.chmod(client, 0o755)
            p = server.ctl("status", user="nobody", binary=client)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertRegex(p.stderr, r"^flatns ctl: cannot connect to \S*control\.sock \(server\.control\): Permission denied")
            self.assertEqual(p.stdout, "")
            # Even with the mode opened up, the server checks who is asking.
            os.chmod(server.socket_path, 0o666)
            p = server.ctl("status", user="nobody", binary=client)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertEqual(p.stderr, "flatns ctl: permission denied\n")
            self.assertEqual(server.ctl("status").returncode, 0)
        tmp.cleanup()


if __name__ == "__main__":
    ARGS, argv = harness.parse_args()
    harness.die_after(200)
    harness.run_unittests(argv)
