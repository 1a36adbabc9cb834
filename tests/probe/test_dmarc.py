"""DMARC: the record parser by hand, and discovery (RFC 7489 and RFC 9989) on the test DNS server."""

from __future__ import annotations

import asyncio

import pytest

from tests.probe.test_mx import make_campaign
from tracker.probe.dmarc import (
    DmarcSyntaxError,
    analyze_dmarc,
    effective_policy,
    is_dmarc_record,
    parse_dmarc,
    tree_walk_names,
)
from tracker.probe.dmarc_record import near_miss
from tracker.probe.engine import probe_domain

# -- parser ---------------------------------------------------------------------------------------


def test_it_parses_every_tag():
    record = parse_dmarc(
        "v=DMARC1; p=Reject; sp=quarantine; np=reject; adkim=s; aspf=r; pct=100; "
        "rua=mailto:a@example.com,mailto:b@example.com!10m; ruf=mailto:f@example.com; "
        "fo=0:d; rf=afrf; ri=3600; psd=n; t=n;"
    )
    assert record.p == "reject" and record.sp == "quarantine" and record.np == "reject"
    assert record.tags["rua"] == "mailto:a@example.com,mailto:b@example.com!10m"
    assert record.psd == "n" and record.tags["t"] == "n" and not record.testing
    assert record.deprecated_tags == ["pct", "rf", "ri"]
    assert record.problems == () and record.warnings == () and record.discarded == ()
    assert record.policies == ("reject", "quarantine", "reject")


@pytest.mark.parametrize(
    "text,message",
    [
        ("p=reject; v=DMARC1", "must start with v=DMARC1"),
        (" v=DMARC1; p=reject", "must start with v=DMARC1"),
        ("v=dmarc1; p=reject", "must start with v=DMARC1"),
        ("v=DMARC1; p=none; p=reject", "appears twice"),
        ("v=DMARC1; p=none; v=DMARC1", "appears twice"),
        ("v=DMARC1; p=none; x=" + "a" * 5000, "characters long"),
    ],
)
def test_only_whole_record_errors_raise(text, message):
    with pytest.raises(DmarcSyntaxError, match=message):
        parse_dmarc(text)


@pytest.mark.parametrize(
    "text,tag,message",
    [
        ("v=DMARC1; p=none; rua=dmarc@example.com", "rua", "is not a URI"),
        ("v=DMARC1; p=none; adkim=x", "adkim", "adkim='x'"),
        ("v=DMARC1; p=none; psd=maybe", "psd", "psd='maybe'"),
        ("v=DMARC1; p=none; t=x", "t", "t='x'"),
        ("v=DMARC1; p=none; fo=2", "fo", "fo='2'"),
    ],
)
def test_a_tag_with_a_bad_value_is_discarded_not_the_record(text, tag, message):
    record = parse_dmarc(text)
    assert tag not in record.tags and tag in record.discarded
    assert any(message in problem for problem in record.problems)
    assert record.policies == ("none", None, None)


def test_a_word_that_is_no_tag_is_skipped():
    record = parse_dmarc("v=DMARC1; p=none; reject")
    assert record.p == "none" and record.policies == ("none", None, None)
    assert any("'reject' is not a tag=value pair" in problem for problem in record.problems)


def test_bad_uris_are_skipped_and_good_ones_kept():
    record = parse_dmarc("v=DMARC1; p=none; rua=reports@example.com, mailto:d@example.com")
    assert record.tags["rua"] == "mailto:d@example.com" and "rua" not in record.discarded
    assert any("'reports@example.com' is not a URI" in problem for problem in record.problems)
    many = parse_dmarc("v=DMARC1; p=none; rua=" + ",".join(f"mailto:a{i}@x.example" for i in range(40)))
    assert many.tags["rua"].count(",") == 15 and many.problems == ()
    assert any("only the first 16" in warning for warning in many.warnings)


