"""MTA-STS text rules (RFC 8461): the TXT record, the policy file, and section 4.1 MX matching.

The matching cases are transcribed from postalsys/mailauth's
test/mta-sts/validate-mx-test.js (the public oracle); mailauth reports a
wildcard match as '.example.com', we report the pattern as published.
"""

from __future__ import annotations

import pytest

from tracker.probe.mta_sts_policy import (
    Policy,
    PolicyError,
    covers_service_patterns,
    matching_pattern,
    new_policy_id,
    parse_policy,
    parse_sts_record,
    pattern_covers_service,
    policy_text,
    sts_record_text,
    validate_mx,
)

ORACLE_POLICY = parse_policy(
    "version: STSv1\nmode: enforce\nmx: *.example.com\nmx: mail.example.net\n"
    "mx: xn--mnchen-3ya.example\nmx: mx.xn--e1afmkfd.example\nmax_age: 86400\n"
)


def check(host):
    return validate_mx(host, ORACLE_POLICY)


# -- mailauth validate-mx-test.js ----------------------------------------------------------------


def test_a_wildcard_matches_exactly_one_left_most_label():
    result = check("mail.example.com")
    assert (result.valid, result.mode, result.match, result.testing) == (
        True,
        "enforce",
        "*.example.com",
        False,
    )
    assert check("MAIL.EXAMPLE.COM").valid
    for host in ("example.com", "foo.bar.example.com", "a.b.c.example.com", ".example.com", "xexample.com",
                 "*.example.com"):  # fmt: skip
        assert not check(host).valid, host


def test_exact_names_match_case_insensitively_only():
    result = check("mail.example.net")
    assert (result.valid, result.mode, result.match, result.testing) == (
        True,
        "enforce",
        "mail.example.net",
        False,
    )
    assert check("Mail.Example.Net").valid
    assert check(" mail.example.net ").valid
    assert not check("x.mail.example.net").valid
    assert not check("").valid


def test_a_trailing_dot_on_the_mx_name_is_ignored():
    assert check("mail.example.com.").valid
    assert check("mail.example.net.").valid


def test_u_label_mx_names_are_converted_to_a_labels():
    assert check("münchen.example").valid
    result = check("mx.пример.example")
    assert (result.valid, result.match) == (True, "mx.xn--e1afmkfd.example")


def test_an_enforce_policy_without_an_mx_list_fails_closed():
    result = validate_mx("b.example", Policy(mode="enforce", mx=(), max_age=0))
    assert (result.valid, result.mode, result.testing) == (False, "enforce", False)
    assert not validate_mx("b.example", Policy(mode="enforce", mx="b.example", max_age=0)).valid  # type: ignore[arg-type]


def test_invalid_patterns_never_match():
    policy = Policy(mode="enforce", mx=("foo*.example.com", "*", "", None), max_age=0)  # type: ignore[arg-type]
    assert not validate_mx("foo1.example.com", policy).valid
    assert not validate_mx("foo", policy).valid


def test_testing_and_none_modes():
    testing = parse_policy("version: STSv1\nmode: testing\nmx: a.example\nmax_age: 60\n")
    result = validate_mx("b.example", testing)
    assert (result.valid, result.mode, result.testing) == (False, "testing", True)
    none = parse_policy("version: STSv1\nmode: none\nmx: a.example\nmax_age: 60\n")
    assert (validate_mx("b.example", none).valid, validate_mx("b.example", none).mode) == (True, "none")
    assert (validate_mx("b.example", None).valid, validate_mx("b.example", None).mode) == (True, "none")


# -- beyond the oracle ----------------------------------------------------------------------------


def test_a_name_that_merely_ends_in_the_pattern_never_matches():
    # checkdmarc's matcher accepts this one; RFC 8461 4.1 does not.
    assert matching_pattern("mail.example.net.evil.com", ["mail.example.net"]) is None
    assert matching_pattern("mail.example.net.evil.com", ["*.example.net"]) is None
    assert matching_pattern("evil-example.net", ["*.example.net"]) is None


