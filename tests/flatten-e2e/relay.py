"""A DNS relay on ADDRESS:53 (UDP and TCP) that stands for a name server.

It either passes every query to a backend server (an NSD on another loopback
address) and returns its answer, or swallows queries and never answers
("dark": a server that stopped answering). It records every query it receives
(time, transport, name, type) and when it answered, so a test can count what
a resolver asked a given server. The backend and the mode can be switched while
it runs.
"""

import dataclasses
import select
import socket
import struct
import threading
import time

import dns.message
import dns.rdatatype

import dnsquery  # tests/dnssec (on sys.path through world.py)


@dataclasses.dataclass
class Received:
    at: float                 # time.monotonic() when the query arrived
    transport: str            # "udp" | "tcp"
    question: str             # "name TYPE"
    answered_at: float = 0.0  # 0 when it was not answered


def _question(wire):
    try:
        q = dns.message.from_wire(wire).question[0]
        return f"{q.name} {dns.rdatatype.to_text(q.rdtype)}"
    except Exception:  # noqa: BLE001 -- a malformed query is still a query received
        return "(unparsed)"


class Relay:
    def __init__(self, address, backend=None):
        self.address = address
        self.backend = backend      # None: dark
        self.log = []
        self._lock = threading.Lock()
        self._stopping = False
        self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._udp.bind((address, 53))
        self._tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._tcp.bind((address, 53))
        self._tcp.listen(16)
        self._threads = [threading.Thread(target=self._serve_udp, daemon=True),
                         threading.Thread(target=self._serve_tcp, daemon=True)]
        for t in self._threads:
            t.start()

    # -- control --------------------------------------------------------------
    def forward_to(self, backend):
        self.backend = backend

    def go_dark(self):
        self.backend = None

    def received(self, since=0.0):
        with self._lock:
            return [r for r in self.log if r.at >= since]

    def close(self):
        self._stopping = True
        for s in (self._udp, self._tcp):
            try:
                s.close()
            except OSError:
                pass

    # -- serving --------------------------------------------------------------
    def _record(self, transport, wire):
        entry = Received(time.monotonic(), transport, _question(wire))
        with self._lock:
            self.log.append(entry)
        return entry

    def _serve_udp(self):
        while not self._stopping:
            try:
                ready, _, _ = select.select([self._udp], [], [], 0.2)
                if not ready:
                    continue
                wire, client = self._udp.recvfrom(65535)
            except (OSError, ValueError):
                return
            entry = self._record("udp", wire)
            backend = self.backend
            if backend is not None:
                threading.Thread(target=self._answer_udp, args=(wire, client, backend, entry),
                                 daemon=True).start()

    def _answer_udp(self, wire, client, backend, entry):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as up:
            up.settimeout(2.0)
            try:
                up.sendto(wire, (backend, 53))
                answer, _ = up.recvfrom(65535)
                if self.backend is None:   # went dark while the backend answered
                    return
                entry.answered_at = time.monotonic()
                self._udp.sendto(answer, client)
            except OSError:
                pass

    def _serve_tcp(self):
        while not self._stopping:
            try:
                ready, _, _ = select.select([self._tcp], [], [], 0.2)
                if not ready:
                    continue
                conn, _ = self._tcp.accept()
            except (OSError, ValueError):
                return
            threading.Thread(target=self._serve_connection, args=(conn,), daemon=True).start()

    def _serve_connection(self, conn):
        with conn:
            conn.settimeout(5.0)
            try:
                while not self._stopping:
                    wire = dnsquery.read_tcp_message(conn)
                    entry = self._record("tcp", wire)
                    backend = self.backend
                    if backend is None:
                        continue   # keep the connection open, answer nothing
                    with socket.create_connection((backend, 53), timeout=2.0) as up:
                        up.sendall(struct.pack("!H", len(wire)) + wire)
                        answer = dnsquery.read_tcp_message(up)
                    entry.answered_at = time.monotonic()
                    conn.sendall(struct.pack("!H", len(answer)) + answer)
            except OSError:
                return
