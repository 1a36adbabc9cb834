"""DMARC: the record parser by hand, and discovery (RFC 7489 and DMARCbis) on the test DNS server."""

from __future__ import annotations

import asyncio

import pytest

from tracker.probe.dmarc import (
    DmarcSyntaxError,
    analyze_dmarc,
    effective_policy,
    is_dmarc_record,
    parse_dmarc,
    tree_walk_names,
)

# -- parser ---------------------------------------------------------------------------------------


def test_it_parses_every_tag():
    record = parse_dmarc(
        "v=DMARC1; p=Reject; sp=quarantine; np=reject; adkim=s; aspf=r; pct=50; "
        "rua=mailto:a@example.com,mailto:b@example.com!10m; ruf=mailto:f@example.com; "
        "fo=0:d; rf=afrf; ri=3600; psd=n; t=y;"
    )
    assert record.p == "reject" and record.sp == "quarantine" and record.np == "reject"
    assert record.tags["rua"] == "mailto:a@example.com,mailto:b@example.com!10m"
    assert record.psd == "n" and record.tags["t"] == "y"
    assert record.deprecated_tags == ["pct", "rf", "ri"]
    assert record.warnings == ()


@pytest.mark.parametrize(
    "text,message",
    [
        ("p=reject; v=DMARC1", "must start with v=DMARC1"),
        ("v=DMARC1; p=block", "p='block' is not one of"),
        ("v=DMARC1; p=none; pct=150", "pct='150'"),
        ("v=DMARC1; p=none; p=reject", "appears twice"),
        ("v=DMARC1; p=none; rua=dmarc@example.com", "is not a URI"),
        ("v=DMARC1; p=none; adkim=x", "adkim='x'"),
        ("v=DMARC1; p=none; psd=maybe", "psd='maybe'"),
        ("v=DMARC1; p=none; fo=2", "fo='2'"),
        ("v=DMARC1; p=none; garbage", "not a tag=value pair"),
        ("v=DMARC1; p=none; ri=-1", "ri='-1'"),
        ("v=DMARC1; p=none; rua=" + ",".join(f"mailto:a{i}@x.example" for i in range(40)), "at most 16"),
        ("v=DMARC1; p=none; x=" + "a" * 5000, "characters long"),
    ],
)
def test_it_rejects_invalid_records(text, message):
    with pytest.raises(DmarcSyntaxError, match=message):
        parse_dmarc(text)


def test_missing_p_reads_as_none_with_a_warning():
    record = parse_dmarc("v=DMARC1; rua=mailto:d@example.com")
    assert record.p == "none"
    assert any("no p= tag" in warning for warning in record.warnings)


def test_unknown_tags_are_ignored_with_a_warning():
    record = parse_dmarc("v=DMARC1; p=none; foo=bar")
    assert any("foo" in warning for warning in record.warnings)


def test_only_v_dmarc1_records_count():
    assert is_dmarc_record("v=DMARC1; p=none")
    assert is_dmarc_record("v = DMARC1")
    assert not is_dmarc_record("v=spf1 -all")
    assert not is_dmarc_record("p=none; v=DMARC1")


def test_the_effective_policy_depends_on_where_the_record_was_found():
    record = parse_dmarc("v=DMARC1; p=reject; sp=quarantine; np=none")
    assert effective_policy(record, "example.com", "example.com", domain_missing=False) == "reject"
    assert effective_policy(record, "example.com", "a.example.com", domain_missing=False) == "quarantine"
    assert effective_policy(record, "example.com", "a.example.com", domain_missing=True) == "none"
    plain = parse_dmarc("v=DMARC1; p=reject")
    assert effective_policy(plain, "example.com", "a.example.com", domain_missing=True) == "reject"


def test_the_tree_walk_visits_at_most_eight_names():
    assert tree_walk_names("a.b.example.com") == ["a.b.example.com", "b.example.com", "example.com", "com"]
    long_name = ".".join(f"l{i}" for i in range(12)) + ".example.com"
    names = tree_walk_names(long_name)
    assert len(names) == 8
    assert names[1] == "l7.l8.l9.l10.l11.example.com"  # jumps to 7 labels
    assert names[-1] == "com"


# -- discovery ------------------------------------------------------------------------------------


def dmarc(resolver, domain):
    return asyncio.run(analyze_dmarc(resolver, domain))


def test_a_record_at_the_domain_is_used(dns_server, resolver):
    dns_server.set_records({"_dmarc.customer.example": {"TXT": ["v=DMARC1; p=quarantine; pct=20"]}})
    result = dmarc(resolver, "customer.example")
    assert result.record == "v=DMARC1; p=quarantine; pct=20"
    assert result.policy_domain == "customer.example"
    assert result.policy == "quarantine"
    assert result.deprecated_tags == ["pct"]
    assert result.error is None and result.notes == []


