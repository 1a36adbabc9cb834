"""The SPF parser, with records built by hand: every term kind and the errors."""

import pytest

from tracker.probe.spf.parser import SpfSyntaxError, Term, is_spf_record, parse_record


def only_term(record: str) -> Term:
    (term,) = parse_record(record).terms
    return term


@pytest.mark.parametrize(
    "txt, expected",
    [
        ("v=spf1", True),
        ("v=spf1 -all", True),
        ("V=SpF1 -all", True),
        ("v=spf10", False),
        ("v=spf1mx", False),
        ("v=spf1\t-all", False),
        ("spf1 -all", False),
        ("", False),
    ],
)
def test_it_recognises_the_version(txt, expected):
    assert is_spf_record(txt) is expected


def test_it_parses_an_empty_record():
    assert parse_record("v=spf1").terms == ()


def test_it_allows_several_and_trailing_spaces():
    record = parse_record("v=spf1 a   -all ")
    assert [t.text for t in record.terms] == ["a", "-all"]


@pytest.mark.parametrize("qualifier, expected", [("", "+"), ("+", "+"), ("-", "-"), ("~", "~"), ("?", "?")])
def test_it_reads_qualifiers(qualifier, expected):
    assert only_term(f"v=spf1 {qualifier}all").qualifier == expected


def test_mechanism_names_are_case_insensitive():
    term = only_term("v=spf1 -ALL")
    assert (term.name, term.text) == ("all", "-ALL")
    assert only_term("v=spf1 Include:Example.COM").value == "Example.COM"


def test_it_parses_include_and_exists():
    include = only_term("v=spf1 include:_spf.example.com")
    assert (include.kind, include.name, include.value) == ("mechanism", "include", "_spf.example.com")
    assert only_term("v=spf1 exists:%{ir}.%{v}._spf.%{d2}").value == "%{ir}.%{v}._spf.%{d2}"


@pytest.mark.parametrize("mechanism", ["a", "mx"])
@pytest.mark.parametrize(
    "suffix, value, cidr4, cidr6",
    [
        ("", None, None, None),
        ("/24", None, 24, None),
        ("//64", None, None, 64),
        ("/24//64", None, 24, 64),
        (":mail.example.com", "mail.example.com", None, None),
        (":mail.example.com/0//0", "mail.example.com", 0, 0),
        (":foo:bar/baz.example.com", "foo:bar/baz.example.com", None, None),
        (":%{d}/32", "%{d}", 32, None),
    ],
)
def test_it_parses_a_and_mx_with_dual_cidr(mechanism, suffix, value, cidr4, cidr6):
    term = only_term(f"v=spf1 {mechanism}{suffix}")
    assert (term.name, term.value, term.cidr4, term.cidr6) == (mechanism, value, cidr4, cidr6)


def test_it_parses_ptr():
    assert only_term("v=spf1 ptr").value is None
    assert only_term("v=spf1 ?ptr:example.com").value == "example.com"


def test_it_parses_ip4_and_ip6():
    ip4 = only_term("v=spf1 ip4:192.0.2.0/24")
    assert (ip4.value, ip4.cidr4) == ("192.0.2.0", 24)
    assert only_term("v=spf1 ip4:192.0.2.1").cidr4 is None
    ip6 = only_term("v=spf1 -ip6:2001:db8::/32")
    assert (ip6.qualifier, ip6.value, ip6.cidr6) == ("-", "2001:db8::", 32)
    assert only_term("v=spf1 ip6:::ffff:1.2.3.4").value == "::ffff:1.2.3.4"


def test_it_parses_modifiers_and_keeps_unknown_ones():
    record = parse_record("v=spf1 REDIRECT=_spf.example.com exp=explain.%{d} moo.cow-far_out=man:dog/cat")
    assert record.redirect.value == "_spf.example.com"
    assert record.exp.value == "explain.%{d}"
    unknown = record.terms[2]
    assert (unknown.kind, unknown.name, unknown.value, unknown.qualifier) == (
        "modifier",
        "moo.cow-far_out",
        "man:dog/cat",
        "",
    )
    assert record.mechanisms == ()


def test_it_accepts_macros_and_escapes_in_domains():
    parse_record(
        "v=spf1 a:macro%%percent%_%_space%-url-space.example.com a:%{H}.bar exists:%{l2r+-}.user.%{d2}"
    )


def test_it_accepts_dashes_in_the_top_label():
    assert only_term("v=spf1 a:foo.example.xn--zckzah").value == "foo.example.xn--zckzah"


def test_it_round_trips_to_text():
    record = parse_record("v=spf1   ip4:192.0.2.0/24  include:a.example.com ~all ")
    assert record.to_text() == "v=spf1 ip4:192.0.2.0/24 include:a.example.com ~all"
    assert parse_record(record.to_text()).terms == record.terms