def test_only_exactly_v_dmarc1_at_the_start_is_a_dmarc_record():
    assert is_dmarc_record("v=DMARC1; p=none")
    assert is_dmarc_record("v = DMARC1")
    assert is_dmarc_record("V=DMARC1;p=reject;")  # the tag name is case-insensitive, the value is not
    assert not is_dmarc_record("v=spf1 -all")
    assert not is_dmarc_record("p=none; v=DMARC1")
    assert not is_dmarc_record(" v=DMARC1; p=reject")
    assert not is_dmarc_record("v=dmarc1; p=reject")
    assert not is_dmarc_record("v=DMARC10; p=reject")
    assert near_miss(" v=DMARC1; p=reject") == "it starts with a space"
    assert "case-sensitive" in near_miss("v=dmarc1; p=reject")
    assert near_miss("v=spf1 -all") is None and near_miss("v=DMARC1; p=none") is None


def test_unknown_tags_are_ignored_with_a_warning():
    record = parse_dmarc("v=DMARC1; p=none; foo=bar")
    assert record.problems == () and any("foo" in warning for warning in record.warnings)


# Finding: "p=reject; pct=150", "pct=abc", "ri=abc" and a rua with spaces in its size suffix were
# rejected whole (error, policy null) while receivers apply p=reject.
@pytest.mark.parametrize(
    "text,warning",
    [
        ("v=DMARC1; p=reject; pct=150", "pct='150' is not a whole number from 0 to 100"),
        ("v=DMARC1; p=reject; pct=abc", "pct='abc'"),
        ("v=DMARC1; p=reject; ri=abc", "ri='abc'"),
        ("v=DMARC1; p=reject; rf=invalid", "rf='invalid'"),
        ("v=DMARC1; p=reject; pct=0", "0% of failing mail"),
        ("v=DMARC1; p=reject; rua=mailto:d@example.com!10 K , mailto:e@example.com ! 2G", "contains spaces"),
    ],
)
def test_bad_values_of_removed_tags_and_size_limits_only_warn(text, warning):
    record = parse_dmarc(text)
    assert record.policies == ("reject", None, None)
    assert record.problems == ()
    assert any(warning in text for text in record.warnings)


def test_fo_0_and_1_together_is_rfc7489_grammar_with_a_warning():
    record = parse_dmarc("v=DMARC1; p=reject; fo=0:1")
    assert record.tags["fo"] == "0:1" and record.problems == ()
    assert any("exclusive" in warning for warning in record.warnings)


# Finding: a record without p and without rua was read as p=none. RFC 7489 6.6.3 step 6 and
# RFC 9989 4.10.1 agree: only a record with a valid rua falls back to p=none; without one, no
# DMARC policy applies. RFC 9989 4.7 says a missing p reads "as if it included p=none" and
# points to 4.10.1 for exactly this rule, so the two texts differ only in that RFC 7489 requires
# p (the warning says so) and that RFC 9989 adds an invalid np to the invalid p and sp.
def test_no_p_and_no_rua_is_no_policy():
    record = parse_dmarc("v=DMARC1; sp=quarantine; np=reject")
    assert record.policies is None
    assert any("no p= tag and no valid rua=" in problem for problem in record.problems)


def test_no_p_with_a_valid_rua_reads_as_none_keeping_sp_and_np():
    record = parse_dmarc("v=DMARC1; sp=quarantine; rua=mailto:d@example.com")
    assert record.policies == ("none", "quarantine", None)
    assert record.problems == ()
    assert any("RFC 7489 requires p" in warning for warning in record.warnings)


@pytest.mark.parametrize(
    "text,policies",
    [
        ("v=DMARC1; p=block", None),
        ("v=DMARC1; p=block; rua=mailto:d@example.com", ("none", None, None)),
        ("v=DMARC1; p=reject; sp=never", None),
        ("v=DMARC1; p=reject; sp=never; rua=mailto:d@example.com", ("none", None, None)),
        ("v=DMARC1; p=reject; np=invalid", None),  # RFC 9989 4.10.1 (RFC 7489 would ignore np)
        (
            "v=DMARC1; p=reject; np=invalid; sp=quarantine; rua=mailto:d@example.com",
            ("none", "quarantine", None),
        ),
        ("v=DMARC1; p=reject; rua=dmarc@example.com", ("reject", None, None)),  # a bad rua alone is harmless
    ],
)
def test_invalid_policy_tags_fall_back_as_both_rfcs_say(text, policies):
    record = parse_dmarc(text)
    assert record.policies == policies
    assert record.problems


