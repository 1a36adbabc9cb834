"""The public RFC 7208 test suite (shared/testdata/spf), run against the real test DNS server.

Each scenario's zonedata is served by tracker/probe/zoneserver.py, following the
suite's driver conventions (README beside the YAML, read by peers_dns.openspf_zone):
SPF-type records are also served as TXT unless the name has TXT data or `TXT: NONE`,
and `TIMEOUT` makes every type without records time out. check_host() is real,
talking real DNS.
"""

from __future__ import annotations

import asyncio
import functools

import pytest
import yaml

from tests.probe.spf.peers_dns import openspf_zone, shared_testdata_path
from tracker.probe.spf.check_host import check_host

SUITE = shared_testdata_path("spf", "rfc7208-tests.yml")

# Cases whose expected outcome this implementation knowingly does not give, with why.
EXPECTED_FAILURES: dict[str, str] = {}


@functools.cache
def load_scenarios() -> list[dict]:
    with SUITE.open(encoding="utf-8") as fh:
        return [doc for doc in yaml.safe_load_all(fh) if doc]


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
    records, faults = openspf_zone(scenario.get("zonedata"))
    dns_server.set_records(records)
    for name, fault, rdtype in faults:
        dns_server.set_fault(name, fault, rdtype)
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
