"""The IXFR journal survives a restart (issue 15): after a change on SIGHUP,
flatns keeps the difference in `<zone file>.ixfr-journal`; restarted, it
still answers an IXFR from the old serial with the difference alone. A
damaged journal file, or one that does not end at the zone served (the file
edited while flatns was stopped, serial unchanged), is ignored with a log
line naming the file, and the IXFR gets the whole zone: never a wrong
difference.

flatns listens on 127.0.0.1, a port from 27100-27199 (this folder's second
range, shared with test_expand.py, which picks free ports too).
Usage: test_journal_restart.py --flatns BIN
"""

import argparse
import os
import signal
import sys
import unittest

import dns.query
import dns.rdatatype

import peers
from test_expand import HOST, free_port

ZONE = "journal.example."
ARGS = None


def zone_text(serial, extra=""):
    lines = [f"$ORIGIN {ZONE}", "$TTL 3600", f"@ SOA ns1 hostmaster {serial} 7200 3600 1209600 300", "@ NS ns1",
             "ns1 A 192.0.2.53"]
    lines += [f"host{i} A 10.0.{i // 250}.{i % 250}" for i in range(300)]
    if serial >= 2:
        lines.append("added A 10.9.9.9")
    return "\n".join(lines) + "\n" + extra


def ixfr_records(port, serial):
    """The records of an IXFR from `serial`, one per rrset, in order."""
    out = []
    for message in dns.query.xfr(HOST, ZONE, rdtype=dns.rdatatype.IXFR, serial=serial, port=port, timeout=5,
                                 lifetime=10):
        out += [(rrset.name.to_text(), rrset.rdtype, rrset[0]) for rrset in message.answer for _ in rrset]
    return out


def is_incremental(records):
    """RFC 1995 4: the second record of an incremental answer is the old SOA."""
    return len(records) > 2 and records[1][1] == dns.rdatatype.SOA


class Flatns(peers.Process):
    name = "flatns"

    def __init__(self, binary, port):
        super().__init__(port)
        self.binary = binary
        self.zone_file = os.path.join(self.dir, "journal.example.zone")
        self.config = os.path.join(self.dir, "flatns.yaml")
        with open(self.config, "w") as f:
            f.write(f"""server:
  listen: ["{HOST}:{port}"]
  workers: 1
zones:
  - name: {ZONE}
    file: {self.zone_file}
    flatten: off
    allow_transfer: [{{address: {HOST}}}]
""")

    def run(self):
        return self.start([self.binary, "serve", "-c", self.config])

    def restart(self):
        self.stop()
        return self.run()


class JournalAcrossRestarts(unittest.TestCase):
    def test_journal_across_restarts(self):
        port = free_port(set())
        server = Flatns(ARGS.flatns, port)
        try:
            with open(server.zone_file, "w") as f:
                f.write(zone_text(1))
            server.run()
            server.wait_serial(ZONE, 1)
            with open(server.zone_file, "w") as f:
                f.write(zone_text(2))
            server.signal(signal.SIGHUP)
            server.wait_serial(ZONE, 2)
            records = ixfr_records(port, 1)
            self.assertTrue(is_incremental(records), records[:3])
            journal = server.zone_file + ".ixfr-journal"
            self.assertTrue(os.path.exists(journal), server.log())
            with open(journal, "rb") as f:
                good = f.read()

            server.restart()
            server.wait_serial(ZONE, 2)
            records = ixfr_records(port, 1)
            self.assertTrue(is_incremental(records), f"{records[:3]}\n{server.log()}")
            self.assertEqual(len(records), 5)  # SOA 2, SOA 1, SOA 2, the added A, SOA 2
            self.assertIn(f"IXFR journal {journal} read", server.log())

            damaged = bytearray(good)
            damaged[len(damaged) // 2] ^= 0x55
            server.stop()
            with open(journal, "wb") as f:
                f.write(damaged)
            server.run()
            server.wait_serial(ZONE, 2)
            records = ixfr_records(port, 1)
            self.assertFalse(is_incremental(records))
            self.assertGreater(len(records), 300)  # the whole zone, AXFR-style
            self.assertIn(f"IXFR journal {journal} ignored: checksum mismatch", server.log())

            # The zone edited while stopped, serial unchanged: the journal does not end at it.
            server.stop()
            with open(journal, "wb") as f:
                f.write(good)
            with open(server.zone_file, "w") as f:
                f.write(zone_text(2, "sneaked A 10.8.8.8\n"))
            server.run()
            server.wait_serial(ZONE, 2)
            records = ixfr_records(port, 1)
            self.assertFalse(is_incremental(records))
            self.assertIn(f"IXFR journal {journal} ignored: it ends at serial 2 but the zone served is serial 2 "
                          "with other records", server.log())
        finally:
            server.cleanup()


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--flatns", required=True)
    ARGS, rest = parser.parse_known_args()
    ARGS.flatns = os.path.abspath(ARGS.flatns)
    result = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2).result
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
