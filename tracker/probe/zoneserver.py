"""A real authoritative DNS server on loopback: zones declared in Python, faults on demand.

The test suite, the demo (`make run`) and the benchmarks serve their zones with it;
it has no Django import and belongs to no layer above the engine.

In the spirit of dnspython's tests/nanonameserver.py: tests declare records in
a plain dict, the code under test talks real DNS (UDP and TCP) to it, nothing
is mocked. Faults (timeout, SERVFAIL, REFUSED, truncation, spoofed answers)
and latency are injected per name so every failure path can be exercised.

    with ZoneServer() as server:
        server.set_records({"example.com": {"TXT": ["v=spf1 -all"], "MX": [(10, "mx.example.com")]}})
        server.set_fault("broken.example", "servfail")
        ...  # point a resolver at server.address
        assert server.count("example.com", "TXT") == 1

Records: {name: {TYPE: values}}; a single value may stand for a one-item list.
A, AAAA, CNAME, PTR, NS take text; MX takes (preference, host) or "10 host"; SRV
(priority, weight, port, target) or its text; TLSA (usage, selector, type, hex) or
"3 1 1 <hex>"; any other type dnspython knows, its text form;
each TXT/SPF value is one RR: a str (cut in 255-byte strings) or a tuple or list
of character-strings. Names are case-insensitive; a name with no records but
names below it exists (NODATA). Records go out in the order declared (never
shuffled), so "the first 10 PTR names" means the same thing on every run. A
CNAME chain is followed inside the declared data; a chain that comes back to a
name already on it (a loop) is answered SERVFAIL, as a recursive resolver
would. No wildcards, no SOA in negative answers.
Faults (FAULTS below) apply per name, or per name and type.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from dns.rdtypes.ANY.SPF import SPF
from dns.rdtypes.ANY.TXT import TXT

# What a fault makes the server do with a matching query.
FAULTS = (
    "timeout",  # never answer
    "servfail",  # rcode SERVFAIL
    "refused",  # rcode REFUSED
    "formerr",  # rcode FORMERR
    "truncate",  # UDP: TC bit and no records; TCP: the full answer
    "wrong-id",  # answer with another message id (a spoofing attempt): must be ignored
    "wrong-question",  # answer for another name: must be ignored
    "garbage",  # bytes that are not a DNS message
    "lose-first",  # drop the next datagram only (lost on the way), then answer as usual
)

_TTL = 300
_MAX_CNAME_HOPS = 8
Records = Mapping[str, Mapping[str, Iterable[Any]]]


@dataclass(frozen=True, slots=True)
class LoggedQuery:
    """One question the server received, in arrival order."""

    name: str  # lower case, no trailing dot
    rdtype: str
    transport: str  # "udp" or "tcp"
    query_id: int = 0  # a resent datagram keeps its id; a new attempt gets a new one


def _normalize(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _txt_strings(value: Any) -> list[bytes]:
    """One TXT RR: a str (split in 255-byte chunks) or a list/tuple of character-strings."""
    parts = value if isinstance(value, (list, tuple)) else [value]
    strings: list[bytes] = []
    for part in parts:
        data = part.encode() if isinstance(part, str) else bytes(part)
        if len(parts) > 1 and len(data) > 255:
            raise ValueError(f"TXT character-string over 255 bytes: {data[:40]!r}...")
        strings.extend([data[i : i + 255] for i in range(0, len(data), 255)] or [b""])
    return strings


def _make_rdata(rdtype: dns.rdatatype.RdataType, value: Any) -> dns.rdata.Rdata:
    if rdtype == dns.rdatatype.TXT:
        return TXT(dns.rdataclass.IN, rdtype, _txt_strings(value))
    if rdtype == dns.rdatatype.SPF:
        return SPF(dns.rdataclass.IN, rdtype, _txt_strings(value))
    if rdtype == dns.rdatatype.MX and isinstance(value, (list, tuple)):
        preference, exchange = value
        value = f"{int(preference)} {exchange}"
    elif isinstance(value, (list, tuple)):  # SRV, TLSA, ...: the fields of the text form, in order
        value = " ".join(str(part) for part in value)
    return dns.rdata.from_text(dns.rdataclass.IN, rdtype, str(value), origin=dns.name.root, relativize=False)


def _compile(records: Records) -> dict[dns.name.Name, dict[int, dns.rrset.RRset]]:
    """Turn the test's plain dict into RRsets once, so answering is cheap and typos fail early."""
    zone: dict[dns.name.Name, dict[int, dns.rrset.RRset]] = {}
    for raw_name, by_type in records.items():
        name = dns.name.from_text(_normalize(raw_name) or ".", idna_codec=dns.name.IDNA_2008_Practical)
        rrsets = zone.setdefault(name, {})
        for type_text, values in by_type.items():
            rdtype = dns.rdatatype.from_text(type_text.upper())
            if isinstance(values, (str, bytes)) or (rdtype == dns.rdatatype.MX and _is_mx_pair(values)):
                values = [values]
            rrset = dns.rrset.RRset(name, dns.rdataclass.IN, rdtype)
            rrset.update_ttl(_TTL)
            for value in values:
                rrset.add(_make_rdata(rdtype, value))
            rrsets[rdtype] = rrset
    return zone


