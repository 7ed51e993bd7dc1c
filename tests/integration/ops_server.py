"""A flatns with the operations features on (issue 17): a control socket, a
metrics endpoint and dnstap, each optional, on a zone the test rewrites.
Ports: DNS from 127.0.0.1:23000-23499, metrics from 23500-23999."""

import os
import random
import socket
import subprocess

import harness

harness.PORT_RANGE = (23000, 23499)
METRICS_RANGE = (23500, 23999)
ORIGIN = "ops.example"
OTHER = "other.example"


def zone_text(serial, extra=""):
    return (f"$ORIGIN {ORIGIN}.\n$TTL 300\n"
            f"@ IN SOA ns1 hostmaster {serial} 3600 600 86400 300\n"
            "@ IN NS ns1\nns1 IN A 192.0.2.53\nwww IN A 192.0.2.1\nwww IN AAAA 2001:db8::1\n" + extra)


def other_zone_text():
    return (f"$ORIGIN {OTHER}.\n$TTL 300\n@ IN SOA ns1 hostmaster 7 3600 600 86400 300\n"
            "@ IN NS ns1\nns1 IN A 192.0.2.54\n")


def free_tcp_port(low, high):
    for _ in range(200):
        port = random.randint(low, high)
        s = socket.socket()
        try:
            s.bind((harness.HOST, port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free metrics port")


class OpsServer(harness.Flatns):
    """flatns serving ops.example and other.example from files in `folder`."""

    def __init__(self, binary, folder, control=True, metrics=False, dnstap=None, workers=2, extra=(),
                 zones_extra=(), sections=""):
        self.folder = folder
        self.zone_path = os.path.join(folder, f"{ORIGIN}.zone")
        self.other_path = os.path.join(folder, f"{OTHER}.zone")
        if not os.path.exists(self.zone_path):
            self.write_zone(zone_text(1))
        with open(self.other_path, "w") as f:
            f.write(other_zone_text())
        super().__init__(binary, [(ORIGIN, self.zone_path), (OTHER, self.other_path)])
        self.control = control
        self.metrics_port = free_tcp_port(*METRICS_RANGE) if metrics else None
        self.dnstap = dnstap  # e.g. "{file: /path}"
        self.workers = workers
        self.extra = list(extra)
        self.zones_extra = list(zones_extra)  # more lines under zones:
        self.sections = sections  # more top-level sections (e.g. resolver:), as YAML text

    def write_zone(self, text):
        tmp = self.zone_path + ".new"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.zone_path)

    def config_text(self):
        lines = ["server:", f'  listen: ["{harness.HOST}:{self.port}"]', f"  workers: {self.workers}"]
        if self.control:
            lines.append(f"  control: {self.socket_path}")
        if self.metrics_port:
            lines.append(f'  metrics: "{harness.HOST}:{self.metrics_port}"')
        if self.dnstap:
            lines.append(f"  dnstap: {self.dnstap}")
        lines += [f"  {x}" for x in self.extra]
        lines += ["zones:", f"  - name: {ORIGIN}", f"    file: {self.zone_path}",
                  f"  - name: {OTHER}", f"    file: {self.other_path}"]
        lines += [f"  {x}" for x in self.zones_extra]
        return "\n".join(lines) + "\n" + self.sections

    def _prepare(self):
        self.socket_path = os.path.join(self.dir, "control.sock")
        self.config_path = os.path.join(self.dir, "flatns.yaml")
        with open(self.config_path, "w") as f:
            f.write(self.config_text())
        return [self.binary, "serve", "-c", self.config_path]

    def ctl(self, *words, user=None, binary=None, timeout=30):
        argv = [binary or self.binary, "ctl", "-c", self.config_path, *words]
        if user:
            argv = ["runuser", "-u", user, "--"] + argv
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def records(stdout):
    """`name=value` records, one per line, as dicts (values unquoted)."""
    import shlex
    out = []
    for line in stdout.splitlines():
        out.append(dict(part.split("=", 1) for part in shlex.split(line)))
    return out
