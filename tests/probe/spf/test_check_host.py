"""check_host() behaviour beyond the RFC suite, against the real test DNS server."""

import asyncio

from tracker.probe.spf.check_host import check_host


def run(resolver, ip, domain, sender=None, helo="mail.example.com"):
    return asyncio.run(
        check_host(resolver, ip, domain, sender if sender is not None else f"x@{domain}", helo)
    )


def test_limits_apply_lazily(dns_server, resolver):
    many = " ".join(f"a:h{i}.example.com" for i in range(12))
    dns_server.set_records({"example.com": {"TXT": [f"v=spf1 ip4:192.0.2.1 {many} -all"]}})
    assert run(resolver, "192.0.2.1", "example.com").result == "pass"


def test_the_eleventh_lookup_is_a_permerror(dns_server, resolver):
    records = {f"h{i}.example.com": {"A": ["198.51.100.1"]} for i in range(12)}
    many = " ".join(f"a:h{i}.example.com" for i in range(11))
    records["example.com"] = {"TXT": [f"v=spf1 {many} -all"]}
    dns_server.set_records(records)
    outcome = run(resolver, "192.0.2.1", "example.com")
    assert outcome.result == "permerror"
    assert "more than 10" in outcome.detail


def test_ipv4_mapped_clients_are_ipv4(dns_server, resolver):
    dns_server.set_records({"example.com": {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]}})
    assert run(resolver, "::ffff:192.0.2.7", "example.com").result == "pass"


def test_exp_never_changes_the_result(dns_server, resolver):
    dns_server.set_records(
        {
            "example.com": {"TXT": ["v=spf1 -all exp=why.example.com"]},
            "why.example.com": {"TXT": ["%{i} is not allowed to send for %{d}"]},
        }
    )
    outcome = run(resolver, "192.0.2.7", "example.com")
    assert (outcome.result, outcome.explanation) == (
        "fail",
        "192.0.2.7 is not allowed to send for example.com",
    )


def test_a_bad_domain_is_none(resolver):
    assert run(resolver, "192.0.2.7", "localhost").result == "none"
    assert run(resolver, "192.0.2.7", "a..example.com").result == "none"


def test_a_servfail_is_a_temperror(dns_server, resolver):
    dns_server.set_records({"example.com": {"TXT": ["v=spf1 include:broken.example.net -all"]}})
    dns_server.set_fault("broken.example.net", "servfail")
    outcome = run(resolver, "192.0.2.7", "example.com")
    assert outcome.result == "temperror"
    assert "SERVFAIL" in outcome.detail


def test_an_empty_sender_uses_the_helo(dns_server, resolver):
    dns_server.set_records({"mail.example.com": {"TXT": ["v=spf1 exists:%{l}.%{o}.check.example.com -all"]}})
    dns_server.add_records({"postmaster.mail.example.com.check.example.com": {"A": ["127.0.0.2"]}})
    assert run(resolver, "192.0.2.7", "mail.example.com", sender="", helo="mail.example.com").result == "pass"


def eleven_mx_hosts() -> dict:
    """customer.example with 11 MX hosts, mx1 ... mx11 at 192.0.2.1 ... 192.0.2.11."""
    records = {f"mx{i}.customer.example": {"A": [f"192.0.2.{i}"]} for i in range(1, 12)}
    records["customer.example"] = {
        "TXT": ["v=spf1 mx -all"],
        "MX": [(i, f"mx{i}.customer.example") for i in range(1, 12)],
    }
    return records


def test_the_mx_host_limit_applies_lazily(dns_server, resolver):
    """RFC 7208 4.6.4: the 8th of 11 MX hosts is looked up (the 8th address lookup) and matches."""
    dns_server.set_records(eleven_mx_hosts())
    assert run(resolver, "192.0.2.8", "customer.example").result == "pass"
    assert run(resolver, "192.0.2.10", "customer.example").result == "pass"
    assert dns_server.count("mx11.customer.example") == 0  # never needed


def test_the_eleventh_mx_address_lookup_is_a_permerror(dns_server, resolver):
    dns_server.set_records(eleven_mx_hosts())
    for client in ("192.0.2.11", "198.51.100.1"):  # the 11th host would be the 11th lookup
        outcome = run(resolver, client, "customer.example")
        assert outcome.result == "permerror"
        assert "more than 10 MX hosts" in outcome.detail


def test_ten_mx_terms_with_three_hosts_each_are_within_the_limits(dns_server, resolver):
    """blitiri's mx-resolution-10-terms, on multi-label names: MX hosts are not DNS-querying terms."""
    hosts = {f"blah{i}.customer.example": {"A": [f"198.51.100.{i}"]} for i in range(1, 4)}
    ten = " ".join(["mx:relay.customer.example"] * 10)
    dns_server.set_records(
        {
            **hosts,
            "relay.customer.example": {"MX": [(i, f"blah{i}.customer.example") for i in range(1, 4)]},
            "ten.customer.example": {"TXT": [f"v=spf1 {ten} all"]},
            "eleven.customer.example": {"TXT": [f"v=spf1 {ten} mx:relay.customer.example all"]},
        }
    )
    assert run(resolver, "1.2.3.4", "ten.customer.example").result == "pass"
    assert run(resolver, "1.2.3.4", "eleven.customer.example").result == "permerror"
