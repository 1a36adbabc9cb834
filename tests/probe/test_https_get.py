"""The bounded HTTPS GET against a real TLS server on loopback (test CA made in the test)."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.probe.policy_server import Page
from tracker.probe.https_get import https_get

HOST = "mta-sts.customer.example"
PATH = "/.well-known/mta-sts.txt"
POLICY = "version: STSv1\r\nmode: enforce\r\nmx: *.po.example.net\r\nmax_age: 86400\r\n"


def fetch(server, host=HOST, addresses=("127.0.0.1",), **options):
    return asyncio.run(https_get(host, PATH, list(addresses), server.options(**options)))


def test_it_fetches_from_the_given_address_with_sni_and_host(policy_server):
    policy_server.serve(HOST, Page(body=POLICY))
    response = fetch(policy_server)
    assert (response.status, response.error, response.body.decode()) == (200, None, POLICY)
    assert response.content_type == "text/plain" and response.address == "127.0.0.1"
    assert policy_server.requests == [(HOST, f"GET {PATH} HTTP/1.1")]


def test_a_chunked_body_is_read(policy_server):
    policy_server.serve(HOST, Page(body=POLICY * 40, chunked=True))
    assert fetch(policy_server).body.decode() == POLICY * 40


@pytest.mark.parametrize("chunked", [False, True])
def test_an_oversized_body_is_refused_not_cut(policy_server, chunked):
    policy_server.serve(HOST, Page(body="x" * 70_000, chunked=chunked))
    response = fetch(policy_server)
    assert response.status is None and "response body over 65536 bytes" in response.error


def test_a_slow_drip_is_cut_off_by_the_time_bound(policy_server):
    policy_server.serve(HOST, Page(body=POLICY, drip=0.05))  # 70 bytes: 3.5 s in all
    started = time.monotonic()
    response = fetch(policy_server, timeout=0.6)
    assert time.monotonic() - started < 1.5
    assert response.status is None and "timeout" in response.error


def test_a_server_that_never_answers_times_out(policy_server):
    policy_server.serve(HOST, Page(body=POLICY, delay=5))
    response = fetch(policy_server, timeout=0.5)
    assert response.status is None and "timeout: no complete response within 0.5 s" in response.error


@pytest.mark.parametrize("certificate", ["other-ca", "wrong-name"])
def test_a_certificate_not_trusted_for_the_name_is_never_believed(policy_server, certificate):
    policy_server.serve(HOST, Page(body=POLICY, certificate=certificate))
    response = fetch(policy_server)
    assert response.status is None and response.body == b""
    assert "certificate not trusted" in response.error
    assert policy_server.requests == []  # the request was never sent


def test_the_system_cas_do_not_trust_the_test_ca(policy_server):
    policy_server.serve(HOST, Page(body=POLICY))
    assert "certificate not trusted" in fetch(policy_server, ca_file=None).error


def test_private_addresses_are_refused_unless_allowed(policy_server):
    policy_server.serve(HOST, Page(body=POLICY))
    response = fetch(
        policy_server, addresses=("127.0.0.1", "10.1.2.3", "169.254.169.254"), allow_private=False
    )
    assert response.status is None and "has no public address" in response.error
    assert policy_server.requests == []


def test_the_next_address_is_tried_when_one_refuses(policy_server):
    policy_server.serve(HOST, Page(body=POLICY))
    response = fetch(policy_server, addresses=("127.0.0.2", "127.0.0.1"))
    assert response.status == 200  # nothing listens on 127.0.0.2: refused, then 127.0.0.1 answers
    assert response.address == "127.0.0.1"


def test_every_refusal_is_a_failure_with_its_reason(policy_server):
    response = fetch(policy_server, addresses=("127.0.0.2",))
    assert response.status is None and "127.0.0.2: connection failed" in response.error


def test_a_404_is_an_answer(policy_server):
    response = fetch(policy_server, host="mta-sts.unknown.example")
    assert response.status == 404 and response.error is None