def test_an_invalid_np_says_what_rfc7489_receivers_do_instead():
    record = parse_dmarc("v=DMARC1; p=reject; np=invalid")
    assert record.policies is None  # RFC 9989 4.10.1, the newer text
    assert record.problems == (
        "np='invalid' is not none, quarantine or reject: with no valid rua= either, receivers apply no "
        "DMARC policy (RFC 9989 4.10.1; RFC 7489 receivers ignore np and apply p=reject)",
    )


def test_testing_mode_keeps_the_published_policy_and_says_what_receivers_do():
    record = parse_dmarc("v=DMARC1; p=reject; t=y")
    assert record.testing and record.policies == ("reject", None, None)
    assert any("apply quarantine instead of reject" in warning for warning in record.warnings)


def test_the_effective_policy_depends_on_where_the_record_was_found():
    record = parse_dmarc("v=DMARC1; p=reject; sp=quarantine; np=none")
    assert effective_policy(record, "example.com", "example.com", domain_missing=False) == "reject"
    assert effective_policy(record, "example.com", "a.example.com", domain_missing=False) == "quarantine"
    assert effective_policy(record, "example.com", "a.example.com", domain_missing=True) == "none"
    plain = parse_dmarc("v=DMARC1; p=reject")
    assert effective_policy(plain, "example.com", "a.example.com", domain_missing=True) == "reject"
    no_policy = parse_dmarc("v=DMARC1; sp=reject")
    assert effective_policy(no_policy, "example.com", "a.example.com", domain_missing=False) is None


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
    dns_server.set_records({"_dmarc.customer.example": {"TXT": ["v=DMARC1; p=quarantine; pct=100"]}})
    result = dmarc(resolver, "customer.example")
    assert result.record == "v=DMARC1; p=quarantine; pct=100"
    assert result.policy_domain == "customer.example"
    assert result.policy == "quarantine"
    assert result.deprecated_tags == ["pct"]
    assert result.error is None and result.notes == [] and result.warnings == []


@pytest.mark.parametrize(
    "text",
    [
        "v=DMARC1; p=reject; pct=150",
        "v=DMARC1; p=reject; pct=abc",
        "v=DMARC1; p=reject; ri=abc",
        "v=DMARC1; p=reject; rua=mailto:d@customer.example!10 K , mailto:e@customer.example ! 2G",
    ],
)
def test_receivers_apply_p_reject_despite_a_bad_removed_tag_or_size_limit(dns_server, resolver, text):
    dns_server.set_records({"_dmarc.customer.example": {"TXT": [text]}})
    result = dmarc(resolver, "customer.example")
    assert result.policy == "reject" and result.error is None and result.record == text
    assert result.warnings  # what receivers make of the odd tag is said, not hidden
    assert result.dmarcbis.policy == "reject"


def test_a_bad_current_tag_is_an_error_but_the_policy_stays(dns_server, resolver):
    dns_server.set_records({"_dmarc.customer.example": {"TXT": ["v=DMARC1; p=reject; psd=x; adkim=z"]}})
    result = dmarc(resolver, "customer.example")
    assert result.policy == "reject"
    assert result.error.startswith("errors in the DMARC record at _dmarc.customer.example: psd='x'")
    assert [w for w in result.warnings if "receivers ignore the tag" in w] == [
        "psd='x' is not one of y, n, u (receivers ignore the tag)",
        "adkim='z' is not one of r, s (receivers ignore the tag)",
    ]


def test_a_record_with_a_leading_space_is_no_record(dns_server, resolver):
    dns_server.set_records({"_dmarc.customer.example": {"TXT": [" v=DMARC1; p=reject"]}})
    result = dmarc(resolver, "customer.example")
    assert result.record is None and result.policy is None and result.error is None
    assert any("starts with a space: receivers ignore it" in warning for warning in result.warnings)


