"""The DNS wire format, only as much as a stub resolver needs, decoded fast and defensively.

Why not dns.message.from_wire: it builds a full object graph (names, rdatas,
enums) per message, which caps one process near 1,500 answers per second.
Reading the answer section straight from the bytes is several times faster.
Every length and pointer is checked against the message, compression
pointers must point backwards (no loops), and anything odd is a WireError,
so a hostile answer can never crash or hang the sweep.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

__all__ = ["WireError", "Response", "RR", "build_query_body", "name_to_wire", "parse_response"]

TYPE_A, TYPE_NS, TYPE_CNAME, TYPE_SOA, TYPE_PTR, TYPE_MX, TYPE_TXT = 1, 2, 5, 6, 12, 15, 16
TYPE_AAAA, TYPE_SRV, TYPE_OPT, TYPE_TLSA, TYPE_SPF = 28, 33, 41, 52, 99
CLASS_IN = 1

FLAG_QR, FLAG_AA, FLAG_TC, FLAG_RD = 0x8000, 0x0400, 0x0200, 0x0100
RCODE_NOERROR, RCODE_FORMERR, RCODE_SERVFAIL, RCODE_NXDOMAIN, RCODE_REFUSED = 0, 1, 2, 3, 5
RCODE_NAMES = {
    0: "NOERROR",
    1: "FORMERR",
    2: "SERVFAIL",
    3: "NXDOMAIN",
    4: "NOTIMP",
    5: "REFUSED",
    16: "BADVERS",
}

_HEADER = struct.Struct("!HHHHHH")
_RR_FIXED = struct.Struct("!HHIH")  # type, class, ttl, rdlength
_TYPE_CLASS = struct.Struct("!HH")
_MAX_POINTER_HOPS = 64
_ESCAPED = frozenset(b'"().;\\@$')


class WireError(ValueError):
    """The bytes are not a well-formed DNS message."""


@dataclass(frozen=True, slots=True)
class RR:
    """One resource record of the answer section; rdata stays in the message until decoded."""

    owner: bytes  # uncompressed wire name, lower case
    rdtype: int
    rdclass: int
    start: int  # rdata offset in the message
    length: int


@dataclass(frozen=True, slots=True)
class Response:
    id: int
    flags: int
    rcode: int  # including the EDNS extended bits
    qname: bytes  # uncompressed wire name, lower case
    qtype: int
    qclass: int
    answer: tuple[RR, ...]
    authority_types: frozenset[int]
    message: bytes

    @property
    def truncated(self) -> bool:
        return bool(self.flags & FLAG_TC)

    def decode(self, rr: RR):
        """The record's value in the form docs/probe-interfaces.md gives for its type."""
        data, start, end = self.message, rr.start, rr.start + rr.length
        if rr.rdtype in (TYPE_TXT, TYPE_SPF):
            return _txt(data, start, end)
        if rr.rdtype == TYPE_A and rr.length == 4:
            return socket.inet_ntop(socket.AF_INET, data[start:end])
        if rr.rdtype == TYPE_AAAA and rr.length == 16:
            return socket.inet_ntop(socket.AF_INET6, data[start:end])
        if rr.rdtype == TYPE_MX and rr.length >= 3:
            exchange, after = read_name(data, start + 2)
            _expect_end(after, end)
            return (data[start] << 8 | data[start + 1], name_to_text(exchange))
        if rr.rdtype in (TYPE_CNAME, TYPE_PTR, TYPE_NS):
            target, after = read_name(data, start)
            _expect_end(after, end)
            return name_to_text(target)
        if rr.rdtype == TYPE_SRV and rr.length >= 7:
            # RFC 2782: priority, weight, port, target (not compressed, but read_name copes either way)
            priority, weight, port = struct.unpack_from("!HHH", data, start)
            target, after = read_name(data, start + 6)
            _expect_end(after, end)
            return (priority, weight, port, name_to_text(target))
        if rr.rdtype == TYPE_TLSA and rr.length >= 4:
            # RFC 6698 2.1: usage, selector, matching type, association data (lower-case hex)
            return (data[start], data[start + 1], data[start + 2], data[start + 3 : end].hex())
        raise WireError(f"bad rdata for type {rr.rdtype} ({rr.length} bytes)")

    def target(self, rr: RR) -> bytes:
        """A CNAME's target as a lower-case wire name (to follow the chain)."""
        name, after = read_name(self.message, rr.start)
        _expect_end(after, rr.start + rr.length)
        return name


def name_to_wire(labels: list[bytes]) -> bytes:
    return b"".join(bytes((len(label),)) + label for label in labels) + b"\x00"


def build_query_body(qname_wire: bytes, qtype: int, edns_payload: int = 1232) -> bytes:
    """A recursive query after its 2-byte id: flags RD, one question, an EDNS OPT record."""
    header = struct.pack("!HHHHH", FLAG_RD, 1, 0, 0, 1)
    opt = b"\x00" + struct.pack("!HHIH", TYPE_OPT, edns_payload, 0, 0)
    return header + qname_wire + struct.pack("!HH", qtype, CLASS_IN) + opt


