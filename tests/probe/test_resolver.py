"""The resolver against a real server on loopback: each outcome kept apart, answers bounded."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from tests.conftest_dns import TEST_ATTEMPTS, TEST_TIMEOUT, needs_ipv6_loopback
from tracker.probe.resolver import (
    RESENDS_PER_ATTEMPT,
    Answer,
    Nameserver,
    Outcome,
    Resolver,
    normalize_query_name,
    parse_nameserver,
)
from tracker.probe.zoneserver import ZoneServer


def run(coro):
    return asyncio.run(coro)


def query(resolver: Resolver, name: str, rdtype: str) -> Answer:
    return run(resolver.query(name, rdtype))


# -- answers ----------------------------------------------------------------------------------


def test_it_returns_records_of_each_type(dns_server, resolver):
    dns_server.set_records(
        {
            "example.com": {
                "TXT": ["v=spf1 include:spf.po.2iij.net -all"],
                "MX": [(10, "MX1.po.2iij.net."), (20, "mx2.po.2iij.net")],
                "SPF": ["v=spf1 -all"],
            },
            "mx1.po.2iij.net": {"A": ["192.0.2.1"], "AAAA": ["2001:db8::1"]},
            "1.2.0.192.in-addr.arpa": {"PTR": ["MX1.po.2iij.net"]},
            "null.example": {"MX": [(0, ".")]},
        }
    )
    txt = query(resolver, "example.com", "TXT")
    assert txt == Answer("example.com", "TXT", Outcome.NOERROR, ("v=spf1 include:spf.po.2iij.net -all",))
    assert not txt.failed and not txt.void
    assert sorted(query(resolver, "example.com", "MX").records) == [
        (10, "mx1.po.2iij.net"),
        (20, "mx2.po.2iij.net"),
    ]
    assert query(resolver, "example.com", "SPF").records == ("v=spf1 -all",)
    assert query(resolver, "mx1.po.2iij.net", "A").records == ("192.0.2.1",)
    assert query(resolver, "mx1.po.2iij.net", "AAAA").records == ("2001:db8::1",)
    assert query(resolver, "1.2.0.192.in-addr.arpa", "PTR").records == ("mx1.po.2iij.net",)
    assert query(resolver, "null.example", "MX").records == ((0, ""),)


def test_multi_string_txt_is_concatenated_without_separator(dns_server, resolver):
    dns_server.set_records(
        {"split.example": {"TXT": [("v=spf1 include:a.example", " include:b.example -all"), "other"]}}
    )
    answer = query(resolver, "split.example", "TXT")
    assert sorted(answer.records) == ["other", "v=spf1 include:a.example include:b.example -all"]


def test_txt_bytes_that_are_not_utf8_are_replaced(dns_server, resolver):
    dns_server.set_records({"bin.example": {"TXT": [(b"v=spf1 \xff-all",)]}})
    assert query(resolver, "bin.example", "TXT").records == ("v=spf1 \ufffd-all",)


def test_cnames_are_followed(dns_server, resolver):
    dns_server.set_records(
        {
            "www.example": {"CNAME": "alias.example"},
            "alias.example": {"CNAME": "target.example"},
            "target.example": {"TXT": "v=spf1 -all"},
        }
    )
    txt = query(resolver, "www.example", "TXT")
    assert txt.records == ("v=spf1 -all",)
    assert (txt.aliases, txt.canonical_name) == (("alias.example", "target.example"), "target.example")
    cname = query(resolver, "www.example", "CNAME")
    assert (cname.records, cname.aliases) == (("alias.example",), ())
    no_a = query(resolver, "www.example", "A")
    assert (no_a.outcome, no_a.aliases) == (Outcome.NODATA, ("alias.example", "target.example"))
    direct = query(resolver, "target.example", "TXT")
    assert (direct.aliases, direct.canonical_name) == ((), "target.example")


def test_a_cname_to_a_missing_name_is_nxdomain(dns_server, resolver):
    dns_server.set_records({"dangling.example": {"CNAME": "gone.example"}})
    answer = query(resolver, "dangling.example", "TXT")
    assert (answer.outcome, answer.aliases) == (Outcome.NXDOMAIN, ("gone.example",))


def test_a_cname_loop_is_a_failure_not_an_answer(dns_server, resolver):
    dns_server.set_records(
        {"ping.example": {"CNAME": "pong.example"}, "pong.example": {"CNAME": "ping.example"}}
    )
    answer = query(resolver, "ping.example", "TXT")
    assert answer.failed and not answer.void


# -- void answers -----------------------------------------------------------------------------


def test_a_name_without_that_type_is_nodata(dns_server, resolver):
    dns_server.set_records({"a.b.example": {"A": "192.0.2.1"}})
    answer = query(resolver, "a.b.example", "TXT")
    assert answer.outcome == Outcome.NODATA and answer.void and not answer.failed
    assert query(resolver, "b.example", "TXT").outcome == Outcome.NODATA  # empty non-terminal


def test_an_absent_name_is_nxdomain(dns_server, resolver):
    answer = query(resolver, "missing.example", "TXT")
    assert answer == Answer("missing.example", "TXT", Outcome.NXDOMAIN)
    assert answer.void and not answer.failed


# -- failures ---------------------------------------------------------------------------------


def test_servfail_is_retried_then_reported(dns_server, resolver):
    dns_server.set_fault("broken.example", "servfail")
    answer = query(resolver, "broken.example", "TXT")
    assert answer.outcome == Outcome.SERVFAIL and answer.failed and not answer.void
    assert dns_server.count("broken.example", "TXT") == TEST_ATTEMPTS


def test_a_servfail_then_an_answer_is_the_answer(dns_server):
    """A flaky server: the retry gets through (the fault is lifted while the back-off runs)."""
    dns_server.set_records({"flaky.example": {"TXT": "v=spf1 -all"}})
    dns_server.set_fault("flaky.example", "servfail")

    async def scenario():
        resolver = Resolver([dns_server.address], timeout=TEST_TIMEOUT, attempts=3)
        task = asyncio.create_task(resolver.query("flaky.example", "TXT"))
        while dns_server.count("flaky.example") == 0:
            await asyncio.sleep(0.001)
        dns_server.set_fault("flaky.example", None)
        answer = await task
        await resolver.close()
        return answer

    assert run(scenario()).records == ("v=spf1 -all",)
    assert dns_server.count("flaky.example") == 2


def test_refused_is_reported_without_asking_the_same_server_again(dns_server, resolver):
    dns_server.set_fault("closed.example", "refused")
    answer = query(resolver, "closed.example", "MX")
    assert answer.outcome == Outcome.REFUSED and answer.failed
    assert dns_server.count("closed.example") == 1


def test_formerr_is_an_error(dns_server, resolver):
    dns_server.set_fault("odd.example", "formerr")
    answer = query(resolver, "odd.example", "A")
    assert answer.outcome == Outcome.ERROR and "FORMERR" in answer.detail


def test_a_lost_datagram_is_sent_again_long_before_the_timeout(dns_server):
    """One lost query costs a retransmission timeout, not a whole timeout (a sweep chunk waits for it)."""
    dns_server.set_records({f"n{i}.example": {"TXT": ["v=spf1 -all"]} for i in range(21)})

    async def scenario():
        resolver = Resolver([dns_server.address], timeout=2.0, attempts=2)
        try:
            for i in range(20):  # replies teach the resolver the round-trip time
                await resolver.query(f"n{i}.example", "TXT")
            dns_server.set_fault("n20.example", "lose-first")
            started = time.monotonic()
            answer = await resolver.query("n20.example", "TXT")
            return answer, time.monotonic() - started, resolver
        finally:
            await resolver.close()

    answer, elapsed, resolver = run(scenario())
    assert answer.outcome == Outcome.NOERROR and answer.records == ("v=spf1 -all",)
    assert elapsed < 0.5  # RTO: twice the loopback round trip plus 0.1 s; the timeout is 2 s
    assert dns_server.attempts("n20.example") == 1 and dns_server.count("n20.example") == 2
    assert resolver.retransmits == 1


def test_a_slow_server_gets_no_copies_of_questions_it_answers_in_time(dns_server):
    dns_server.set_records({f"s{i}.example": {"TXT": ["v=spf1 -all"]} for i in range(30)})
    dns_server.latency = 0.15

    async def scenario():
        resolver = Resolver([dns_server.address], timeout=2.0, attempts=2)
        try:
            for i in range(10):
                await resolver.query(f"s{i}.example", "TXT")
            answers = await asyncio.gather(*(resolver.query(f"s{i}.example", "TXT") for i in range(10, 30)))
            return answers, resolver
        finally:
            await resolver.close()

    answers, resolver = run(scenario())
    assert all(answer.outcome == Outcome.NOERROR for answer in answers)
    assert resolver.retransmits == 0 and dns_server.query_count == 30


def test_silence_is_a_timeout_never_nxdomain_and_comes_quickly(dns_server, resolver):
    dns_server.set_fault("silent.example", "timeout")
    started = time.monotonic()
    answer = query(resolver, "silent.example", "TXT")
    elapsed = time.monotonic() - started
    assert answer.outcome == Outcome.TIMEOUT and answer.failed and not answer.void
    assert dns_server.attempts("silent.example") == TEST_ATTEMPTS
    # Within an attempt the datagram is sent again after the retransmission timeout.
    assert TEST_ATTEMPTS < dns_server.count("silent.example") <= TEST_ATTEMPTS * (1 + RESENDS_PER_ATTEMPT)
    assert TEST_TIMEOUT * TEST_ATTEMPTS * 0.9 <= elapsed < TEST_TIMEOUT * TEST_ATTEMPTS + 0.5


def test_a_malformed_reply_is_an_error(dns_server, resolver):
    dns_server.set_fault("garbled.example", "garbage")
    answer = query(resolver, "garbled.example", "A")
    assert answer.outcome == Outcome.ERROR and "malformed" in answer.detail


@pytest.mark.parametrize("fault", ["wrong-id", "wrong-question"])
def test_replies_that_do_not_match_the_question_are_ignored(dns_server, resolver, fault):
    dns_server.set_records({"spoofed.example": {"A": "192.0.2.1"}})
    dns_server.set_fault("spoofed.example", fault)
    assert query(resolver, "spoofed.example", "A").outcome == Outcome.TIMEOUT


def test_failures_are_not_cached(dns_server, resolver):
    dns_server.set_records({"later.example": {"TXT": "v=spf1 -all"}})
    dns_server.set_fault("later.example", "refused")

    async def scenario():
        first = await resolver.query("later.example", "TXT")
        dns_server.set_fault("later.example", None)
        return first, await resolver.query("later.example", "TXT")

    first, second = run(scenario())
    assert first.outcome == Outcome.REFUSED
    assert second.records == ("v=spf1 -all",)


def test_an_unreachable_port_times_out():
    closed = ZoneServer()  # bound but never started: nothing reads the socket
    resolver = Resolver([closed.address], timeout=0.1, attempts=1)
    try:
        assert query(resolver, "example.com", "A").outcome == Outcome.TIMEOUT
    finally:
        run(resolver.close())
        closed._udp_sock.close()
        closed._tcp_sock.close()


# -- truncation and bounds --------------------------------------------------------------------


def test_truncation_falls_back_to_tcp(dns_server, resolver):
    dns_server.set_records({"t.example": {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]}})
    dns_server.set_fault("t.example", "truncate")
    assert query(resolver, "t.example", "TXT").records == ("v=spf1 ip4:192.0.2.0/24 -all",)
    assert [q.transport for q in dns_server.queries] == ["udp", "tcp"]
    assert resolver.queries_sent == 2


def test_answers_too_big_for_udp_come_over_tcp_and_are_capped(dns_server, resolver):
    dns_server.set_records({"big.example": {"A": [f"10.0.{i // 256}.{i % 256}" for i in range(300)]}})
    answer = query(resolver, "big.example", "A")
    assert answer.outcome == Outcome.NOERROR
    assert len(answer.records) == 100
    assert "kept 100 of 300 records" in answer.detail


def test_txt_total_size_is_bounded(dns_server):
    dns_server.set_records({"huge.example": {"TXT": [f"{i:03d}" + "x" * 997 for i in range(10)]}})
    resolver = Resolver([dns_server.address], timeout=TEST_TIMEOUT, max_txt_bytes=3500)
    answer = query(resolver, "huge.example", "TXT")
    run(resolver.close())
    assert answer.outcome == Outcome.NOERROR
    assert len(answer.records) == 3
    assert "TXT data over 3500 bytes" in answer.detail


# -- names ------------------------------------------------------------------------------------


def test_names_are_sent_as_lower_case_a_labels(dns_server, resolver):
    dns_server.set_records({"xn--bcher-kva.example": {"TXT": "idn"}, "upper.example": {"TXT": "up"}})
    idn = query(resolver, "Bücher.Example.", "TXT")
    assert idn == Answer("xn--bcher-kva.example", "TXT", Outcome.NOERROR, ("idn",))
    assert query(resolver, "UPPER.Example", "TXT").name == "upper.example"
    assert {q.name for q in dns_server.queries} == {"xn--bcher-kva.example", "upper.example"}


@pytest.mark.parametrize(
    "name",
    ["", ".", "a..example", "x" * 64 + ".example", ".".join(["abcdefghi"] * 26), "exa mple\u0000\u3000.中"],
)
def test_invalid_names_are_errors_and_nothing_is_sent(dns_server, resolver, name):
    answer = query(resolver, name, "A")
    assert answer.outcome == Outcome.ERROR and answer.failed
    assert "invalid name" in answer.detail
    assert dns_server.query_count == 0 and resolver.queries_sent == 0


def test_normalize_query_name():
    assert normalize_query_name("Example.COM.")[0] == "example.com"
    assert normalize_query_name("_dmarc.bücher.example")[0] == "_dmarc.xn--bcher-kva.example"
    assert normalize_query_name("a" * 63 + ".example")[0] == "a" * 63 + ".example"


def test_unsupported_types_are_a_programming_error(resolver):
    with pytest.raises(ValueError, match="unsupported record type"):
        query(resolver, "example.com", "AXFR")


# -- cache and concurrency ----------------------------------------------------------------------


def test_concurrent_identical_questions_cause_one_query(dns_server, resolver):
    dns_server.set_records({"spf.po.2iij.net": {"TXT": "v=spf1 ip4:192.0.2.0/24 -all"}})
    dns_server.latency = 0.05  # keep the first query in flight while the others arrive

    async def scenario():
        return await asyncio.gather(*(resolver.query("spf.po.2iij.net", "TXT") for _ in range(200)))

    answers = run(scenario())
    assert {a.records for a in answers} == {("v=spf1 ip4:192.0.2.0/24 -all",)}
    assert dns_server.query_count == 1
    assert resolver.queries_sent == 1
    assert query(resolver, "SPF.po.2iij.net.", "TXT").records == answers[0].records
    assert dns_server.query_count == 1


def test_without_cache_every_question_is_sent(dns_server):
    dns_server.set_records({"n.example": {"A": "192.0.2.1"}})
    resolver = Resolver([dns_server.address], timeout=TEST_TIMEOUT, cache=False)

    async def scenario():
        await asyncio.gather(*(resolver.query("n.example", "A") for _ in range(5)))
        await resolver.close()

    run(scenario())
    assert dns_server.query_count == 5


def test_the_concurrency_limit_is_respected(dns_server):
    names = [f"n{i}.example" for i in range(40)]
    dns_server.set_records({name: {"A": "192.0.2.1"} for name in names})
    dns_server.latency = 0.1
    resolver = Resolver([dns_server.address], timeout=1.0, concurrency=10)

    async def scenario():
        started = time.monotonic()
        answers = await asyncio.gather(*(resolver.query(name, "A") for name in names))
        await resolver.close()
        return answers, time.monotonic() - started

    answers, elapsed = run(scenario())
    assert all(a.outcome == Outcome.NOERROR for a in answers)
    # 40 questions, 10 at a time, 0.1 s each: at least four rounds
    assert elapsed >= 0.4 * 0.95
    assert elapsed < 1.5


def test_a_cancelled_first_asker_does_not_leave_the_others_without_an_answer(dns_server, resolver):
    dns_server.set_records({"shared.example": {"A": "192.0.2.1"}})
    dns_server.latency = 0.05

    async def scenario():
        first = asyncio.create_task(resolver.query("shared.example", "A"))
        second = asyncio.create_task(resolver.query("shared.example", "A"))
        while dns_server.query_count == 0:  # the first asker's query is on the wire
            await asyncio.sleep(0.001)
        first.cancel()
        answer = await second
        return answer, first.cancelled()

    answer, first_cancelled = run(scenario())
    assert answer.records == ("192.0.2.1",)
    assert first_cancelled
    assert dns_server.query_count == 2  # the question is asked again on the others' behalf
    assert query(resolver, "shared.example", "A").records == ("192.0.2.1",)  # and cached
    assert dns_server.query_count == 2


def test_a_cancelled_asker_alone_leaves_nothing_in_flight(dns_server, resolver):
    dns_server.set_records({"alone.example": {"A": "192.0.2.1"}})
    dns_server.latency = 0.05

    async def scenario():
        task = asyncio.create_task(resolver.query("alone.example", "A"))
        while dns_server.query_count == 0:
            await asyncio.sleep(0.001)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0.1)  # a needless re-ask would have reached the server by now
        asked_after_cancel = dns_server.query_count
        return asked_after_cancel, await resolver.query("alone.example", "A")

    asked_after_cancel, answer = run(scenario())
    assert asked_after_cancel == 1  # nobody else waited: the question is dropped, not asked again
    assert answer.records == ("192.0.2.1",)


def test_a_resolver_survives_a_new_event_loop(dns_server, resolver):
    dns_server.set_records({"a.example": {"A": "192.0.2.1"}, "b.example": {"A": "192.0.2.2"}})
    assert query(resolver, "a.example", "A").records == ("192.0.2.1",)
    assert query(resolver, "b.example", "A").records == ("192.0.2.2",)
    assert query(resolver, "a.example", "A").records == ("192.0.2.1",)  # cached across loops
    assert dns_server.query_count == 2


def test_sockets_are_released_when_the_event_loop_ends_even_without_close(dns_server):
    dns_server.set_records({"a.example": {"A": "192.0.2.1"}})
    open_before = len(os.listdir("/proc/self/fd"))
    resolver = Resolver([dns_server.address], timeout=TEST_TIMEOUT)
    assert query(resolver, "a.example", "A").records == ("192.0.2.1",)
    assert len(os.listdir("/proc/self/fd")) == open_before


# -- nameservers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("192.0.2.53", Nameserver("192.0.2.53", 53)),
        ("127.0.0.1:5353", Nameserver("127.0.0.1", 5353)),
        ("[::1]:5353", Nameserver("::1", 5353)),
        ("[2001:db8::53]", Nameserver("2001:db8::53", 53)),
        ("2001:db8::53", Nameserver("2001:db8::53", 53)),
        ("unbound:53", Nameserver("unbound", 53)),
    ],
)
def test_nameserver_forms(text, expected):
    assert parse_nameserver(text) == expected


@pytest.mark.parametrize("text", ["", "127.0.0.1:0", "127.0.0.1:99999", "[::1", "[::1]x", "host:port"])
def test_bad_nameservers_are_rejected(text):
    with pytest.raises(ValueError):
        parse_nameserver(text)


def test_empty_nameservers_means_the_system_resolver():
    assert Resolver().nameservers  # /etc/resolv.conf, read by dnspython


def test_a_comma_separated_string_is_accepted(dns_server):
    assert Resolver(f"{dns_server.address}, 127.0.0.2:53").nameservers == [
        Nameserver("127.0.0.1", dns_server.port),
        Nameserver("127.0.0.2", 53),
    ]


@needs_ipv6_loopback
def test_it_talks_to_an_ipv6_nameserver():
    with ZoneServer(host="::1") as server:
        server.set_records({"six.example": {"TXT": "over v6"}})
        resolver = Resolver([server.address], timeout=TEST_TIMEOUT)
        assert query(resolver, "six.example", "TXT").records == ("over v6",)
        run(resolver.close())


def test_a_second_nameserver_is_asked_when_the_first_is_silent(dns_server):
    silent = ZoneServer()  # never started
    dns_server.set_records({"x.example": {"A": "192.0.2.1"}})
    resolver = Resolver([silent.address, dns_server.address], timeout=0.2, attempts=2)
    try:
        # whichever server is tried first, the second attempt reaches the live one
        assert query(resolver, "x.example", "A").records == ("192.0.2.1",)
    finally:
        run(resolver.close())
        silent._udp_sock.close()
        silent._tcp_sock.close()


def test_the_limiter_passes_a_slot_on_when_a_waiter_is_cancelled():
    from tracker.probe.resolver import _Limiter

    async def scenario():
        limiter = _Limiter(1)
        order = []
        release_first = asyncio.Event()

        async def hold(name, until=None):
            async with limiter:
                order.append(name)
                if until is not None:
                    await until.wait()

        first = asyncio.create_task(hold("first", release_first))
        await asyncio.sleep(0)
        cancelled = asyncio.create_task(hold("cancelled"))
        last = asyncio.create_task(hold("last"))
        await asyncio.sleep(0)
        cancelled.cancel()
        release_first.set()
        await asyncio.gather(first, last)
        return order, limiter.free, cancelled.cancelled()

    order, free, was_cancelled = run(scenario())
    assert order == ["first", "last"]
    assert was_cancelled
    assert free == 1


def test_the_limiter_passes_on_a_slot_handed_to_a_waiter_cancelled_before_it_ran():
    from tracker.probe.resolver import _Limiter

    async def scenario():
        limiter = _Limiter(1)
        await limiter.__aenter__()
        handed = asyncio.create_task(limiter.__aenter__())
        next_in_line = asyncio.create_task(limiter.__aenter__())
        await asyncio.sleep(0)
        await limiter.__aexit__(None, None, None)  # the slot goes to `handed`...
        handed.cancel()  # ...which is cancelled before it can run
        await asyncio.gather(handed, return_exceptions=True)
        await asyncio.wait_for(next_in_line, 1)  # so it must reach the next waiter
        return limiter.free, handed.cancelled()

    assert run(scenario()) == (0, True)


def test_with_a_failure_ttl_a_failed_answer_is_reused_and_stays_a_failure(dns_server):
    """One dead name asked by many domains of a sweep: one round of timeouts, not one per domain."""
    dns_server.set_fault("dead.example", "timeout")

    async def scenario():
        resolver = Resolver([dns_server.address], timeout=0.1, attempts=2, failure_ttl=60)
        try:
            first = await resolver.query("dead.example", "TXT")
            started = time.monotonic()
            second = await resolver.query("dead.example", "TXT")
            return first, second, time.monotonic() - started
        finally:
            await resolver.close()

    first, second, elapsed = run(scenario())
    assert first.outcome == second.outcome == Outcome.TIMEOUT
    assert second.failed and not second.void  # a kept failure is still a failure, never "nothing"
    assert elapsed < 0.05
    assert dns_server.attempts("dead.example", "TXT") == 2  # the two attempts of the first question


def test_a_kept_failure_expires(dns_server):
    dns_server.set_records({"later.example": {"TXT": "v=spf1 -all"}})
    dns_server.set_fault("later.example", "refused")

    async def scenario():
        resolver = Resolver([dns_server.address], timeout=TEST_TIMEOUT, failure_ttl=0.05)
        try:
            first = await resolver.query("later.example", "TXT")
            dns_server.set_fault("later.example", None)
            kept = await resolver.query("later.example", "TXT")
            await asyncio.sleep(0.06)
            return first, kept, await resolver.query("later.example", "TXT")
        finally:
            await resolver.close()

    first, kept, later = run(scenario())
    assert first.outcome == kept.outcome == Outcome.REFUSED
    assert later.records == ("v=spf1 -all",)


def test_many_answers_at_once_are_all_read(dns_server):
    """Answers queued in the socket buffer are drained, not left to time out behind other work."""
    records = {f"n{i}.example": {"A": f"192.0.2.{i % 250}"} for i in range(400)}
    dns_server.set_records(records)

    async def scenario():
        resolver = Resolver([dns_server.address], timeout=2.0, attempts=1, concurrency=400)
        try:
            return await asyncio.gather(*(resolver.query(name, "A") for name in records))
        finally:
            await resolver.close()

    answers = run(scenario())
    assert all(answer.outcome == Outcome.NOERROR for answer in answers)


def test_a_bounded_cache_drops_its_oldest_answers(dns_server):
    dns_server.set_records({f"c{i}.example": {"TXT": ["v=spf1 -all"]} for i in range(3)})

    async def scenario():
        resolver = Resolver([dns_server.address], timeout=TEST_TIMEOUT, cache_limit=2)
        try:
            for name in ("c0.example", "c1.example", "c2.example", "c2.example", "c0.example"):
                await resolver.query(name, "TXT")
        finally:
            await resolver.close()

    run(scenario())
    assert dns_server.count("c2.example") == 1  # kept
    assert dns_server.count("c0.example") == 2  # dropped when c2 came, asked again


def test_a_txt_answer_over_the_record_limit_keeps_the_same_records_whatever_the_servers_order(
    dns_server, resolver
):
    """150 TXT records, the SPF one among them: rotated by the server, it was kept one run and not the next."""
    others = [f"site-verification={i:03d}" for i in range(150)]
    spf = "v=spf1 include:spf.successor.example -all"
    kept = []
    for position in (0, 75, 150):
        dns_server.set_records({"many.example": {"TXT": others[:position] + [spf] + others[position:]}})
        fresh = Resolver([dns_server.address], timeout=TEST_TIMEOUT, cache=False)
        answer = query(fresh, "many.example", "TXT")
        assert len(answer.records) == 100 and "kept 100 of 151 records" in answer.detail
        kept.append(answer.records)
    assert kept[0] == kept[1] == kept[2]
    assert spf in kept[0]