def test_a_subdomain_falls_back_to_the_organizational_domain(dns_server, resolver):
    dns_server.set_records({"_dmarc.example.co.uk": {"TXT": ["v=DMARC1; p=reject; sp=none"]}})
    result = dmarc(resolver, "shop.example.co.uk")
    assert result.policy_domain == "example.co.uk"
    assert result.organizational_domain == "example.co.uk"
    assert result.policy == "none"  # sp applies to subdomains
    assert result.notes == []  # the tree walk agrees
    # the walk goes on up only to place the organizational domain: the top record wins
    assert result.dmarcbis.organizational_domain == "example.co.uk"


def test_the_tree_walk_finds_an_intermediate_record_that_rfc7489_skips(dns_server, resolver):
    dns_server.set_records(
        {
            "_dmarc.mail.example.com": {"TXT": ["v=DMARC1; p=reject"]},
            "_dmarc.example.com": {"TXT": ["v=DMARC1; p=none"]},
        }
    )
    result = dmarc(resolver, "a.mail.example.com")
    assert result.policy_domain == "example.com" and result.policy == "none"
    assert result.dmarcbis.policy_domain == "mail.example.com"
    assert any("DMARCbis" in note and "_dmarc.mail.example.com" in note for note in result.notes)


def test_the_tree_walk_honours_psd_y_for_the_organizational_domain(dns_server, resolver):
    dns_server.set_records({"_dmarc.example": {"TXT": ["v=DMARC1; p=reject; psd=y"]}})
    result = dmarc(resolver, "a.b.customer.example")
    assert result.record is None  # RFC 7489 asks only a.b.customer.example and customer.example
    assert result.dmarcbis.policy_domain == "example"
    assert result.dmarcbis.organizational_domain == "customer.example"
    assert any("DMARCbis" in note for note in result.notes)


def test_the_tree_walk_stops_at_psd_n(dns_server, resolver):
    dns_server.set_records(
        {
            "_dmarc.b.customer.example": {"TXT": ["v=DMARC1; p=reject; psd=n"]},
            "_dmarc.customer.example": {"TXT": ["v=DMARC1; p=none"]},
        }
    )
    result = dmarc(resolver, "a.b.customer.example")
    assert result.dmarcbis.organizational_domain == "b.customer.example"
    assert dns_server.count("_dmarc.example") == 0


def test_np_applies_to_a_domain_that_does_not_exist(dns_server, resolver):
    dns_server.set_records(
        {"_dmarc.customer.example": {"TXT": ["v=DMARC1; p=reject; sp=quarantine; np=none"]}}
    )
    result = dmarc(resolver, "gone.customer.example")
    assert result.policy == "quarantine"
    result.apply_domain_missing()
    assert result.policy == "none"


def test_multiple_records_are_an_error(dns_server, resolver):
    dns_server.set_records({"_dmarc.customer.example": {"TXT": ["v=DMARC1; p=none", "v=DMARC1; p=reject"]}})
    result = dmarc(resolver, "customer.example")
    assert result.policy is None and result.record is None
    assert "2 DMARC records" in result.error


def test_other_txt_records_at_dmarc_are_ignored(dns_server, resolver):
    dns_server.set_records(
        {"_dmarc.customer.example": {"TXT": ["google-site-verification=x", "v=DMARC1; p=none"]}}
    )
    assert dmarc(resolver, "customer.example").policy == "none"


def test_an_invalid_record_is_reported(dns_server, resolver):
    dns_server.set_records({"_dmarc.customer.example": {"TXT": ["v=DMARC1; p=never"]}})
    result = dmarc(resolver, "customer.example")
    assert result.record == "v=DMARC1; p=never" and result.policy is None
    assert "invalid DMARC record at _dmarc.customer.example" in result.error


def test_no_record_anywhere(dns_server, resolver):
    dns_server.set_records({"customer.example": {"TXT": ["v=spf1 -all"]}})
    result = dmarc(resolver, "customer.example")
    assert result.record is None and result.error is None and result.failures == []
    assert "no DMARC record (RFC 7489 discovery)" in result.notes


def test_a_failed_lookup_is_an_error_not_an_absence(dns_server, resolver):
    dns_server.set_fault("_dmarc.customer.example", "timeout")
    result = dmarc(resolver, "customer.example")
    assert result.record is None and result.policy is None
    assert result.error == "DMARC lookup of _dmarc.customer.example failed: timeout"
    assert [(f.name, f.rdtype) for f in result.failures] == [("_dmarc.customer.example", "TXT")]
