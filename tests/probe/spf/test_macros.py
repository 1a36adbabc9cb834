"""Macro expansion (RFC 7208 section 7), with the examples of section 7.4."""

import ipaddress

import pytest

from tracker.probe.spf.errors import SpfSyntaxError
from tracker.probe.spf.macros import (
    MacroContext,
    expand_domain_spec,
    expand_explanation,
    expand_macro_string,
    truncate_domain,
)

IPV4 = MacroContext(
    ip=ipaddress.ip_address("192.0.2.3"), sender="strong-bad@email.example.com", domain="email.example.com"
)
IPV6 = MacroContext(
    ip=ipaddress.ip_address("2001:db8::cb01"),
    sender="strong-bad@email.example.com",
    domain="email.example.com",
)


@pytest.mark.parametrize(
    "macro, expansion",
    [
        ("%{s}", "strong-bad@email.example.com"),
        ("%{o}", "email.example.com"),
        ("%{d}", "email.example.com"),
        ("%{d4}", "email.example.com"),
        ("%{d3}", "email.example.com"),
        ("%{d2}", "example.com"),
        ("%{d1}", "com"),
        ("%{dr}", "com.example.email"),
        ("%{d2r}", "example.email"),
        ("%{l}", "strong-bad"),
        ("%{l-}", "strong.bad"),
        ("%{lr}", "strong-bad"),
        ("%{lr-}", "bad.strong"),
        ("%{l1r-}", "strong"),
    ],
)
def test_rfc7208_section_7_4_macros(macro, expansion):
    assert expand_macro_string(macro, IPV4) == expansion


@pytest.mark.parametrize(
    "macro_string, expansion",
    [
        ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
        ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
        ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
        ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
        ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
    ],
)
def test_rfc7208_section_7_4_macro_strings(macro_string, expansion):
    assert expand_domain_spec(macro_string, IPV4) == expansion


def test_rfc7208_section_7_4_ipv6():
    assert expand_domain_spec("%{ir}.%{v}._spf.%{d2}", IPV6) == (
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
    )


def test_escapes():
    assert expand_macro_string("a%%b%_c%-d", IPV4) == "a%b c%20d"


def test_upper_case_letters_are_url_escaped():
    ctx = MacroContext(ip=IPV4.ip, sender="~jack&jill=up-a_b3.c@e8.example.com", domain="e8.example.com")
    assert expand_macro_string("l=%{L}", ctx) == "l=~jack%26jill%3Dup-a_b3.c"


def test_several_delimiters():
    ctx = MacroContext(ip=IPV4.ip, sender="foo-bar+zip+quux@e12.example.com", domain="e12.example.com")
    assert expand_macro_string("%{l2r+-}", ctx) == "bar.foo"


def test_explanation_letters():
    ctx = MacroContext(ip=IPV4.ip, sender="a@b.example", domain="b.example", timestamp=1700000000)
    assert expand_explanation("%{c} at %{t} by %{r}", ctx) == "192.0.2.3 at 1700000000 by unknown"
    assert expand_explanation("from %{c}", IPV6) == "from 2001:db8::cb01"
    with pytest.raises(SpfSyntaxError):
        expand_domain_spec("%{c}.example.com", IPV4)


def test_an_empty_local_part_is_postmaster():
    ctx = MacroContext(ip=IPV4.ip, sender="@example.net", domain="example.net")
    assert expand_macro_string("%{l}", ctx) == "postmaster"


def test_long_names_are_truncated_from_the_left():
    long_name = ".".join([f"label{i:02d}" for i in range(40)]) + ".example.com"
    truncated = truncate_domain(long_name)
    assert len(truncated) <= 253
    assert long_name.endswith(truncated)
    assert truncated.split(".")[0].startswith("label")  # whole labels dropped


def test_a_trailing_dot_is_dropped_for_queries():
    assert expand_domain_spec("%{d}.d.spf.example.com.", IPV4) == "email.example.com.d.spf.example.com"
