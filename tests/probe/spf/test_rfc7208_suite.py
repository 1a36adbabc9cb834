"""The public RFC 7208 test suite (shared/testdata/spf), run against the real test DNS server.

Each scenario's zonedata is served by tracker/probe/zoneserver.py, following the
suite's driver conventions (README beside the YAML): SPF-type records are also
served as TXT unless the name has TXT data or `TXT: NONE`, and `TIMEOUT` makes
every type without records time out. check_host() is real, talking real DNS.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

import pytest
import yaml

from tracker.probe.spf.check_host import check_host

SUITE = Path(__file__).resolve().parents[3].parent / "shared" / "testdata" / "spf" / "rfc7208-tests.yml"
if not SUITE.exists():  # the checkout may live elsewhere than /work/main
    SUITE = Path("/work/shared/testdata/spf/rfc7208-tests.yml")

SERVED_TYPES = ("TXT", "SPF", "A", "AAAA", "MX", "PTR", "CNAME")

# Cases whose expected outcome this implementation knowingly does not give, with why.
EXPECTED_FAILURES: dict[str, str] = {}


@functools.cache
def load_scenarios() -> list[dict]:
    with SUITE.open(encoding="utf-8") as fh:
        return [doc for doc in yaml.safe_load_all(fh) if doc]


def zone_from(zonedata: dict) -> tuple[dict, list[tuple[str, str]]]:
    """The server's records dict and the (name, type) pairs that must time out."""
    records: dict[str, dict[str, list]] = {}
    timeouts: list[tuple[str, str]] = []
    for raw_name, entries in (zonedata or {}).items():
        name = raw_name.replace(" ", "\\ ")
        by_type: dict[str, list] = {}
        no_txt = timeout = False
        for entry in entries:
            if entry == "TIMEOUT":
                timeout = True
                continue
            ((rdtype, value),) = entry.items()
            if rdtype == "TXT" and value == "NONE":
                no_txt = True
                continue
            if rdtype in ("TXT", "SPF"):
                value = tuple(value) if isinstance(value, list) else value
                if value == ():
                    value = (
                        "",
                    )  # "null text": an RR with no strings cannot go on the wire; one empty string
            elif rdtype == "MX":
                value = (int(value[0]), value[1] or ".")
            by_type.setdefault(rdtype, []).append(value)
        if "SPF" in by_type and "TXT" not in by_type and not no_txt:
            by_type["TXT"] = list(by_type["SPF"])
        if by_type:
            records[name] = by_type
        if timeout:
            timeouts.extend((name, rdtype) for rdtype in SERVED_TYPES if rdtype not in by_type)
    return records, timeouts


def cases() -> list:
    params = []
    for scenario in load_scenarios():
        for case_id, case in scenario["tests"].items():
            marks = []
            if case_id in EXPECTED_FAILURES:
                marks.append(pytest.mark.xfail(reason=EXPECTED_FAILURES[case_id], strict=True))
            params.append(pytest.param(scenario, case_id, case, id=case_id, marks=marks))
    return params


@pytest.mark.parametrize("scenario, case_id, case", cases())
def test_rfc7208_case(dns_server, resolver, scenario, case_id, case):
    records, timeouts = zone_from(scenario.get("zonedata"))
    dns_server.set_records(records)
    for name, rdtype in timeouts:
        dns_server.set_fault(name, "timeout", rdtype)
    mailfrom = case["mailfrom"] or ""
    helo = case["helo"]
    domain = mailfrom.rpartition("@")[2] if mailfrom else helo
    expected = case["result"] if isinstance(case["result"], list) else [case["result"]]

    outcome = asyncio.run(check_host(resolver, str(case["host"]), domain, mailfrom, helo))
    assert outcome.result in expected, f"{case_id}: got {outcome} ({case.get('description', '')})"
    explanation = case.get("explanation")
    if outcome.result == "fail" and explanation and explanation != "DEFAULT":
        assert outcome.explanation.lower() == explanation.lower()


def test_the_suite_is_all_there():
    assert sum(len(s["tests"]) for s in load_scenarios()) == 203
