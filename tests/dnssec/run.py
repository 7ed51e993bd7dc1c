"""Entry point of the DNSSEC serving tests (registered with ctest).

usage: run.py FLATNS_BINARY CORPUS_DIR SUITE [--server nsd|flatns] [--port N] [--keep]

Every suite builds what it needs in a fresh temporary folder, starts its
servers on 127.0.0.1 ports from --port upwards (the flatns test range is
23000-23999), prints "N of M cases match", and exits 0 only when all match.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

try:
    import dns.message  # noqa: F401
except ImportError:
    sys.exit("dnspython is missing for " + sys.executable + " (Debian: python3-dnspython, /usr/bin/python3)")

import dnsquery
import suite_differential
import suite_flatten
import suite_no_do
import suite_oracle
import suite_truncation

SUITES = {
    "oracle": suite_oracle.run,                 # Unbound validates answers of --server
    "oracle-control": suite_oracle.run_control,  # ... and rejects damaged zones
    "diff-signed": suite_differential.run_signed,  # flatns vs NSD, DO=1, test hierarchy
    "diff-root": suite_differential.run_root,      # flatns vs NSD, DO=1, IANA root zone
    "no-do": suite_no_do.run,                   # DO=0 answers carry no DNSSEC records
    "tc-1232": suite_truncation.run,            # referrals with DS fit 1232 octets or set TC
    "flatten-refused": suite_flatten.run,       # flatten in a pre-signed zone is refused
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("flatns", help="path of the flatns binary")
    parser.add_argument("corpus", help="the test corpus folder (tests/data/corpus, with root.zone)")
    parser.add_argument("suite", choices=sorted(SUITES))
    parser.add_argument("--server", choices=["nsd", "flatns"], default="flatns",
                        help="server under test for oracle, no-do and tc-1232")
    parser.add_argument("--port", type=int, default=23900, help="first loopback port used")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--all-mismatches", action="store_true", help="print every mismatch")
    args = parser.parse_args()
    args.flatns = os.path.abspath(args.flatns)
    args.corpus = os.path.abspath(args.corpus)
    if args.all_mismatches:
        dnsquery.MAX_PRINTED = 1 << 30

    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix=f"flatns-dnssec-{args.suite}-")
    try:
        ok = SUITES[args.suite](args, workdir)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            import shutil
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"{args.suite} ({args.server}): {'PASS' if ok else 'FAIL'} in {time.monotonic() - started:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
