"""The test DNS server answers like an authoritative server, checked with dnspython's own client."""

from __future__ import annotations

import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from tests.conftest_dns import needs_ipv6_loopback
from tracker.probe.zoneserver import ZoneServer


def ask(server: ZoneServer, name: str, rdtype: str, tcp: bool = False, timeout: float = 1.0):
    query = dns.message.make_query(name, rdtype, use_edns=0, payload=1232)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, server.host, port=server.port, timeout=timeout)


def texts(response) -> list[str]:
    return sorted(rd.to_text() for rrset in response.answer for rd in rrset)


def test_it_serves_declared_records_authoritatively(dns_server):
    dns_server.set_records(
        {
            "example.com": {"TXT": ["v=spf1 include:spf.po.2iij.net -all"], "MX": [(10, "mx1.po.2iij.net")]},
            "mx1.po.2iij.net": {"A": ["192.0.2.1"], "AAAA": ["2001:db8::1"]},
            "1.2.0.192.in-addr.arpa": {"PTR": ["mx1.po.2iij.net"]},
            "legacy.example": {"SPF": ["v=spf1 -all"]},
        }
    )
    response = ask(dns_server, "example.com", "TXT")
    assert response.rcode() == dns.rcode.NOERROR
    assert response.flags & dns.flags.AA
    assert texts(response) == ['"v=spf1 include:spf.po.2iij.net -all"']
    assert texts(ask(dns_server, "example.com", "MX")) == ["10 mx1.po.2iij.net."]
    assert texts(ask(dns_server, "mx1.po.2iij.net", "A")) == ["192.0.2.1"]
    assert texts(ask(dns_server, "mx1.po.2iij.net", "AAAA")) == ["2001:db8::1"]
    assert texts(ask(dns_server, "1.2.0.192.in-addr.arpa", "PTR")) == ["mx1.po.2iij.net."]
    assert texts(ask(dns_server, "legacy.example", "SPF")) == ['"v=spf1 -all"']


def test_it_matches_names_case_insensitively(dns_server):
    dns_server.set_records({"Example.COM.": {"A": "192.0.2.7"}})
    assert texts(ask(dns_server, "eXample.com", "A")) == ["192.0.2.7"]


def test_a_list_of_strings_is_one_txt_record_with_several_character_strings(dns_server):
    dns_server.set_records(
        {"split.example": {"TXT": [("v=spf1 include:a.example ", "include:b.example -all")]}}
    )
    (rrset,) = ask(dns_server, "split.example", "TXT").answer
    assert len(rrset) == 1
    assert [rd.strings for rd in rrset] == [(b"v=spf1 include:a.example ", b"include:b.example -all")]


def test_a_long_string_is_split_into_255_byte_character_strings(dns_server):
    dns_server.set_records({"long.example": {"TXT": "x" * 300}})
    (rrset,) = ask(dns_server, "long.example", "TXT").answer
    assert [len(s) for s in next(iter(rrset)).strings] == [255, 45]


def test_absent_names_are_nxdomain_and_missing_types_nodata(dns_server):
    dns_server.set_records({"a.b.example": {"A": "192.0.2.1"}})
    missing = ask(dns_server, "nothing.example", "A")
    assert missing.rcode() == dns.rcode.NXDOMAIN
    no_type = ask(dns_server, "a.b.example", "TXT")
    assert no_type.rcode() == dns.rcode.NOERROR and not no_type.answer
    empty_non_terminal = ask(dns_server, "b.example", "A")
    assert empty_non_terminal.rcode() == dns.rcode.NOERROR and not empty_non_terminal.answer


def test_a_cname_chain_is_followed_inside_the_declared_data(dns_server):
    dns_server.set_records(
        {
            "www.example": {"CNAME": "alias.example"},
            "alias.example": {"CNAME": "target.example"},
            "target.example": {"TXT": "hello"},
        }
    )
    response = ask(dns_server, "www.example", "TXT")
    assert [dns.rdatatype.to_text(rrset.rdtype) for rrset in response.answer] == ["CNAME", "CNAME", "TXT"]
    assert texts(ask(dns_server, "www.example", "CNAME")) == ["alias.example."]