def test_an_ignored_record_lets_discovery_go_on_to_the_organizational_domain(dns_server, resolver):
    dns_server.set_records(
        {
            "_dmarc.shop.customer.example": {"TXT": [" v=DMARC1; p=none"]},
            "_dmarc.customer.example": {"TXT": ["v=DMARC1; p=reject"]},
        }
    )
    result = dmarc(resolver, "shop.customer.example")
    assert result.policy_domain == "customer.example" and result.policy == "reject"
    assert result.dmarcbis.policy_domain == "customer.example" and result.notes == []


@pytest.mark.parametrize(
    "text,policy",
    [("v=DMARC1; sp=reject", None), ("v=DMARC1; rua=mailto:d@customer.example", "none")],
)
def test_a_record_without_p_applies_none_only_with_a_rua(dns_server, resolver, text, policy):
    dns_server.set_records(
        {
            "_dmarc.shop.customer.example": {"TXT": [text]},
            "_dmarc.customer.example": {"TXT": ["v=DMARC1; p=reject"]},
        }
    )
    result = dmarc(resolver, "shop.customer.example")
    # Discovery stops at the record found; the parent's p=reject is not used instead.
    assert result.policy_domain == "shop.customer.example" and result.record == text
    assert result.policy == policy and result.dmarcbis.policy == policy
    assert (result.error is None) == (policy is not None)


def test_a_subdomain_falls_back_to_the_organizational_domain(dns_server, resolver):
    dns_server.set_records({"_dmarc.example.co.uk": {"TXT": ["v=DMARC1; p=reject; sp=none"]}})
    result = dmarc(resolver, "shop.example.co.uk")
    assert result.policy_domain == "example.co.uk"
    assert result.organizational_domain == "example.co.uk"
    assert result.policy == "none"  # sp applies to subdomains
    assert result.notes == []  # the tree walk agrees
    assert result.dmarcbis.organizational_domain == "example.co.uk"


# Finding: the tree walk applied the first record walking up (mail.example.com); RFC 9989
# 4.10.1 applies the organizational domain's (the highest record, 4.10.2) and the two agree.
def test_the_tree_walk_applies_the_organizational_domains_record_not_the_first_found(dns_server, resolver):
    dns_server.set_records(
        {
            "_dmarc.mail.example.com": {"TXT": ["v=DMARC1; p=reject"]},
            "_dmarc.example.com": {"TXT": ["v=DMARC1; p=none"]},
        }
    )
    result = dmarc(resolver, "a.mail.example.com")
    assert result.policy_domain == "example.com" and result.policy == "none"
    assert result.dmarcbis.organizational_domain == "example.com"
    assert result.dmarcbis.policy_domain == "example.com" and result.dmarcbis.policy == "none"
    assert result.notes == []  # no false "RFC 7489 and RFC 9989 disagree"


def test_psd_n_below_the_registrable_domain_is_a_real_disagreement(dns_server, resolver):
    dns_server.set_records(
        {
            "_dmarc.mail.example.com": {"TXT": ["v=DMARC1; p=reject; psd=n"]},
            "_dmarc.example.com": {"TXT": ["v=DMARC1; p=none"]},
        }
    )
    result = dmarc(resolver, "a.mail.example.com")
    assert result.policy_domain == "example.com" and result.policy == "none"
    assert result.dmarcbis.organizational_domain == "mail.example.com"
    assert result.dmarcbis.policy == "reject"
    assert result.notes == [
        "RFC 7489 discovery (Public Suffix List) applies _dmarc.example.com, "
        "RFC 9989 discovery (DNS tree walk) applies _dmarc.mail.example.com"
    ]
    assert dns_server.count("_dmarc.com") == 0  # psd=n ends the walk


def test_the_tree_walk_honours_psd_y_for_the_organizational_domain(dns_server, resolver):
    dns_server.set_records({"_dmarc.example": {"TXT": ["v=DMARC1; p=reject; psd=y"]}})
    result = dmarc(resolver, "a.b.customer.example")
    assert result.record is None  # RFC 7489 asks only a.b.customer.example and customer.example
    assert result.dmarcbis.policy_domain == "example"  # the public suffix domain's record
    assert result.dmarcbis.organizational_domain == "customer.example"
    assert result.dmarcbis.policy == "reject"
    assert any("RFC 9989" in note and "_dmarc.example" in note for note in result.notes)


