"""Other projects' DMARC test vectors (shared/testdata/peers/dmarc), run through the whole engine.

Each case's zone is served by the real test DNS server; `probe_domain` runs MX,
SPF and both DMARC discoveries for real; the case's expectations are dotted
paths into the report's JSON ("present" = not null), or the `_dmarc.*` names the
server was asked (`dmarc_queries`, `_include`, `_exclude`). Every case runs in a
test of its own, with a fresh resolver, so the query log is that probe's alone.

Where a peer reads a record otherwise than the RFCs do, the vector still holds
(its mapping to our fields is chosen so it does), and READINGS below says how,
adding what the RFCs make of the record as extra expectations.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from tests.probe.dmarc_peer_vectors import MISSING, PEERS, DmarcCase, dmarc_cases
from tests.probe.test_mx import make_campaign
from tracker.probe.engine import probe_domain

if PEERS is None:
    pytest.skip(MISSING, allow_module_level=True)

CAMPAIGN = make_campaign()

# The peer raises (checkdmarc, Internet.nl: the record is rejected); the vector maps that
# to `dmarc.error` present. RFC 7489 6.3 and RFC 9989 4.8 discard the bad tag, not the
# record: the report has the error (the record breaks the grammar, the warnings say which
# tag receivers ignore) and keeps the policy.
_TAG_DISCARDED = (
    "the peer rejects the record; RFCs 7489 6.3 / 9989 4.8 discard only the tag: error, policy stays"
)

READINGS: dict[str, tuple[str, dict]] = {
    "testInvalidDMARCURI/1": (
        _TAG_DISCARDED + " (the rua URI without a scheme is skipped)",
        {"dmarc.policy": "none"},
    ),
    "testInvalidDMARCURI/2": (_TAG_DISCARDED + " ('__mailto:' is no URI scheme)", {"dmarc.policy": "none"}),
    "testRFC9989InvalidPsdValue": (_TAG_DISCARDED, {"dmarc.policy": "reject"}),
    "testRFC9989InvalidTValue": (_TAG_DISCARDED, {"dmarc.policy": "reject", "dmarc.testing": False}),
    "testDMARCSyntaxError": (_TAG_DISCARDED + " (fo=invalid_value)", {"dmarc.policy": "reject"}),
    "testDMARCInvalidFoValue": (_TAG_DISCARDED + " (fo=x)", {"dmarc.policy": "reject"}),
    "test_parse_psd_invalid_value": (_TAG_DISCARDED, {"dmarc.policy": "none"}),
    "test_parse_testing_invalid_value": (_TAG_DISCARDED, {"dmarc.policy": "none"}),
    "test_authenticate_dmarc_bad": (
        "authheaders answers permerror for the stray word 'reject'; RFC 9989 4.8: a syntax error in the "
        "remainder of the record is ignored, so p=none still applies (with the error)",
        {"dmarc.policy": "none"},
    ),
    "testInvalidDMARCPolicyValue": (
        "p=foo is invalid, the record has a valid rua: RFC 7489 6.6.3 step 6 and RFC 9989 4.10.1 read it as p=none",
        {"dmarc.policy": "none"},
    ),
    "testRFC9989InvalidNpValue": (
        "RFC 9989 4.10.1: an invalid np without a valid rua means no DMARC policy (RFC 7489 does not know np "
        "and would ignore it; the newer text is followed)",
        {"dmarc.policy": None, "dmarc.record": "v=DMARC1; p=reject; np=invalid"},
    ),
    "testDMARCInvalidSpValue": (
        "an invalid sp without a valid rua: no DMARC policy (RFC 7489 6.6.3 step 6, RFC 9989 4.10.1)",
        {"dmarc.policy": None},
    ),
    "testDMARCGrammarSyntaxError": (
        "'p' without '=' is skipped; what remains has no p and no rua: no DMARC policy",
        {"dmarc.policy": None},
    ),
    "testDMARCDuplicateTags": (
        "RFC 6376 3.2 (DMARC uses DKIM's tag-value syntax): a repeated tag invalidates the whole record",
        {"dmarc.policy": None},
    ),
    "testDMARCFoRedundancy": (
        "fo=0:1 is RFC 7489 grammar; RFC 9989's ABNF makes 0 and 1 exclusive: a warning, not an error",
        {"dmarc.policy": "reject"},
    ),
    "testRFC9989MissingPTagWarning": (
        "no p but a valid rua: p=none (RFC 9989 4.7 and 4.10.1); RFC 7489 requires p, a warning says so",
        {"dmarc.policy": "none"},
    ),
    "testDMARCPctRemovedNotValidated/150": (
        "RFC 9989 removed pct: its receivers ignore it whatever the value; RFC 7489 ones discard the bad "
        "value (default 100). Either way p=reject applies",
        {"dmarc.policy": "reject"},
    ),
    "testDMARCPctRemovedNotValidated/abc": ("as pct=150", {"dmarc.policy": "reject"}),
    "testDMARCRiRemovedNotValidated": ("as pct=150, for ri", {"dmarc.policy": "reject"}),
    "testDMARCMixedFormatting/5": (
        "the tag name V is case-insensitive (an ABNF literal); only the value DMARC1 is case-sensitive",
        {"dmarc.policy": "reject"},
    ),
    "testDMARCRecordStartsWithWhitespace": (
        "RFC 9989 4.10 step 2: a record that does not start with the v tag is discarded; a warning says so",
        {"dmarc.record": None, "dmarc.error": None},
    ),
    "test_authenticate_dmarc_no_p": (
        "no p and no rua: no DMARC policy (RFC 7489 6.6.3 step 6, RFC 9989 4.10.1), and no fallback to "
        "example.org: discovery stopped at the record it found",
        {"dmarc.policy_domain": "nop.example.org"},
    ),
    "test_authenticate_dmarc_psdsub": (
        "example.gov does not exist: the PSD record's np applies (RFC 9989 4.10.1); RFC 7489 never asks _dmarc.gov",
        {"dmarc.dmarcbis.policy": "reject", "dmarc.record": None},
    ),
    "parse_dmarc/5": (
        "mail-auth reads the size limits '!10 K' and ' ! 2G' despite their spaces, as receivers do: RFC 9989 "
        "makes the size suffix obsolete, so only a warning; 'ignore_me' is an unknown tag",
        {"dmarc.error": None},
    ),
    "parse_dmarc/6": ("';;' at the end is nothing to read, not an error", {"dmarc.error": None}),
    "B.2.5-subdomain-testing": (
        "t=y does not change the published policy the report shows; `testing` says RFC 9989 receivers "
        "apply one level lower",
        {"dmarc.testing": True},
    ),
}


def _value(report: dict, path: str):
    value = report
    for key in path.split("."):
        value = value[key]
    return value


def _check(report: dict, asked: set[str], key: str, want) -> None:
    if key == "dmarc_queries":
        assert asked == set(want), f"asked {sorted(asked)}"
    elif key == "dmarc_queries_include":
        assert set(want) <= asked, f"asked {sorted(asked)}"
    elif key == "dmarc_queries_exclude":
        assert not set(want) & asked, f"asked {sorted(asked)}"
    elif want == "present":
        assert _value(report, key) is not None, f"{key} is null"
    else:
        assert _value(report, key) == want, f"{key} = {_value(report, key)!r}, expected {want!r}"


def _params() -> list:
    return [pytest.param(case, id=f"{case.suite}:{case.id}") for case in dmarc_cases()]


@pytest.mark.parametrize("case", _params())
def test_peer_dmarc_vector(dns_server, resolver, case: DmarcCase):
    dns_server.set_records(case.zone)
    report = asyncio.run(probe_domain(CAMPAIGN, case.arg, resolver)).to_json()
    asked = {query.name for query in dns_server.queries if query.name.startswith("_dmarc.")}
    expectations = dict(case.expect)
    if case.id in READINGS:
        expectations.update(READINGS[case.id][1])
    for key, want in expectations.items():
        _check(report, asked, key, want)


def test_every_peer_vector_is_run():
    """A vector file that loses cases (or a loader that skips some) fails here, not silently."""
    counts = Counter(case.suite for case in dmarc_cases())
    assert counts == {
        "checkdmarc": 47,
        "dmarcbis": 20,
        "stalwart-mail-auth": 16,
        "internetnl": 9,
        "authheaders": 7,
    }
    assert len({case.id for case in dmarc_cases()}) == sum(counts.values())
    assert set(READINGS) <= {case.id for case in dmarc_cases()}