@pytest.mark.parametrize(
    "record, bad_term",
    [
        ("v=spf1 ip4:1.2.3.4 -all moo", "moo"),
        ("v=spf1 moo.cow/far_out=man:dog/cat", "moo.cow/far_out=man:dog/cat"),
        ("v=spf1 moo.cow:far_out=man:dog/cat", "moo.cow:far_out=man:dog/cat"),
        ("v=spf1 redirect:example.com", "redirect:example.com"),
        ("v=spf1 -all.", "-all."),
        ("v=spf1 -all:foobar", "-all:foobar"),
        ("v=spf1 -all/8", "-all/8"),
        ("v=spf1 a:museum", "a:museum"),
        ("v=spf1 a:museum.", "a:museum."),
        ("v=spf1 a:abc.123", "a:abc.123"),
        ("v=spf1 a:111.222.33.44", "a:111.222.33.44"),
        ("v=spf1 a:example.-com", "a:example.-com"),
        ("v=spf1 a:example.com:8080", "a:example.com:8080"),
        ("v=spf1 a:", "a:"),
        ("v=spf1 a/33", "a/33"),
        ("v=spf1 a//129", "a//129"),
        ("v=spf1 a/24/64", "a/24/64"),
        ("v=spf1 a/032", "a/032"),
        ("v=spf1 include", "include"),
        ("v=spf1 include:", "include:"),
        ("v=spf1 include:ip5.example.com/24", "include:ip5.example.com/24"),
        ("v=spf1 exists", "exists"),
        ("v=spf1 exists:mail.example.com/24", "exists:mail.example.com/24"),
        ("v=spf1 ptr/0", "ptr/0"),
        ("v=spf1 ptr:", "ptr:"),
        ("v=spf1 ip4", "ip4"),
        ("v=spf1 ip4:1.2.3", "ip4:1.2.3"),
        ("v=spf1 ip4:1.2.3.4:8080", "ip4:1.2.3.4:8080"),
        ("v=spf1 ip4:1.2.3.4/33", "ip4:1.2.3.4/33"),
        ("v=spf1 ip4:1.2.3.4/032", "ip4:1.2.3.4/032"),
        ("v=spf1 ip4:1.2.3.4//32", "ip4:1.2.3.4//32"),
        ("v=spf1 ip4:01.2.3.4", "ip4:01.2.3.4"),
        ("v=spf1 ip6", "ip6"),
        ("v=spf1 ip6::CAFE::BABE", "ip6::CAFE::BABE"),
        ("v=spf1 ip6:::1/129", "ip6:::1/129"),
        ("v=spf1 ip6:::1//33", "ip6:::1//33"),
        ("v=spf1 ip6:fe80::1%eth0", "ip6:fe80::1%eth0"),
        ("v=spf1 1up=foo", "1up=foo"),
        ("v=spf1 =all", "=all"),
        ("v=spf1 foo=%abc", "foo=%abc"),
        ("v=spf1 redirect=", "redirect="),
        ("v=spf1 redirect=-all", "redirect=-all"),
        ("v=spf1 exp=", "exp="),
        ("v=spf1 exp=%{r}.example.com", "exp=%{r}.example.com"),
        ("v=spf1 -exists:%(ir).sbl.example.com", "-exists:%(ir).sbl.example.com"),
        ("v=spf1 exists:foo%.sbl.example.com", "exists:foo%.sbl.example.com"),
        ("v=spf1 a:%{a}.example.com", "a:%{a}.example.com"),
        ("v=spf1 a:%{d0}.example.com", "a:%{d0}.example.com"),
        ("v=spf1 a:ctrl.example.com\rptr", "a:ctrl.example.com\rptr"),
        ("v=spf1 a:foo.example.com\0", "a:foo.example.com\0"),
        ("v=spf1 \x80a:example.net", "\x80a:example.net"),
        ("v=spf1 a:\ufeffgarbage.example.net", "a:\ufeffgarbage.example.net"),
    ],
)
def test_it_rejects_bad_terms_and_names_them(record, bad_term):
    with pytest.raises(SpfSyntaxError) as excinfo:
        parse_record(record)
    assert repr(bad_term) in str(excinfo.value)


@pytest.mark.parametrize(
    "record",
    [
        "v=spf1 redirect=a.example.com redirect=b.example.com",
        "v=spf1 exp=a.example.com -all exp=b.example.com",
        "v=spf1 Redirect=a.example.com REDIRECT=a.example.com",
    ],
)
def test_it_rejects_duplicate_redirect_and_exp(record):
    with pytest.raises(SpfSyntaxError, match="more than once"):
        parse_record(record)


def test_it_rejects_text_that_is_not_spf():
    with pytest.raises(SpfSyntaxError, match="not an SPF record"):
        parse_record("v=spf10 -all")


def test_it_counts_dns_terms():
    record = parse_record(
        "v=spf1 a mx ptr exists:x.example.com include:y.example.com ip4:192.0.2.1 all redirect=z.example.com exp=w.example.com"
    )
    assert [t.name for t in record.terms if t.costs_dns_lookup] == [
        "a",
        "mx",
        "ptr",
        "exists",
        "include",
        "redirect",
    ]


def test_error_messages_stay_short_for_huge_terms():
    with pytest.raises(SpfSyntaxError) as excinfo:
        parse_record("v=spf1 a:" + "x" * 5000)
    assert len(str(excinfo.value)) <= 300