def test_the_organizational_domains_own_record_beats_the_psd_record(dns_server, resolver):
    dns_server.set_records(
        {
            "_dmarc.example": {"TXT": ["v=DMARC1; p=reject; psd=y"]},
            "_dmarc.customer.example": {"TXT": ["v=DMARC1; p=none"]},
        }
    )
    result = dmarc(resolver, "a.b.customer.example")
    assert result.dmarcbis.policy_domain == "customer.example" and result.dmarcbis.policy == "none"
    assert result.notes == []


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
    assert result.policy == "quarantine" and result.dmarcbis.policy == "quarantine"
    result.apply_domain_missing()
    assert result.policy == "none" and result.dmarcbis.policy == "none"


def test_multiple_records_end_rfc7489_discovery_but_not_the_tree_walk(dns_server, resolver):
    dns_server.set_records(
        {
            "_dmarc.shop.customer.example": {"TXT": ["v=DMARC1; p=none", "v=DMARC1; p=reject"]},
            "_dmarc.customer.example": {"TXT": ["v=DMARC1; p=quarantine"]},
        }
    )
    result = dmarc(resolver, "shop.customer.example")
    assert result.policy is None and result.record is None
    assert "2 DMARC records" in result.error
    # RFC 9989 4.10 step 2: several records at one name are all discarded and the walk goes on.
    assert result.dmarcbis.policy_domain == "customer.example" and result.dmarcbis.policy == "quarantine"
    assert any("applies no record" in note for note in result.notes)


def test_other_txt_records_at_dmarc_are_ignored(dns_server, resolver):
    dns_server.set_records(
        {"_dmarc.customer.example": {"TXT": ["google-site-verification=x", "v=DMARC1; p=none"]}}
    )
    result = dmarc(resolver, "customer.example")
    assert result.policy == "none" and result.warnings == []


def test_an_invalid_record_is_reported(dns_server, resolver):
    dns_server.set_records({"_dmarc.customer.example": {"TXT": ["v=DMARC1; p=never"]}})
    result = dmarc(resolver, "customer.example")
    assert result.record == "v=DMARC1; p=never" and result.policy is None
    assert result.error.startswith("invalid DMARC record at _dmarc.customer.example: p='never'")


def test_a_record_invalid_as_a_whole_is_reported(dns_server, resolver):
    dns_server.set_records({"_dmarc.customer.example": {"TXT": ["v=DMARC1; p=reject; p=none"]}})
    result = dmarc(resolver, "customer.example")
    assert result.record == "v=DMARC1; p=reject; p=none" and result.policy is None
    assert result.error == "invalid DMARC record at _dmarc.customer.example: tag 'p' appears twice " + (
        "(the whole record is invalid)"
    )


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


def test_a_failure_higher_up_the_walk_leaves_the_domains_own_record_applied(dns_server, resolver):
    dns_server.set_records({"_dmarc.shop.customer.example": {"TXT": ["v=DMARC1; p=reject"]}})
    dns_server.set_fault("_dmarc.customer.example", "servfail")
    result = dmarc(resolver, "shop.customer.example")
    assert result.policy == "reject" and result.error is None  # RFC 7489 stops at the domain's record
    assert result.dmarcbis.failed and result.dmarcbis.policy == "reject"
    assert result.dmarcbis.organizational_domain is None  # the walk could not place it
    assert [(f.name, f.rdtype) for f in result.failures] == [("_dmarc.customer.example", "TXT")]


# -- the report ----------------------------------------------------------------------------------


def test_the_report_shows_testing_and_the_tree_walks_policy(dns_server, resolver):
    dns_server.set_records(
        {
            "customer.example": {"TXT": ["v=spf1 -all"]},
            "_dmarc.customer.example": {"TXT": ["v=DMARC1; p=reject; t=y"]},
        }
    )
    data = asyncio.run(probe_domain(make_campaign(), "customer.example", resolver)).to_json()["dmarc"]
    assert data["policy"] == "reject" and data["testing"] is True and data["error"] is None
    assert data["dmarcbis"] == {
        "record": "v=DMARC1; p=reject; t=y",
        "policy_domain": "customer.example",
        "policy": "reject",
        "organizational_domain": "customer.example",
        "error": None,
    }