def parse_response(data: bytes) -> Response:
    """Header, question, answer RRs (undecoded), authority types and the EDNS rcode bits."""
    if len(data) < 12:
        raise WireError("shorter than a DNS header")
    msg_id, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(data)
    if qdcount != 1:
        raise WireError(f"{qdcount} questions")
    qname, offset = read_name(data, 12)
    if offset + 4 > len(data):
        raise WireError("question cut short")
    qtype, qclass = _TYPE_CLASS.unpack_from(data, offset)
    offset += 4
    answer = []
    for _ in range(ancount):
        owner, offset = read_name(data, offset)
        rdtype, rdclass, _ttl, length, offset = _rr_fixed(data, offset)
        answer.append(RR(owner, rdtype, rdclass, offset, length))
        offset += length
    authority_types = set()
    for _ in range(nscount):
        offset = skip_name(data, offset)
        rdtype, _rdclass, _ttl, length, offset = _rr_fixed(data, offset)
        authority_types.add(rdtype)
        offset += length
    rcode = flags & 0x000F
    for _ in range(arcount):
        offset = skip_name(data, offset)
        rdtype, _rdclass, ttl, length, offset = _rr_fixed(data, offset)
        if rdtype == TYPE_OPT:
            rcode |= (ttl >> 24) << 4
        offset += length
    return Response(
        msg_id, flags, rcode, qname, qtype, qclass, tuple(answer), frozenset(authority_types), data
    )


def _rr_fixed(data: bytes, offset: int) -> tuple[int, int, int, int, int]:
    if offset + 10 > len(data):
        raise WireError("resource record cut short")
    rdtype, rdclass, ttl, length = _RR_FIXED.unpack_from(data, offset)
    offset += 10
    if offset + length > len(data):
        raise WireError("rdata runs past the end of the message")
    return rdtype, rdclass, ttl, length, offset


def read_name(data: bytes, offset: int) -> tuple[bytes, int]:
    """(lower-case uncompressed wire name, offset after the name where it started)."""
    parts = []
    total = 0
    end = -1
    hops = 0
    limit = len(data)
    while True:
        if offset >= limit:
            raise WireError("name runs past the end of the message")
        length = data[offset]
        if length == 0:
            parts.append(b"\x00")
            if end < 0:
                end = offset + 1
            break
        if length & 0xC0 == 0xC0:
            if offset + 1 >= limit:
                raise WireError("compression pointer cut short")
            pointer = (length & 0x3F) << 8 | data[offset + 1]
            if pointer >= offset:
                raise WireError("compression pointer does not point backwards")
            hops += 1
            if hops > _MAX_POINTER_HOPS:
                raise WireError("too many compression pointers")
            if end < 0:
                end = offset + 2
            offset = pointer
            continue
        if length & 0xC0:
            raise WireError("unknown label type")
        total += length + 1
        if total > 254:
            raise WireError("name too long")
        if offset + 1 + length > limit:
            raise WireError("name runs past the end of the message")
        parts.append(data[offset : offset + 1 + length])
        offset += 1 + length
    return b"".join(parts).lower(), end


def skip_name(data: bytes, offset: int) -> int:
    """The offset after a (possibly compressed) name, without decoding it."""
    limit = len(data)
    total = 0
    while offset < limit:
        length = data[offset]
        if length == 0:
            return offset + 1
        if length & 0xC0 == 0xC0:
            if offset + 2 > limit:
                break
            return offset + 2
        if length & 0xC0:
            raise WireError("unknown label type")
        total += length + 1
        if total > 254:
            raise WireError("name too long")
        offset += 1 + length
    raise WireError("name runs past the end of the message")


def name_to_text(wire: bytes) -> str:
    """Presentation form without trailing dot, escaped like dnspython; the root is ""."""
    labels = []
    offset = 0
    while wire[offset]:
        length = wire[offset]
        label = wire[offset + 1 : offset + 1 + length]
        offset += 1 + length
        if all(0x20 < byte < 0x7F and byte not in _ESCAPED for byte in label):
            labels.append(label.decode("ascii"))
        else:
            labels.append("".join(_escape(byte) for byte in label))
    return ".".join(labels)


def _escape(byte: int) -> str:
    if byte in _ESCAPED:
        return "\\" + chr(byte)
    if 0x20 < byte < 0x7F:
        return chr(byte)
    return f"\\{byte:03d}"


def _txt(data: bytes, offset: int, end: int) -> bytes:
    """One TXT RR: its character-strings joined without separator."""
    if offset == end:
        raise WireError("empty TXT rdata")
    parts = []
    while offset < end:
        length = data[offset]
        offset += 1
        if offset + length > end:
            raise WireError("TXT string runs past its record")
        parts.append(data[offset : offset + length])
        offset += length
    return b"".join(parts)


def _expect_end(offset: int, end: int) -> None:
    if offset != end:
        raise WireError("rdata length does not match its content")
