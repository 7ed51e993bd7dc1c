"""The signed test hierarchy, built fresh in a temporary folder for every run.

Keys come from ldns-keygen and zones are signed by ldns-signzone (ldnsutils),
with inception one hour ago and expiration two weeks ahead, so the tests never
age. The hierarchy under the test trust anchor `test.`:

  test.          ECDSAP256SHA256 (13), NSEC
    rsa.test.      RSASHA256 (8), NSEC             secure delegation (DS in test.)
      ins.rsa.test.  unsigned                      insecure: NSEC proves no DS
    ed.test.       ED25519 (15), NSEC3, salted     secure delegation
      ins.ed.test.   unsigned                      insecure: matching NSEC3 without DS
      sec.ed.test.   ECDSAP256SHA256 (13), NSEC    secure delegation under NSEC3
    oo.test.       ECDSAP256SHA256 (13), NSEC3 opt-out
      ins.oo.test.   unsigned                      opt-out span: no NSEC3 of its own
      ins2.oo.test.  unsigned                      opt-out flag on a matching NSEC3
      sec.oo.test.   RSASHA256 (8), NSEC3          secure delegation under opt-out
    insec.test.    unsigned                        insecure: NSEC in test. proves no DS

ldns-signzone -p still gives every insecure delegation an NSEC3 of its own; the
`ins.oo.test.` delegation is therefore appended after signing (NS and glue are
never signed), which leaves its name inside an opt-out span exactly as an
opt-out signer would (RFC 5155 section 6).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "zones")

# Signature validity around "now": fresh signatures instead of val-override-date.
INCEPTION_OFFSET_S = -3600
EXPIRATION_OFFSET_S = 14 * 86400


@dataclasses.dataclass
class ZoneSpec:
    name: str                      # absolute, lower case, trailing dot
    algorithm: str | None = None   # ldns-keygen algorithm name; None: unsigned zone
    denial: str = "nsec"           # nsec | nsec3 | nsec3-optout
    ext_target: str = ""           # target of the cross-zone CNAME `ext`
    nsec3_salt: str = ""           # hex; empty: no salt (RFC 9276)
    after_signing: bool = False    # delegation added to the signed parent afterwards
    path: str = ""                 # zone file served (filled by build)
    ds: list[str] = dataclasses.field(default_factory=list)  # DS lines for the parent

    @property
    def signed(self) -> bool:
        return self.algorithm is not None

    @property
    def parent(self) -> str:
        return self.name.split(".", 1)[1] if self.name != "test." else "."


HIERARCHY = [
    ZoneSpec("test.", "ECDSAP256SHA256", "nsec", ext_target="www.rsa.test."),
    ZoneSpec("rsa.test.", "RSASHA256", "nsec", ext_target="www.ed.test."),
    ZoneSpec("ins.rsa.test."),
    ZoneSpec("ed.test.", "ED25519", "nsec3", ext_target="www.oo.test.", nsec3_salt="0a1b2c3d"),
    ZoneSpec("ins.ed.test."),
    ZoneSpec("sec.ed.test.", "ECDSAP256SHA256", "nsec", ext_target="www.test."),
    ZoneSpec("oo.test.", "ECDSAP256SHA256", "nsec3-optout", ext_target="www.insec.test."),
    ZoneSpec("ins.oo.test.", after_signing=True),
    ZoneSpec("ins2.oo.test."),
    ZoneSpec("sec.oo.test.", "RSASHA256", "nsec3", ext_target="www.sec.ed.test."),
    ZoneSpec("insec.test."),
]


class FixtureError(RuntimeError):
    pass


def _run(cmd: list[str], cwd: str) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise FixtureError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def _keygen(spec: ZoneSpec, ksk: bool, keydir: str) -> str:
    cmd = ["ldns-keygen", "-a", spec.algorithm, "-r", "/dev/urandom"]
    if spec.algorithm.startswith("RSA"):
        cmd += ["-b", "2048" if ksk else "1024"]
    if ksk:
        cmd.append("-k")
    cmd.append(spec.name.rstrip("."))
    return _run(cmd, keydir).strip()


def _children(spec: ZoneSpec, zones: list[ZoneSpec]) -> list[ZoneSpec]:
    return [z for z in zones if z.parent == spec.name]


def _delegation_lines(child: ZoneSpec) -> list[str]:
    lines = [f"{child.name} 3600 IN NS ns1.{child.name}",
             f"ns1.{child.name} 3600 IN A 127.0.0.1"]
    return lines + child.ds


class Hierarchy:
    """All zones of HIERARCHY, written and signed under `workdir`."""

    def __init__(self, workdir: str):
        self.workdir = workdir
        self.zones = [dataclasses.replace(z, ds=[]) for z in HIERARCHY]
        self.trust_anchor = os.path.join(workdir, "trust-anchor.ds")
        self.now = int(time.time())

    def zone(self, name: str) -> ZoneSpec:
        return next(z for z in self.zones if z.name == name)

    def build(self) -> "Hierarchy":
        keydir = os.path.join(self.workdir, "keys")
        os.makedirs(keydir, exist_ok=True)
        # Children before parents: a parent needs its children's DS records.
        for spec in sorted(self.zones, key=lambda z: -z.name.count(".")):
            if spec.signed:
                self._sign(spec, keydir)
            else:
                self._write_unsigned(spec)
        with open(self.trust_anchor, "w") as out:
            out.write("\n".join(self.zone("test.").ds) + "\n")
        return self

    def _template(self, name: str) -> str:
        with open(os.path.join(TEMPLATES, name)) as f:
            return f.read()

    def _write_unsigned(self, spec: ZoneSpec) -> None:
        spec.path = os.path.join(self.workdir, spec.name + "zone")
        with open(spec.path, "w") as out:
            out.write(f"$ORIGIN {spec.name}\n" + self._template("unsigned.zone.in"))

    def _sign(self, spec: ZoneSpec, keydir: str) -> None:
        children = _children(spec, self.zones)
        delegations = [line for c in children if not c.after_signing for line in _delegation_lines(c)]
        text = (f"$ORIGIN {spec.name}\n" + self._template("signed.zone.in")
                .replace("@@EXT_TARGET@@", spec.ext_target)
                .replace("@@DELEGATIONS@@", "\n".join(delegations)))
        unsigned = os.path.join(self.workdir, spec.name + "unsigned")
        with open(unsigned, "w") as out:
            out.write(text)

        # Two keys with one key tag (1 in 65,536) share file names: the ZSK's
        # would overwrite the KSK's while the KSK's .ds stays. Make them anew.
        ksk = zsk = _keygen(spec, True, keydir)
        for _ in range(5):
            zsk = _keygen(spec, False, keydir)
            if zsk != ksk:
                break
            ksk = _keygen(spec, True, keydir)
        if zsk == ksk:
            raise FixtureError(f"ldns-keygen gave {spec.name} two keys with one tag five times")
        with open(os.path.join(keydir, ksk + ".ds")) as f:
            spec.ds = [line.strip() for line in f if line.strip()]

        spec.path = os.path.join(self.workdir, spec.name + "zone")
        cmd = ["ldns-signzone", "-o", spec.name,
               "-i", str(self.now + INCEPTION_OFFSET_S),
               "-e", str(self.now + EXPIRATION_OFFSET_S), "-f", spec.path]
        if spec.denial.startswith("nsec3"):
            cmd += ["-n", "-t", "0"]
            if spec.nsec3_salt:
                cmd += ["-s", spec.nsec3_salt]
            if spec.denial == "nsec3-optout":
                cmd.append("-p")
        cmd += [unsigned, os.path.join(keydir, zsk), os.path.join(keydir, ksk)]
        _run(cmd, self.workdir)

        late = [line for c in children if c.after_signing for line in _delegation_lines(c)]
        if late:
            if spec.denial != "nsec3-optout":
                raise FixtureError(f"{spec.name}: a delegation added after signing needs NSEC3 opt-out")
            with open(spec.path, "a") as out:
                out.write("\n".join(late) + "\n")


def build_hierarchy(workdir: str) -> Hierarchy:
    return Hierarchy(workdir).build()
