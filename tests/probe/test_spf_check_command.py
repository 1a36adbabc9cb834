"""`manage.py spf_check`: check_host() from the command line, against the test DNS server."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def spf_check(*args: str) -> dict:
    out = StringIO()
    call_command("spf_check", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def records(dns_server):
    dns_server.set_records(
        {
            "customer.example": {"TXT": ["v=spf1 ip4:198.51.100.0/24 include:_spf.customer.example -all"]},
            "_spf.customer.example": {"TXT": ["v=spf1 ip4:203.0.113.5 ~all"]},
        }
    )
    return dns_server


def test_it_passes_an_authorized_address(records):
    result = spf_check(
        "--ip", "198.51.100.10", "--sender", "ceo@customer.example", "--nameserver", records.address
    )
    assert result["result"] == "pass"
    assert set(result) >= {"result", "explanation"}


def test_it_fails_an_unknown_address(records):
    result = spf_check(
        "--ip", "192.0.2.1", "--sender", "ceo@customer.example", "--nameserver", records.address
    )
    assert result["result"] == "fail"


def test_it_uses_the_helo_for_an_empty_sender(records):
    result = spf_check(
        "--ip", "203.0.113.5", "--sender", "", "--helo", "customer.example", "--nameserver", records.address
    )
    assert result["result"] == "pass"


def test_a_timeout_is_a_temperror(dns_server):
    dns_server.set_fault("customer.example", "timeout")
    result = spf_check(
        "--ip",
        "192.0.2.1",
        "--sender",
        "a@customer.example",
        "--nameserver",
        dns_server.address,
        "--timeout",
        "0.2",
    )
    assert result["result"] == "temperror"


def test_it_rejects_a_bad_ip():
    with pytest.raises(CommandError, match="not an IP address"):
        spf_check("--ip", "999.1.1.1", "--sender", "a@customer.example", "--nameserver", "127.0.0.1:9")