def test_a_cname_loop_is_a_servfail_not_an_endless_chain(dns_server):
    dns_server.set_records(
        {
            "self.example": {"CNAME": "self.example"},
            "ping.example": {"CNAME": "pong.example"},
            "pong.example": {"CNAME": "ping.example"},
        }
    )
    assert ask(dns_server, "self.example", "TXT").rcode() == dns.rcode.SERVFAIL
    response = ask(dns_server, "ping.example", "A")
    assert response.rcode() == dns.rcode.SERVFAIL
    assert len(response.answer) == 2  # each CNAME of the loop once


def test_records_go_out_in_the_declared_order_every_time(dns_server):
    names = [f"h{i}.example." for i in range(1, 12)]
    dns_server.set_records({"4.3.2.1.in-addr.arpa": {"PTR": names}})
    for _ in range(5):  # dnspython would shuffle them
        (rrset,) = ask(dns_server, "4.3.2.1.in-addr.arpa", "PTR").answer
        assert [rd.to_text() for rd in rrset] == names


@pytest.mark.parametrize("fault, rcode", [("servfail", dns.rcode.SERVFAIL), ("refused", dns.rcode.REFUSED)])
def test_it_answers_with_the_injected_rcode(dns_server, fault, rcode):
    dns_server.set_records({"x.example": {"A": "192.0.2.1"}})
    dns_server.set_fault("x.example", fault)
    assert ask(dns_server, "x.example", "A").rcode() == rcode


def test_a_fault_can_target_one_type_only(dns_server):
    dns_server.set_records({"x.example": {"A": "192.0.2.1", "TXT": "t"}})
    dns_server.set_fault("x.example", "servfail", rdtype="TXT")
    assert ask(dns_server, "x.example", "TXT").rcode() == dns.rcode.SERVFAIL
    assert texts(ask(dns_server, "x.example", "A")) == ["192.0.2.1"]


def test_a_timeout_fault_never_answers(dns_server):
    dns_server.set_fault("silent.example", "timeout")
    with pytest.raises(dns.exception.Timeout):
        ask(dns_server, "silent.example", "A", timeout=0.2)
    assert dns_server.count("silent.example", "A") == 1


def test_truncate_sends_tc_over_udp_and_everything_over_tcp(dns_server):
    dns_server.set_records({"t.example": {"TXT": "full answer"}})
    dns_server.set_fault("t.example", "truncate")
    udp = ask(dns_server, "t.example", "TXT")
    assert udp.flags & dns.flags.TC and not udp.answer
    assert texts(ask(dns_server, "t.example", "TXT", tcp=True)) == ['"full answer"']
    assert [q.transport for q in dns_server.queries] == ["udp", "tcp"]


def test_answers_too_big_for_udp_are_truncated(dns_server):
    dns_server.set_records({"big.example": {"A": [f"10.0.{i // 256}.{i % 256}" for i in range(300)]}})
    assert ask(dns_server, "big.example", "A").flags & dns.flags.TC
    assert len(ask(dns_server, "big.example", "A", tcp=True).answer[0]) == 300


def test_latency_delays_every_answer(dns_server):
    dns_server.set_records({"slow.example": {"A": "192.0.2.1"}})
    dns_server.latency = 0.1
    started = time.monotonic()
    ask(dns_server, "slow.example", "A")
    assert time.monotonic() - started >= 0.1


def test_it_counts_queries_per_name_and_type(dns_server):
    dns_server.set_records({"c.example": {"A": "192.0.2.1"}})
    for _ in range(3):
        ask(dns_server, "c.example", "A")
    ask(dns_server, "C.EXAMPLE", "TXT")
    assert dns_server.query_count == 4
    assert dns_server.count("c.example", "A") == 3
    assert dns_server.count("c.example") == 4


def test_reset_forgets_records_faults_and_counts(dns_server):
    dns_server.set_records({"r.example": {"A": "192.0.2.1"}})
    dns_server.set_fault("r.example", "refused")
    ask(dns_server, "r.example", "A")
    dns_server.reset()
    assert dns_server.query_count == 0
    assert ask(dns_server, "r.example", "A").rcode() == dns.rcode.NXDOMAIN


def test_unknown_faults_are_rejected(dns_server):
    with pytest.raises(ValueError, match="unknown fault"):
        dns_server.set_fault("x.example", "explode")


@needs_ipv6_loopback
def test_it_also_serves_on_ipv6_loopback():
    with ZoneServer(host="::1") as server:
        server.set_records({"six.example": {"AAAA": "2001:db8::6"}})
        assert server.address == f"[::1]:{server.port}"
        assert texts(ask(server, "six.example", "AAAA")) == ["2001:db8::6"]