def _is_mx_pair(values: Any) -> bool:
    return isinstance(values, tuple) and len(values) == 2 and isinstance(values[0], int)


def _empty_non_terminals(zone: Mapping[dns.name.Name, Any]) -> set[dns.name.Name]:
    """Names with no records but something declared below them: they exist (NODATA, not NXDOMAIN)."""
    names: set[dns.name.Name] = set()
    for name in zone:
        parent = name
        while len(parent) > 1:
            parent = parent.parent()
            names.add(parent)
    return names - set(zone)


def has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


class ZoneServer:
    """An authoritative server on 127.0.0.1 (or ::1), UDP and TCP on one OS-picked port."""

    __test__ = False  # not a pytest test class

    def __init__(self, host: str = "127.0.0.1", latency: float = 0.0):
        self.host = host
        self.latency = latency
        self._zone: dict[dns.name.Name, dict[int, dns.rrset.RRset]] = {}
        self._existing: set[dns.name.Name] = set()
        self._faults: dict[tuple[str, str | None], str] = {}
        self._log: list[LoggedQuery] = []
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._udp_sock, self._tcp_sock = self._bind_same_port(host)
        self.port: int = self._udp_sock.getsockname()[1]

    # -- declaring what to serve ------------------------------------------------------------

    def set_records(self, records: Records) -> None:
        """Replace everything served: {name: {TYPE: [values]}}; see the module docstring for value forms."""
        zone = _compile(records)
        existing = set(zone) | _empty_non_terminals(zone)
        with self._lock:
            self._zone, self._existing = zone, existing

    def add_records(self, records: Records) -> None:
        """Add or replace (per name and type) records without touching the others."""
        zone = dict(self._zone)
        for name, rrsets in _compile(records).items():
            zone[name] = {**zone.get(name, {}), **rrsets}
        existing = set(zone) | _empty_non_terminals(zone)
        with self._lock:
            self._zone, self._existing = zone, existing

    def set_fault(self, name: str, fault: str | None, rdtype: str | None = None) -> None:
        """Make queries for name (optionally only of rdtype) misbehave; fault None removes it."""
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; choose from {FAULTS}")
        key = (_normalize(name), rdtype.upper() if rdtype else None)
        with self._lock:
            if fault is None:
                self._faults.pop(key, None)
            else:
                self._faults[key] = fault

    def reset(self) -> None:
        """Forget records, faults, latency and the query log (a fresh server, same port)."""
        with self._lock:
            self._zone, self._existing = {}, set()
            self._faults.clear()
            self._log.clear()
            self._counts.clear()
        self.latency = 0.0

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()
            self._counts.clear()

    # -- what was asked ----------------------------------------------------------------------

    @property
    def address(self) -> str:
        """The nameserver string a Resolver takes: "127.0.0.1:PORT" or "[::1]:PORT"."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def query_count(self) -> int:
        return len(self._log)

    @property
    def queries(self) -> list[LoggedQuery]:
        with self._lock:
            return list(self._log)

    def count(self, name: str, rdtype: str | None = None) -> int:
        """How many times name (and rdtype, if given) was asked, over UDP and TCP."""
        name = _normalize(name)
        with self._lock:
            if rdtype is not None:
                return self._counts[(name, rdtype.upper())]
            return sum(n for (qname, _), n in self._counts.items() if qname == name)

    def attempts(self, name: str, rdtype: str | None = None) -> int:
        """How many distinct queries (query ids) asked name: datagrams sent again count once."""
        name = _normalize(name)
        with self._lock:
            return len(
                {
                    (query.query_id, query.transport)
                    for query in self._log
                    if query.name == name and (rdtype is None or query.rdtype == rdtype.upper())
                }
            )

    # -- life cycle --------------------------------------------------------------------------

    def start(self) -> ZoneServer:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="test-dns-server", daemon=True)
        self._thread.start()
        if not ready.wait(5):
            raise RuntimeError("test DNS server did not start")
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(5)
        self._thread = None

    def __enter__(self) -> ZoneServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @staticmethod
    def _bind_same_port(host: str) -> tuple[socket.socket, socket.socket]:
        """UDP and TCP on the same free port (the OS picks the UDP one; retry if TCP's is taken)."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        for _ in range(50):
            udp = socket.socket(family, socket.SOCK_DGRAM)
            udp.bind((host, 0))
            tcp = socket.socket(family, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                tcp.bind((host, udp.getsockname()[1]))
            except OSError:
                udp.close()
                tcp.close()
                continue
            udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            tcp.listen(128)
            return udp, tcp
        raise RuntimeError("no free port for UDP and TCP")

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        udp_transport, _ = loop.run_until_complete(
            loop.create_datagram_endpoint(lambda: _UdpProtocol(self), sock=self._udp_sock)
        )
        tcp_server = loop.run_until_complete(asyncio.start_server(self._serve_tcp, sock=self._tcp_sock))
        ready.set()
        try:
            loop.run_forever()
        finally:
            udp_transport.close()
            tcp_server.close()
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.run_until_complete(asyncio.sleep(0))
            loop.run_until_complete(tcp_server.wait_closed())
            loop.close()

    # -- answering ---------------------------------------------------------------------------

    def answer(self, wire: bytes, transport: str) -> bytes | None:
        """The reply to one query message, or None to stay silent."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        if query.flags & dns.flags.QR or len(query.question) != 1:
            return None
        question = query.question[0]
        qname = question.name.to_text(omit_final_dot=True).lower()
        qtype_text = dns.rdatatype.to_text(question.rdtype)
        with self._lock:
            self._log.append(LoggedQuery(qname, qtype_text, transport, query.id))
            self._counts[(qname, qtype_text)] += 1
            fault = self._faults.get((qname, qtype_text)) or self._faults.get((qname, None))
            if fault == "lose-first":  # one datagram lost on the way, then the link is fine
                self._faults.pop((qname, qtype_text), None) or self._faults.pop((qname, None), None)
                return None
            zone, existing = self._zone, self._existing

        if fault == "timeout":
            return None
        if fault == "garbage":
            return wire[:2] + b"\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00\xffgarbage"  # header, then nonsense
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if fault in ("servfail", "refused", "formerr"):
            response.set_rcode(dns.rcode.from_text(fault.upper()))
        elif fault == "truncate" and transport == "udp":
            response.flags |= dns.flags.TC
        else:
            self._fill(response, question.name, question.rdtype, zone, existing)
        if fault == "wrong-id":
            response.id = (query.id + 1) & 0xFFFF
        if fault == "wrong-question":
            response.question[0] = dns.rrset.RRset(
                dns.name.from_text("spoofed." + qname), question.rdclass, question.rdtype
            )
        return self._to_wire(response, query, transport)

    @staticmethod
    def _fill(response: dns.message.Message, qname: dns.name.Name, qtype: int, zone, existing) -> None:
        """Answer section per RFC 1034 4.3.2: records, or a CNAME chain followed inside our data."""
        name = qname
        seen = set()
        for _ in range(_MAX_CNAME_HOPS):
            if name in seen:  # a CNAME loop: what a recursive resolver reports for it
                response.set_rcode(dns.rcode.SERVFAIL)
                return
            seen.add(name)
            rrsets = zone.get(name)
            if rrsets is None:
                if name not in existing:
                    response.set_rcode(dns.rcode.NXDOMAIN)
                return
            if qtype in rrsets:
                response.answer.append(rrsets[qtype])
                return
            cname = rrsets.get(dns.rdatatype.CNAME)
            if cname is None:
                return  # NODATA
            response.answer.append(cname)
            name = cname[0].target

    @staticmethod
    def _to_wire(response: dns.message.Message, query: dns.message.Message, transport: str) -> bytes:
        # want_shuffle=False: the records in the order the test declared them (dnspython shuffles).
        if transport == "tcp":
            return response.to_wire(max_size=65535, want_shuffle=False)
        limit = max(512, query.payload) if query.edns >= 0 else 512
        try:
            return response.to_wire(max_size=limit, want_shuffle=False)
        except dns.exception.TooBig:
            response.answer.clear()
            response.authority.clear()
            response.flags |= dns.flags.TC
            return response.to_wire(max_size=limit, want_shuffle=False)

    def _delayed(self, send, payload: bytes) -> None:
        if self.latency > 0 and self._loop is not None:
            self._loop.call_later(self.latency, send, payload)
        else:
            send(payload)

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                (length,) = struct.unpack("!H", await reader.readexactly(2))
                reply = self.answer(await reader.readexactly(length), "tcp")
                if reply is None:
                    continue
                if self.latency > 0:
                    await asyncio.sleep(self.latency)
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: ZoneServer):
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        reply = self.server.answer(data, "udp")
        if reply is not None and self.transport is not None:
            transport = self.transport
            self.server._delayed(lambda payload: transport.sendto(payload, addr), reply)


if __name__ == "__main__":
    import argparse
    import json
    import time

    parser = argparse.ArgumentParser(
        description="Serve records from a JSON file on loopback until interrupted."
    )
    parser.add_argument("records", help='JSON file: {"name": {"TXT": ["..."]}}')
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    with open(args.records) as fh, ZoneServer(latency=args.latency) as srv:
        srv.set_records(json.load(fh))
        print(srv.address, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
