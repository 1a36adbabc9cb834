"""Property tests: the parser never fails in an unexpected way, and valid records round-trip."""

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.probe.spf.parser import SpfRecord, SpfSyntaxError, parse_record

SPF_ALPHABET = st.sampled_from(
    list("v=spf1 :/.%{}-+~?_aimxptr4690lsodhcrtve\x00\t\r\né") + ["ip4", "ip6", "all"]
)

labels = st.sampled_from(["example", "_spf", "mail", "a-b", "x1", "1"])
top_labels = st.sampled_from(["com", "net", "xn--zckzah", "co", "a1"])
domains = st.tuples(st.lists(labels, min_size=1, max_size=3), top_labels).map(
    lambda p: ".".join([*p[0], p[1]])
)
macro_domains = st.sampled_from(["%{d}", "%{ir}.%{v}._spf.%{d2}", "%{l2r-}.user.%{o}", "_spf.%{D}"])
domain_specs = st.one_of(domains, macro_domains)
qualifiers = st.sampled_from(["", "+", "-", "~", "?"])
ip4s = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
ip6s = st.sampled_from(["::", "::1", "2001:db8::", "::ffff:192.0.2.1", "fe80::1:2", "2001:DB8:0:0:1::"])
cidr4 = st.one_of(st.just(""), st.integers(0, 32).map(lambda n: f"/{n}"))
cidr6 = st.one_of(st.just(""), st.integers(0, 128).map(lambda n: f"/{n}"))
dual_cidr = st.tuples(cidr4, st.one_of(st.just(""), cidr6.map(lambda c: "/" + c if c else ""))).map("".join)

mechanisms = st.one_of(
    st.just("all"),
    domain_specs.map(lambda d: f"include:{d}"),
    domain_specs.map(lambda d: f"exists:{d}"),
    st.tuples(
        st.sampled_from(["a", "mx"]), st.one_of(st.just(""), domain_specs.map(lambda d: ":" + d)), dual_cidr
    ).map("".join),
    st.one_of(st.just("ptr"), domain_specs.map(lambda d: f"ptr:{d}")),
    st.tuples(ip4s, cidr4).map(lambda p: f"ip4:{p[0]}{p[1]}"),
    st.tuples(ip6s, cidr6).map(lambda p: f"ip6:{p[0]}{p[1]}"),
)
directives = st.tuples(qualifiers, mechanisms).map("".join)
unknown_modifiers = st.tuples(
    st.sampled_from(["moo", "default", "op", "x.y-z_1", "Ra"]),
    st.sampled_from(["", "x", "%{d}", "a:b/c", "%%%_%-"]),
).map(lambda p: f"{p[0]}={p[1]}")


@st.composite
def valid_records(draw):
    terms = draw(st.lists(st.one_of(directives, unknown_modifiers), max_size=8))
    if draw(st.booleans()):
        terms.insert(draw(st.integers(0, len(terms))), "redirect=" + draw(domain_specs))
    if draw(st.booleans()):
        terms.insert(draw(st.integers(0, len(terms))), "exp=" + draw(domain_specs))
    separators = draw(st.lists(st.sampled_from([" ", "  "]), min_size=len(terms), max_size=len(terms)))
    return "v=spf1" + "".join(sep + term for sep, term in zip(separators, terms, strict=True))


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.lists(SPF_ALPHABET).map(lambda t: "v=spf1 " + "".join(t)),
        st.lists(SPF_ALPHABET).map("".join),
    )
)
def test_any_text_gives_a_record_or_a_syntax_error(text):
    try:
        record = parse_record(text)
    except SpfSyntaxError:
        return
    assert isinstance(record, SpfRecord)


@settings(max_examples=200, deadline=None)
@given(valid_records())
def test_valid_records_parse_and_round_trip(text):
    record = parse_record(text)
    assert len(record.terms) == len(text.split()) - 1
    assert " ".join(["v=spf1", *(t.text for t in record.terms)]) == record.to_text()
    assert parse_record(record.to_text()).terms == record.terms
