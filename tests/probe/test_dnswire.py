"""The hand-written wire decoder agrees with dnspython and refuses hostile messages cleanly."""

from __future__ import annotations

import struct

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from dns.rdtypes.ANY.MX import MX
from dns.rdtypes.ANY.PTR import PTR
from dns.rdtypes.ANY.TXT import TXT
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.probe import dnswire
from tracker.probe.dnswire import WireError, parse_response


def response_to(qname: str, rdtype: str, answers: list[tuple[str, str, list]], **kw) -> bytes:
    """A response built and compressed by dnspython: [(owner, type, [rdata text or TXT strings])]."""
    query = dns.message.make_query(qname, rdtype, use_edns=0)
    response = dns.message.make_response(query)
    for owner, rtype, values in answers:
        rrset = dns.rrset.RRset(dns.name.from_text(owner), dns.rdataclass.IN, dns.rdatatype.from_text(rtype))
        for value in values:
            if rtype == "TXT":
                rrset.add(TXT(dns.rdataclass.IN, dns.rdatatype.TXT, value))
            else:
                rrset.add(dns.rdata.from_text("IN", rtype, value, relativize=False))
        response.answer.append(rrset)
    if "rcode" in kw:
        response.set_rcode(kw["rcode"])
    return response.to_wire()


def decoded(wire: bytes) -> list:
    parsed = parse_response(wire)
    return [parsed.decode(rr) for rr in parsed.answer]


def test_it_reads_header_question_and_records():
    wire = response_to(
        "Example.COM",
        "MX",
        [("example.com.", "MX", ["10 MX1.po.2iij.net.", "0 ."])],
    )
    parsed = parse_response(wire)
    assert parsed.flags & dnswire.FLAG_QR
    assert parsed.qname == b"\x07example\x03com\x00"
    assert parsed.qtype == dnswire.TYPE_MX and parsed.qclass == dnswire.CLASS_IN
    assert parsed.rcode == dnswire.RCODE_NOERROR
    assert sorted(decoded(wire)) == [(0, ""), (10, "mx1.po.2iij.net")]


@pytest.mark.parametrize(
    "rtype, values, expected",
    [
        ("A", ["192.0.2.1"], ["192.0.2.1"]),
        ("AAAA", ["2001:db8::1"], ["2001:db8::1"]),
        ("AAAA", ["::ffff:192.0.2.1"], ["::ffff:192.0.2.1"]),
        ("CNAME", ["target.example."], ["target.example"]),
        ("PTR", ["host.example."], ["host.example"]),
        ("NS", ["ns1.example."], ["ns1.example"]),
        ("TXT", [(b"v=spf1 ", b"-all")], [b"v=spf1 -all"]),
        ("TXT", [(b"",)], [b""]),
    ],
)
def test_it_decodes_each_supported_type(rtype, values, expected):
    assert decoded(response_to("x.example", rtype, [("x.example.", rtype, values)])) == expected


def test_extended_rcode_from_edns_is_kept():
    query = dns.message.make_query("x.example", "A", use_edns=0)
    response = dns.message.make_response(query)
    response.set_rcode(dns.rcode.BADVERS)
    assert parse_response(response.to_wire()).rcode == 16


def test_authority_types_are_reported_for_referral_detection():
    query = dns.message.make_query("x.example", "A")
    response = dns.message.make_response(query)
    response.authority.append(dns.rrset.from_text("example.", 300, "IN", "NS", "ns.example."))
    parsed = parse_response(response.to_wire())
    assert parsed.authority_types == {dnswire.TYPE_NS}
    assert parsed.answer == ()


def test_escaped_names_read_like_dnspython():
    odd = dns.name.Name([b"a.b", b"sp ace", b'q"uote', b"\x00\xff", b"example", b""])
    query = dns.message.make_query("x.example", "PTR")
    response = dns.message.make_response(query)
    response.answer.append(dns.rrset.from_rdata(dns.name.from_text("x.example"), 300, _ptr(odd)))
    assert decoded(response.to_wire()) == [odd.to_text(omit_final_dot=True)]


def _ptr(target: dns.name.Name):
    return PTR(dns.rdataclass.IN, dns.rdatatype.PTR, target)


# -- hostile input ----------------------------------------------------------------------------


def header(qd=1, an=0, ns=0, ar=0, flags=0x8180) -> bytes:
    return struct.pack("!HHHHHH", 0x1234, flags, qd, an, ns, ar)


QUESTION = b"\x01x\x07example\x00" + struct.pack("!HH", 1, 1)