def test_a_policy_is_parsed_per_rfc_8461_section_3_2():
    policy = parse_policy(
        "version: STSv1\r\nmode: ENFORCE\r\nmx: MX1.Example.COM\r\nmx: *.example.net\r\nmx: mx1.example.com\r\n"
        "max_age: 604800\r\nfuture_key: whatever\r\n"
    )
    assert (policy.mode, policy.mx, policy.max_age) == (
        "enforce",
        ("mx1.example.com", "*.example.net"),
        604800,
    )
    assert policy.warnings == ()


@pytest.mark.parametrize(
    "text,message",
    [
        ("mode: enforce\nmx: a.example\nmax_age: 60\n", "version must be STSv1"),
        ("version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 60\n", "version must be STSv1"),
        ("version: STSv1\nmode: strict\nmx: a.example\nmax_age: 60\n", "mode must be"),
        ("version: STSv1\nmode: enforce\nmx: a.example\n", "max_age must be"),
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n", "max_age must be"),
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n", "max_age must be"),
        ("version: STSv1\nmode: enforce\nmax_age: 60\n", "needs at least one mx"),
    ],
)
def test_a_policy_senders_ignore_is_an_error(text, message):
    with pytest.raises(PolicyError, match=message):
        parse_policy(text)


def test_mode_none_needs_no_mx_and_odd_lines_are_warnings():
    policy = parse_policy("version: STSv1\nmode: none\nmax_age: 0\ngarbage line\nmode: enforce\n")
    assert policy.mode == "none" and policy.mx == ()
    assert any("not 'key: value'" in w for w in policy.warnings)
    assert any("mode appears twice" in w for w in policy.warnings)


def test_the_txt_record():
    record = parse_sts_record("v=STSv1; id=20240101T000000; ext=1;")
    assert record.id == "20240101T000000" and record.extensions == (("ext", "1"),)
    assert sts_record_text(record, "new1") == "v=STSv1; id=new1; ext=1;"
    for bad in ("v=STSv1;", "v=STSv1; id=", "v=STSv1; id=has-dash", "v=STSv1; id=" + "x" * 33,
                "v=STSv2; id=1", "v=STSv1; id=1; id=2"):  # fmt: skip
        with pytest.raises(PolicyError):
            parse_sts_record(bad)


def test_policy_text_and_new_ids_follow_from_the_content():
    text = policy_text("enforce", ["*.example.net"], 86400)
    assert text == "version: STSv1\r\nmode: enforce\r\nmx: *.example.net\r\nmax_age: 86400\r\n"
    assert parse_policy(text).mx == ("*.example.net",)
    first = new_policy_id(text, "old")
    assert first == new_policy_id(text, "old")  # the same advice on every sweep
    assert first.isalnum() and len(first) <= 32
    assert new_policy_id(text, first) != first


def test_policy_patterns_against_campaign_patterns():
    legacy = ("*.po.example.net",)
    assert pattern_covers_service("*.po.example.net", legacy)
    assert pattern_covers_service("mx1.po.example.net", legacy)
    assert pattern_covers_service("*.eu.po.example.net", legacy)
    assert not pattern_covers_service("po.example.net", legacy)  # the suffix itself is no legacy host
    assert not pattern_covers_service("*.example.net", legacy)  # one label under example.net: not po hosts
    assert pattern_covers_service("*.po.example.net", ("mx1.po.example.net",))
    assert not pattern_covers_service("bogus*", legacy)


def test_a_policy_covers_a_service_only_when_every_host_is_matched():
    successor = ("*.securemx.example.org", "mx.partner.example")
    assert covers_service_patterns(["*.securemx.example.org", "mx.partner.example"], successor)
    assert covers_service_patterns(["*.securemx.example.org", "*.partner.example"], successor)
    assert not covers_service_patterns(["mx1.securemx.example.org", "mx.partner.example"], successor)
    assert not covers_service_patterns(["*.securemx.example.org"], successor)
    assert not covers_service_patterns(["*.securemx.example.org"], ())
