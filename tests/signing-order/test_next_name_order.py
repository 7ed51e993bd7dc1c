#!/usr/bin/env python3
"""The compact-denial successor against dnspython's canonical ordering.

For each name N below "example." (short names, 254 and 255 octets, 63-octet
labels, \\255 octets and labels, uppercase), next_name_tool gives S; with
dnspython's Name ordering (RFC 4034 §6.1) we check S > N, S is a valid name
in the zone (or the apex after the last name), and that no valid name M
found by mutating N and S (octets incremented or appended, labels added,
removed or replaced) lies strictly between N and S: such an M would be
denied by an aggressive-NSEC resolver although it may exist
(the CVE-2026-39155 class). Usage: test_next_name_order.py TOOL
"""
import random
import subprocess
import sys

import dns.name

APEX = dns.name.from_text("example.")


def valid(labels):
    if any(len(l) > 63 or len(l) == 0 for l in labels[:-1]):
        return False
    return sum(len(l) + 1 for l in labels) <= 255


def to_wire(labels):
    return b"".join(bytes([len(l)]) + l for l in labels)


def from_wire(b):
    labels, pos = [], 0
    while True:
        n = b[pos]
        labels.append(b[pos + 1:pos + 1 + n])
        pos += 1 + n
        if n == 0:
            return tuple(labels)


def dname(labels):
    return dns.name.Name(labels)


def fill(rng, prefix_labels, target):
    """Labels added in front of prefix_labels up to `target` wire octets."""
    labels = list(prefix_labels)
    size = sum(len(l) + 1 for l in labels)
    while size < target:
        room = target - size
        n = min(63, room - 1) if room > 1 else 0
        if n <= 0:
            break
        alphabet = rng.choice([b"a", b"\xff", b"\x00", b"zZ@[", bytes(range(256))])
        labels.insert(0, bytes(rng.choice(alphabet) for _ in range(n)))
        size += n + 1
    return tuple(labels)


def corpus(rng):
    apex = (b"example", b"")
    names = [apex, (b"www",) + apex, (b"WwW",) + apex, (b"*",) + apex]
    for target in (200, 250, 252, 253, 254, 255):
        for _ in range(40):
            names.append(fill(rng, apex, target))
    # \255 labels and 63-octet labels at the limit.
    for first in (b"\xff", b"\xff" * 63, b"a\xff", b"a" * 63, b"a" * 62 + b"\xff", b"@", b"Z"):
        for target in (254, 255):
            base = fill(rng, apex, target - len(first) - 1)
            cand = (first,) + base
            if valid(cand):
                names.append(cand)
    return [n for n in names if valid(n)]


def mutations(rng, labels):
    """Valid names near `labels` (under the apex)."""
    out = []
    inner = len(labels) - 2  # labels above the apex
    for i in range(inner + 1):
        suffix = labels[i:]
        for _ in range(6):
            if i < inner:
                l = bytearray(labels[i])
                op = rng.randrange(4)
                if op == 0 and l:
                    l[-1] = min(255, l[-1] + rng.choice([0, 1]))
                elif op == 1:
                    l.append(rng.choice([0, 1, 0x61, 0xff]))
                elif op == 2 and len(l) > 1:
                    l.pop()
                else:
                    pos = rng.randrange(len(l)) if l else 0
                    if l:
                        l[pos] = min(255, l[pos] + 1)
                cand = (bytes(l),) + labels[i + 1:]
            else:
                cand = suffix
            # optionally children
            for extra in (0, 1, 2):
                c = cand
                for _ in range(extra):
                    c = (bytes([rng.choice([0, 1, 0x61, 0xff])]),) + c
                if valid(c) and len(c[0]) > 0:
                    out.append(c)
    return out


def main():
    tool = sys.argv[1]
    rng = random.Random(4471)
    names = corpus(rng)
    lines = "".join(to_wire(n).hex() + "\n" for n in names)
    res = subprocess.run([tool], input=lines, capture_output=True, text=True, check=True)
    outs = res.stdout.split()
    assert len(outs) == len(names), "tool output count"
    failures = 0
    for labels, out in zip(names, outs):
        if out == "error":
            print("FAIL: no successor for", dname(labels))
            failures += 1
            continue
        succ = from_wire(bytes.fromhex(out))
        n, s = dname(labels), dname(succ)
        lower = dname(tuple(l.lower() for l in labels))
        if not valid(succ):
            print("FAIL: successor not a valid name:", s)
            failures += 1
            continue
        wrapped = s == APEX
        if not wrapped and not (n < s):
            print("FAIL: successor not after the name:", n, s)
            failures += 1
            continue
        between = []
        for cand in mutations(rng, tuple(l.lower() for l in labels)) + mutations(rng, succ):
            m = dname(cand)
            if not m.is_subdomain(APEX):
                continue
            if lower < m and (wrapped or m < s):
                between.append(m)
        if between:
            print("FAIL:", n, "->", s, "skips", between[0])
            failures += 1
    print(f"{len(names)} names checked, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