@pytest.mark.parametrize(
    "wire, message",
    [
        (b"\x12\x34\x81", "shorter than a DNS header"),
        (header(qd=0), "0 questions"),
        (header(qd=2) + QUESTION * 2, "2 questions"),
        (header() + b"\x01x\x07exam", "name runs past"),
        (header() + b"\xc0\x0c" + struct.pack("!HH", 1, 1), "does not point backwards"),  # points at itself
        (header() + b"\x40abc\x00" + struct.pack("!HH", 1, 1), "unknown label type"),
        (header() + (b"\x3f" + b"a" * 63) * 5 + b"\x00" + struct.pack("!HH", 1, 1), "name too long"),
        (header() + b"\x01x\x00\x00", "question cut short"),
        (header(an=1) + QUESTION + b"\xc0\x0c\x00\x01", "resource record cut short"),
        (
            header(an=1) + QUESTION + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 400) + b"\x01\x02",
            "rdata runs past",
        ),
        (
            header(an=5) + QUESTION + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + b"\x01\x02\x03\x04",
            "name runs",
        ),
    ],
)
def test_malformed_messages_raise_wire_error(wire, message):
    with pytest.raises(WireError, match=message):
        parse_response(wire)


def test_a_pointer_loop_cannot_hang():
    # the answer's owner points back to a pointer that points to itself
    wire = header(an=1) + QUESTION + b"\xc0\x1d" + struct.pack("!HHIH", 1, 1, 60, 4) + b"\x01\x02\x03\x04"
    loop_at = len(header() + QUESTION)
    assert wire[loop_at : loop_at + 2] == b"\xc0\x1d"
    with pytest.raises(WireError):
        parse_response(wire)


@pytest.mark.parametrize(
    "rtype, rdata, message",
    [
        (dnswire.TYPE_TXT, b"\x05ab", "TXT string runs past"),
        (dnswire.TYPE_TXT, b"", "empty TXT"),
        (dnswire.TYPE_A, b"\x01\x02\x03", "bad rdata"),
        (dnswire.TYPE_MX, b"\x00\x0a\x01a\x00\xff", "rdata length does not match"),
        (dnswire.TYPE_CNAME, b"\x01a", "name runs past"),
    ],
)
def test_malformed_rdata_raises_wire_error_on_decode(rtype, rdata, message):
    wire = header(an=1) + QUESTION + b"\xc0\x0c" + struct.pack("!HHIH", rtype, 1, 60, len(rdata)) + rdata
    parsed = parse_response(wire)
    with pytest.raises(WireError, match=message):
        parsed.decode(parsed.answer[0])


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=300))
def test_random_bytes_give_a_response_or_a_wire_error(data):
    try:
        parsed = parse_response(header(an=3, ns=1, ar=1) + QUESTION + data)
    except WireError:
        return
    for rr in parsed.answer:
        try:
            parsed.decode(rr)
        except WireError:
            pass


_names = st.lists(
    st.sampled_from([b"a", b"mx", b"Example", b"po", b"2iij", b"net", b"_spf", b"x-y"]),
    min_size=1,
    max_size=5,
)


@settings(max_examples=80, deadline=None)
@given(
    owner=_names,
    txts=st.lists(st.lists(st.binary(max_size=300), min_size=1, max_size=3), min_size=1, max_size=5),
    exchanges=st.lists(st.tuples(st.integers(0, 65535), _names), min_size=1, max_size=5),
)
def test_it_agrees_with_dnspython_on_generated_answers(owner, txts, exchanges):
    name = dns.name.Name([*owner, b""])
    query = dns.message.make_query(name, "TXT")
    response = dns.message.make_response(query)
    txt = dns.rrset.RRset(name, dns.rdataclass.IN, dns.rdatatype.TXT)
    for strings in txts:
        chunks = [s[i : i + 255] for s in strings for i in range(0, max(len(s), 1), 255)]
        txt.add(TXT(dns.rdataclass.IN, dns.rdatatype.TXT, chunks))
    mx = dns.rrset.RRset(name, dns.rdataclass.IN, dns.rdatatype.MX)
    for preference, host in exchanges:
        mx.add(MX(dns.rdataclass.IN, dns.rdatatype.MX, preference, dns.name.Name([*host, b""])))
    response.answer.extend([txt, mx])
    wire = response.to_wire(want_shuffle=False)

    reference = dns.message.from_wire(wire)
    parsed = parse_response(wire)
    assert parsed.qname == name.canonicalize().to_wire()
    ours_txt = [parsed.decode(rr) for rr in parsed.answer if rr.rdtype == dnswire.TYPE_TXT]
    ours_mx = [parsed.decode(rr) for rr in parsed.answer if rr.rdtype == dnswire.TYPE_MX]
    theirs_txt = [b"".join(rd.strings) for rd in reference.answer[0]]
    theirs_mx = [
        (rd.preference, rd.exchange.to_text(omit_final_dot=True).lower()) for rd in reference.answer[1]
    ]
    assert ours_txt == theirs_txt
    assert ours_mx == theirs_mx
    assert all(rr.owner == name.canonicalize().to_wire() for rr in parsed.answer)


def test_query_body_is_a_valid_query():
    body = dnswire.build_query_body(b"\x07example\x03com\x00", dnswire.TYPE_TXT, 1232)
    query = dns.message.from_wire(b"\xab\xcd" + body)
    assert query.id == 0xABCD
    assert query.flags & dns.flags.RD and not query.flags & dns.flags.QR
    assert query.question[0].name == dns.name.from_text("example.com")
    assert query.question[0].rdtype == dns.rdatatype.TXT
    assert query.edns == 0 and query.payload == 1232
