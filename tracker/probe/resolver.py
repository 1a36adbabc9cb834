"""An asyncio stub resolver built for sweeps: fast, bounded, and honest about failures.

Why not dns.asyncresolver: a sweep asks hundreds of thousands of questions, and
dnspython's resolver costs a Resolver, a socket and a full message parse per
query. Here queries are built once and sent over a few shared UDP sockets,
answers are read straight from the bytes (dnswire.py) and matched back by
(id, source address, question), so a stray or spoofed datagram is ignored
instead of being believed. TCP is used only on truncation.

Every failure is kept apart (a timeout is never NXDOMAIN), and
everything read from DNS is bounded, because it is attacker-controlled text.
"""

from __future__ import annotations

import asyncio
import collections
import heapq
import ipaddress
import itertools
import random
import secrets
import socket
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import dns.exception
import dns.name

from tracker.probe import dnswire
from tracker.probe.dnswire import RR, Response, WireError

__all__ = ["Answer", "Nameserver", "Outcome", "Resolver", "normalize_query_name", "parse_nameserver"]


class Outcome(StrEnum):
    NOERROR = "NOERROR"  # records of the asked type are present
    NODATA = "NODATA"  # name exists, no records of that type
    NXDOMAIN = "NXDOMAIN"
    SERVFAIL = "SERVFAIL"
    REFUSED = "REFUSED"
    TIMEOUT = "timeout"
    ERROR = "error"  # FORMERR, malformed answer, too large, network error


_FAILED = frozenset({Outcome.SERVFAIL, Outcome.REFUSED, Outcome.TIMEOUT, Outcome.ERROR})
_VOID = frozenset({Outcome.NXDOMAIN, Outcome.NODATA})


@dataclass(frozen=True, slots=True)
class Answer:
    """What one question got. `records` depend on rdtype: see docs/probe-interfaces.md."""

    name: str  # the queried name: lower case A-label, no trailing dot
    rdtype: str
    outcome: Outcome
    records: tuple = ()
    detail: str = ""
    # The CNAME targets the answer went through, in order (lower case, no trailing dot):
    # "_spf.customer.example CNAME spf.legacy.example" answers TXT with aliases
    # ("spf.legacy.example",). Also on NXDOMAIN and NODATA at the end of a chain.
    aliases: tuple[str, ...] = ()

    @property
    def canonical_name(self) -> str:
        """Where the records really live: the end of the CNAME chain, or the name itself."""
        return self.aliases[-1] if self.aliases else self.name

    @property
    def failed(self) -> bool:
        """No answer came: a legacy reference may hide here, so nothing can be concluded."""
        return self.outcome in _FAILED

    @property
    def void(self) -> bool:
        """An answer that says "nothing" (counts as a void lookup in SPF)."""
        return self.outcome in _VOID

    @property
    def failure_reason(self) -> str:
        """`timeout`, `SERVFAIL`, `REFUSED`, or `error: <detail>`: how every report names a failure."""
        if self.outcome == Outcome.ERROR:
            return f"error: {self.detail}" if self.detail else "error"
        return str(self.outcome)


SUPPORTED_TYPES: dict[str, int] = {
    "A": dnswire.TYPE_A,
    "AAAA": dnswire.TYPE_AAAA,
    "CNAME": dnswire.TYPE_CNAME,
    "MX": dnswire.TYPE_MX,
    "NS": dnswire.TYPE_NS,
    "PTR": dnswire.TYPE_PTR,
    "SPF": dnswire.TYPE_SPF,
    "SRV": dnswire.TYPE_SRV,
    "TLSA": dnswire.TYPE_TLSA,
    "TXT": dnswire.TYPE_TXT,
}

MAX_RECORDS = 100  # per answer; a hostile zone could serve thousands
MAX_TXT_BYTES = 64 * 1024  # total TXT text kept per answer
MAX_CNAME_HOPS = 10
EDNS_PAYLOAD = 1232  # the DNS flag day 2020 size: avoids IP fragmentation
UDP_SOCKETS_PER_FAMILY = 4
CACHE_LIMIT = 500_000  # answers kept per Resolver by default; the oldest are dropped beyond
_BACKOFF_BASE = 0.05
_BACKOFF_MAX = 1.0
# A datagram lost on the way (a full socket buffer, a lossy link) is sent again, with the same
# id, after the retransmission timeout (RTO) while the attempt keeps waiting for either reply,
# as TCP does (RFC 6298): RTO = max(2 * srtt, srtt + 4 * rttvar) + RTO_MARGIN, from replies to
# queries sent once, at most half the attempt's timeout. Without it one lost datagram costs a
# whole timeout, and a sweep chunk waits that long for its last domain.
RTO_INITIAL = 1.0
RTO_MARGIN = 0.1
RESENDS_PER_ATTEMPT = 2  # each after twice the previous wait
_RCODE_OUTCOMES = {dnswire.RCODE_SERVFAIL: Outcome.SERVFAIL, dnswire.RCODE_REFUSED: Outcome.REFUSED}


# -- names and nameservers --------------------------------------------------------------------


def normalize_query_name(name: str) -> tuple[str, bytes]:
    """The lower-case A-label text and the wire-format name to send, or ValueError.

    ASCII names are taken literally (SPF macros may expand to odd characters,
    which DNS allows); non-ASCII names go through IDNA 2008 (UTS 46 mapping).
    """
    text = name[:-1] if name.endswith(".") else name
    if not text:
        raise ValueError("empty name")
    if not text.isascii():
        try:
            text = dns.name.from_unicode(text, idna_codec=dns.name.IDNA_2008_Practical).to_text(True)
        except (dns.exception.DNSException, UnicodeError, ValueError) as exc:
            raise ValueError(f"not a valid international name: {exc}") from None
    text = text.lower()
    if len(text) > 253:
        raise ValueError(f"name longer than 253 characters ({len(text)})")
    labels = text.encode("ascii").split(b".")
    for label in labels:
        if not label:
            raise ValueError("empty label")
        if len(label) > 63:
            raise ValueError(f"label longer than 63 characters ({len(label)})")
    return text, dnswire.name_to_wire(labels)


@dataclass(frozen=True, slots=True)
class Nameserver:
    host: str  # IP literal or host name
    port: int = 53


def parse_nameserver(text: str) -> Nameserver:
    """ "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 address."""
    text = text.strip()
    if not text:
        raise ValueError("empty nameserver")
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"bad nameserver {text!r}: expected [v6]:port")
        port = rest[1:] or "53"
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, "53"  # name, IPv4 or bare IPv6
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"bad port in nameserver {text!r}")
    return Nameserver(host, int(port))


def system_nameservers() -> list[Nameserver]:
    """The nameservers of /etc/resolv.conf, as dnspython reads them."""
    import dns.resolver  # only here: importing it (and dns.query with it) costs a worker ~0.3 s

    try:
        system = dns.resolver.Resolver(configure=True)
    except dns.resolver.NoResolverConfiguration as exc:
        raise ValueError(f"no nameservers given and none configured: {exc}") from None
    return [Nameserver(str(address), system.port) for address in system.nameservers]


# -- UDP transport ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Pending:
    future: asyncio.Future
    address: tuple[str, int]
    qname: bytes  # wire form, lower case
    qtype: int
    malformed: str = ""  # a reply that passed the id and address checks but did not parse
    resent: int = 0  # datagrams sent again for this attempt (its round trip then says nothing)


def _matches(response: Response, qname: bytes, qtype: int) -> bool:
    return (
        bool(response.flags & dnswire.FLAG_QR)
        and response.qtype == qtype
        and response.qclass == dnswire.CLASS_IN
        and response.qname == qname
    )


_TRUNCATED = object()  # a TC reply too cut off to parse: ask again over TCP


class _UdpSocket:
    """One shared, unconnected, non-blocking UDP socket; replies are matched to pending queries by id.

    Not an asyncio DatagramProtocol: its transport reads one datagram per event-loop
    turn, so under load answers wait in the socket buffer behind a turn's worth of
    work (and can time out there). Here every readiness event drains the buffer.
    """

    DRAIN = 1024  # datagrams read per readiness event at most (then the loop gets a turn)

    def __init__(self, sock: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        self.sock = sock
        self.loop = loop
        self.pending: dict[int, _Pending] = {}
        self.closed = False
        sock.setblocking(False)
        loop.add_reader(sock.fileno(), self._read_ready)

    async def sendto(self, data: bytes, address: tuple[str, int]) -> None:
        try:
            self.sock.sendto(data, address)
        except (BlockingIOError, InterruptedError):
            await self.loop.sock_sendto(self.sock, data, address)  # send buffer full: wait for room

    def resend(self, data: bytes, address: tuple[str, int]) -> bool:
        """Send again without waiting; False if that cannot be done now (the attempt still waits)."""
        try:
            self.sock.sendto(data, address)
        except OSError:
            return False
        return True

    def _read_ready(self) -> None:
        recvfrom = self.sock.recvfrom
        for _ in range(self.DRAIN):
            try:
                data, addr = recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # an ICMP error cannot be tied to one query: let that query time out
            self.datagram_received(data, addr)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.loop.remove_reader(self.sock.fileno())
        except (ValueError, RuntimeError):  # the socket or the loop is already closed
            pass
        self.sock.close()

    def free_id(self) -> int:
        while True:
            query_id = secrets.randbits(16)
            if query_id not in self.pending:
                return query_id

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        if len(data) < 12:
            return
        pending = self.pending.get((data[0] << 8) | data[1])
        if pending is None or pending.future.done() or (addr[0], addr[1]) != pending.address:
            return  # late, stray or spoofed
        try:
            response = dnswire.parse_response(data)
        except WireError as exc:
            if (data[2] << 8) & dnswire.FLAG_TC:
                pending.future.set_result(_TRUNCATED)
            else:
                pending.malformed = f"malformed response: {exc}"  # keep waiting: it may be forged
            return
        if _matches(response, pending.qname, pending.qtype):
            pending.future.set_result(response)


class _Limiter:
    """At most `limit` exchanges in flight, waiters served first come first served.

    Not asyncio.Semaphore: in Python 3.11 its acquire() scans every waiter, so a
    sweep that queues 20,000 questions at once spends its time in that scan.
    """

    def __init__(self, limit: int):
        self.free = limit
        self.waiters: collections.deque[asyncio.Future] = collections.deque()

    async def __aenter__(self) -> None:
        if self.free > 0 and not self.waiters:
            self.free -= 1
            return
        slot = asyncio.get_running_loop().create_future()
        self.waiters.append(slot)
        try:
            await slot
        except asyncio.CancelledError:
            if slot.done() and not slot.cancelled():
                self._release()  # handed a slot just as we were cancelled: pass it on
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        self._release()

    def _release(self) -> None:
        while self.waiters:
            slot = self.waiters.popleft()
            if not slot.done():
                slot.set_result(None)  # the slot goes straight to the next waiter
                return
        self.free += 1


# -- the resolver --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Attempt:
    """What one exchange gave: a response, a request to retry over TCP, or a failure and why."""

    response: Response | None = None
    truncated: bool = False
    outcome: Outcome | None = None
    detail: str = ""


@dataclass
class _LoopState:
    """Everything tied to one event loop (sockets, limiter, in-flight queries)."""

    loop: asyncio.AbstractEventLoop
    limiter: _Limiter
    ready: asyncio.Future | None = None  # the set-up task
    setup_error: str = ""
    closed: bool = False
    closer: object = None  # an async generator that closes the sockets at loop shutdown
    addresses: list[tuple[int, tuple[str, int]]] = field(default_factory=list)  # (family, (ip, port))
    sockets: dict[int, list[_UdpSocket]] = field(default_factory=dict)
    raw_sockets: list[socket.socket] = field(default_factory=list)
    inflight: dict[tuple[str, int], asyncio.Future] = field(default_factory=dict)
    waiting: collections.Counter[tuple[str, int]] = field(default_factory=collections.Counter)  # per inflight
    next_socket: int = 0
    # UDP timeouts: (deadline, future) in sending order, which is deadline order because the
    # timeout is the same for every query; one timer for the earliest, not one per query.
    expiries: collections.deque[tuple[float, asyncio.Future]] = field(default_factory=collections.deque)
    timer: asyncio.TimerHandle | None = None
    # Retransmissions due: a heap by time (RTOs differ), one timer for the earliest.
    resends: list[tuple] = field(default_factory=list)
    resend_timer: asyncio.TimerHandle | None = None
    resend_order: itertools.count = field(default_factory=itertools.count)


class Resolver:
    """Ask nameservers questions; every outcome comes back as an Answer, never an exception."""

    def __init__(
        self,
        nameservers: Sequence[str] | str = (),
        timeout: float = 2.0,
        attempts: int = 3,
        concurrency: int = 200,
        cache: bool = True,
        *,
        max_records: int = MAX_RECORDS,
        max_txt_bytes: int = MAX_TXT_BYTES,
        failure_ttl: float = 0.0,
        cache_limit: int = CACHE_LIMIT,
    ):
        if isinstance(nameservers, str):
            nameservers = [part for part in nameservers.split(",") if part.strip()]
        self.nameservers = [parse_nameserver(ns) for ns in nameservers] or system_nameservers()
        if timeout <= 0 or attempts < 1 or concurrency < 1:
            raise ValueError("timeout, attempts and concurrency must be positive")
        self.timeout = timeout
        self.attempts = attempts
        self.concurrency = concurrency
        self.cache_enabled = cache
        self.cache_limit = cache_limit  # answers kept; the oldest are dropped beyond
        self.max_records = max_records
        self.max_txt_bytes = max_txt_bytes
        # Seconds a failed answer (after every retry) is reused: one dead name shared by many
        # domains then costs one round of timeouts, not one per domain. The answer stays a
        # failure (timeout, SERVFAIL, ...), so nothing built on it can be reported clean.
        # 0 = failures are never kept (a later question asks again).
        self.failure_ttl = failure_ttl
        self.queries_sent = 0  # wire queries actually sent (UDP and TCP), after the cache
        self.retransmits = 0  # of those, UDP datagrams sent again after the RTO
        self.cache_hits = 0
        self._round_trips: dict[tuple[str, int], tuple[float, float]] = {}  # address: (srtt, rttvar)
        self._answers: dict[tuple[str, int], Answer] = {}
        # The same answers by the question exactly as asked (name, rdtype): a sweep asks the
        # same few names thousands of times, and a hit here skips normalising the name.
        self._asked: dict[tuple[str, str], Answer] = {}
        self._failures: dict[tuple[str, int], tuple[float, Answer]] = {}
        self._state: _LoopState | None = None

    # -- public ----------------------------------------------------------------------------------

    async def query(self, name: str, rdtype: str) -> Answer:
        """Ask for name/rdtype (cached per instance; concurrent identical questions share one query)."""
        hit = self._asked.get((name, rdtype))
        if hit is not None:
            self.cache_hits += 1
            return hit
        asked = (name, rdtype)
        rdtype = rdtype.upper()
        qtype = SUPPORTED_TYPES.get(rdtype)
        if qtype is None:
            raise ValueError(f"unsupported record type {rdtype!r}")
        try:
            text, qname = normalize_query_name(name)
        except ValueError as exc:
            return Answer(name.lower()[:300], rdtype, Outcome.ERROR, detail=f"invalid name: {exc}")
        if not self.cache_enabled:
            return await self._resolve(text, qname, rdtype, qtype)

        key = (text, qtype)
        cached = self._answers.get(key)
        if cached is not None:
            self.cache_hits += 1
            self._remember_asked(asked, cached)
            return cached
        if self._failures:
            kept = self._failures.get(key)
            if kept is not None:
                if kept[0] > time.monotonic():
                    self.cache_hits += 1
                    return kept[1]
                del self._failures[key]
        state = await self._loop_state()
        shared = state.inflight.get(key)
        if shared is not None:
            self.cache_hits += 1
            state.waiting[key] += 1
            try:
                # shield: a waiter being cancelled must not cancel the answer others wait for
                return await asyncio.shield(shared)
            finally:
                state.waiting[key] -= 1
                if not state.waiting[key]:
                    del state.waiting[key]

        # The first asker resolves in its own task (no extra task per query: that is
        # a fifth of the cost); the others wait on `shared`.
        shared = state.inflight[key] = state.loop.create_future()
        try:
            answer = await self._resolve(text, qname, rdtype, qtype)
        except asyncio.CancelledError:
            self._hand_over(state, key, shared, (text, qname, rdtype, qtype))
            raise
        except BaseException:
            state.inflight.pop(key, None)
            shared.cancel()
            raise
        self._settle(state, key, shared, answer)
        if not answer.failed:
            self._remember_asked(asked, answer)
        return answer

    async def close(self) -> None:
        """Close the sockets; safe to call twice, and from another event loop than the one used."""
        self._close_state()

    async def __aenter__(self) -> Resolver:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- cache -----------------------------------------------------------------------------------

    def _settle(
        self, state: _LoopState, key: tuple[str, int], shared: asyncio.Future, answer: Answer
    ) -> None:
        """Give the answer to the waiters and keep it; forget failures so that a later question retries."""
        if state.inflight.get(key) is shared:
            del state.inflight[key]
        if not shared.done():
            shared.set_result(answer)
        if answer.failed:
            if self.failure_ttl > 0:
                if len(self._failures) >= self.cache_limit:
                    self._failures.pop(next(iter(self._failures)))
                self._failures[key] = (time.monotonic() + self.failure_ttl, answer)
            return
        if len(self._answers) >= self.cache_limit:
            self._answers.pop(next(iter(self._answers)))
        self._answers[key] = answer

    def _remember_asked(self, asked: tuple[str, str], answer: Answer) -> None:
        if len(self._asked) >= self.cache_limit:
            self._asked.pop(next(iter(self._asked)))
        self._asked[asked] = answer

    def _hand_over(
        self, state: _LoopState, key: tuple[str, int], shared: asyncio.Future, question: tuple
    ) -> None:
        """The first asker was cancelled: finish its question in a task for whoever else waits."""
        if state.closed or not state.waiting.get(key):
            state.inflight.pop(key, None)
            shared.cancel()
            return
        task = state.loop.create_task(self._resolve(*question))

        def finished(done: asyncio.Task) -> None:
            if done.cancelled() or done.exception() is not None:
                state.inflight.pop(key, None)
                shared.cancel()
            else:
                self._settle(state, key, shared, done.result())

        task.add_done_callback(finished)

    # -- one question, all attempts --------------------------------------------------------------

    async def _resolve(self, text: str, qname: bytes, rdtype: str, qtype: int) -> Answer:
        state = await self._loop_state()
        if state.setup_error:
            return Answer(text, rdtype, Outcome.ERROR, detail=state.setup_error)
        body = dnswire.build_query_body(qname, qtype, EDNS_PAYLOAD)
        failures: list[_Attempt] = []
        first = random.randrange(len(state.addresses))
        for attempt in range(self.attempts):
            family, address = state.addresses[(first + attempt) % len(state.addresses)]
            async with state.limiter:
                result = await self._udp_exchange(state, family, address, body, qname, qtype)
                if result.truncated:
                    result = await self._tcp_exchange(address, body, qname, qtype)
            if result.response is not None:
                rcode = result.response.rcode
                if rcode in (dnswire.RCODE_NOERROR, dnswire.RCODE_NXDOMAIN):
                    return self._classify(text, qname, rdtype, qtype, result.response)
                outcome = _RCODE_OUTCOMES.get(rcode, Outcome.ERROR)
                result = _Attempt(outcome=outcome, detail=dnswire.RCODE_NAMES.get(rcode, f"rcode {rcode}"))
            failures.append(result)
            if attempt + 1 == self.attempts:
                break
            if result.outcome in (Outcome.REFUSED, Outcome.ERROR) and attempt + 1 >= len(state.addresses):
                break  # every server asked once: the same question would get the same refusal
            if result.outcome != Outcome.TIMEOUT:  # a timeout has already waited
                delay = min(_BACKOFF_MAX, _BACKOFF_BASE * 2**attempt)
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
        return _failure(text, rdtype, failures)

    # -- exchanges -------------------------------------------------------------------------------

    async def _udp_exchange(
        self, state: _LoopState, family: int, address: tuple[str, int], body: bytes, qname: bytes, qtype: int
    ) -> _Attempt:
        pool = state.sockets[family]
        state.next_socket += 1
        udp = pool[state.next_socket % len(pool)]
        query_id = udp.free_id()
        future = state.loop.create_future()
        pending = _Pending(future, address, qname, qtype)
        udp.pending[query_id] = pending
        sent_at = state.loop.time()
        deadline = sent_at + self.timeout
        state.expiries.append((deadline, future))
        if state.timer is None:
            state.timer = state.loop.call_at(deadline, _expire_due, state)
        datagram = struct.pack("!H", query_id) + body
        rto = self._retransmission_timeout(address)
        if rto < self.timeout:
            self._resend_at(state, sent_at + rto, (rto, deadline, pending, udp, datagram))
        try:
            await udp.sendto(datagram, address)
            self.queries_sent += 1
            reply = await future
        except OSError as exc:
            return _Attempt(outcome=Outcome.ERROR, detail=f"network error: {exc}")
        finally:
            udp.pending.pop(query_id, None)
        if reply is not None and not pending.resent:
            self._round_trip(address, state.loop.time() - sent_at)
        if reply is None:
            if pending.malformed:
                return _Attempt(outcome=Outcome.ERROR, detail=pending.malformed)
            return _Attempt(
                outcome=Outcome.TIMEOUT, detail=f"no answer from {_show(address)} in {self.timeout:g}s"
            )
        if reply is _TRUNCATED or reply.truncated:
            return _Attempt(truncated=True)
        return _Attempt(response=reply)

    # -- retransmission --------------------------------------------------------------------------

    def _retransmission_timeout(self, address: tuple[str, int]) -> float:
        kept = self._round_trips.get(address)
        if kept is None:
            return min(RTO_INITIAL, self.timeout / 2)
        srtt, rttvar = kept
        return min(max(2 * srtt, srtt + 4 * rttvar) + RTO_MARGIN, self.timeout / 2)

    def _round_trip(self, address: tuple[str, int], sample: float) -> None:
        """Smooth the round-trip time to this server (RFC 6298), from a query sent once."""
        kept = self._round_trips.get(address)
        if kept is None:
            self._round_trips[address] = (sample, sample / 2)
            return
        srtt, rttvar = kept
        rttvar = 0.75 * rttvar + 0.25 * abs(srtt - sample)
        self._round_trips[address] = (0.875 * srtt + 0.125 * sample, rttvar)

    def _resend_at(self, state: _LoopState, due: float, what: tuple) -> None:
        heapq.heappush(state.resends, (due, next(state.resend_order), what))
        timer = state.resend_timer
        if timer is None or timer.when() > due:
            if timer is not None:
                timer.cancel()
            state.resend_timer = state.loop.call_at(due, self._resend_due, state)

    def _resend_due(self, state: _LoopState) -> None:
        """Send again every datagram whose RTO has passed without a reply; each waits twice as long next."""
        state.resend_timer = None
        soon = state.loop.time() + 0.001
        resends = state.resends
        while resends and resends[0][0] <= soon:
            due, _, (rto, deadline, pending, udp, datagram) = heapq.heappop(resends)
            if pending.future.done() or udp.closed or not udp.resend(datagram, pending.address):
                continue
            pending.resent += 1
            self.retransmits += 1
            self.queries_sent += 1
            if pending.resent < RESENDS_PER_ATTEMPT and due + 2 * rto < deadline:
                heapq.heappush(
                    resends,
                    (due + 2 * rto, next(state.resend_order), (2 * rto, deadline, pending, udp, datagram)),
                )
        if resends:
            state.resend_timer = state.loop.call_at(resends[0][0], self._resend_due, state)

    async def _tcp_exchange(
        self, address: tuple[str, int], body: bytes, qname: bytes, qtype: int
    ) -> _Attempt:
        """Ask again over TCP (after a truncated UDP reply): one connection per question."""
        query_id = secrets.randbits(16)
        writer = None
        try:
            async with asyncio.timeout(self.timeout):
                reader, writer = await asyncio.open_connection(address[0], address[1])
                writer.write(struct.pack("!HH", len(body) + 2, query_id) + body)
                self.queries_sent += 1
                (length,) = struct.unpack("!H", await reader.readexactly(2))
                data = await reader.readexactly(length)
        except TimeoutError:
            return _Attempt(outcome=Outcome.TIMEOUT, detail=f"no answer over TCP from {_show(address)}")
        except (OSError, asyncio.IncompleteReadError) as exc:
            return _Attempt(outcome=Outcome.ERROR, detail=f"TCP error with {_show(address)}: {exc!r}")
        finally:
            if writer is not None:
                writer.close()
        try:
            response = dnswire.parse_response(data)
        except WireError as exc:
            return _Attempt(outcome=Outcome.ERROR, detail=f"malformed TCP response: {exc}")
        if response.id != query_id or not _matches(response, qname, qtype):
            return _Attempt(outcome=Outcome.ERROR, detail="TCP response does not match the question")
        if response.truncated:
            return _Attempt(outcome=Outcome.ERROR, detail="truncated over TCP")
        return _Attempt(response=response)

    # -- turning a response into an Answer -----------------------------------------------------

    def _classify(self, text: str, qname: bytes, rdtype: str, qtype: int, response: Response) -> Answer:
        try:
            found, chain = _follow_chain(response, qname, qtype)
            aliases = tuple(dnswire.name_to_text(name) or "." for name in chain)
            if response.rcode == dnswire.RCODE_NXDOMAIN:
                return Answer(text, rdtype, Outcome.NXDOMAIN, aliases=aliases)
            if found is None:
                if _is_referral(response):
                    return Answer(
                        text, rdtype, Outcome.ERROR, detail="referral: the nameserver does not recurse"
                    )
                return Answer(text, rdtype, Outcome.NODATA, aliases=aliases)
            return self._records(text, rdtype, qtype, response, found, aliases)
        except WireError as exc:
            if response.rcode == dnswire.RCODE_NXDOMAIN:
                return Answer(text, rdtype, Outcome.NXDOMAIN)
            return Answer(text, rdtype, Outcome.ERROR, detail=f"malformed response: {exc}")

    def _records(
        self, text: str, rdtype: str, qtype: int, response: Response, rrs: list[RR], aliases: tuple[str, ...]
    ) -> Answer:
        notes = []
        values = [response.decode(rr) for rr in rrs]
        is_txt = qtype in (dnswire.TYPE_TXT, dnswire.TYPE_SPF)
        too_big = is_txt and sum(len(value) for value in values) > self.max_txt_bytes
        if len(values) > self.max_records or too_big:
            # Servers rotate the order of an RRset: which records are kept must not depend on it,
            # or a result flips between two runs over the same DNS. SPF records first, then the rest
            # in a fixed order.
            values = sorted(values, key=_keep_order if is_txt else repr)
        if len(values) > self.max_records:
            notes.append(f"kept {self.max_records} of {len(values)} records")
            values = values[: self.max_records]
        if is_txt:
            values, note = _txt_records(values, self.max_txt_bytes)
            if note:
                notes.append(note)
        return Answer(text, rdtype, Outcome.NOERROR, tuple(values), detail="; ".join(notes), aliases=aliases)

    # -- loop-bound state ------------------------------------------------------------------------

    async def _loop_state(self) -> _LoopState:
        """Sockets and the limiter belong to one event loop: set them up afresh on a new one."""
        state = self._state
        loop = asyncio.get_running_loop()
        if state is None or state.loop is not loop:
            self._close_state()
            state = self._state = _LoopState(loop, _Limiter(self.concurrency))
            state.ready = loop.create_task(self._set_up(state))
        if not state.ready.done():
            await asyncio.shield(state.ready)
        return state

    async def _set_up(self, state: _LoopState) -> None:
        try:
            state.addresses = [await _address(state.loop, ns) for ns in self.nameservers]
            for family in {family for family, _ in state.addresses}:
                pool = state.sockets.setdefault(family, [])
                # enough sockets that random ids stay sparse (16 bits each) at any concurrency
                for _ in range(max(UDP_SOCKETS_PER_FAMILY, self.concurrency // 4096 + 1)):
                    pool.append(await self._udp_socket(state, family))
        except (OSError, ValueError) as exc:
            state.setup_error = f"cannot use nameservers {self.nameservers}: {exc}"
        state.closer = _close_at_loop_shutdown(state)
        await state.closer.__anext__()

    @staticmethod
    async def _udp_socket(state: _LoopState, family: int) -> _UdpSocket:
        """A socket for the pool, with its own random source port (the OS picks it)."""
        sock = socket.socket(family, socket.SOCK_DGRAM)
        state.raw_sockets.append(sock)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        except OSError:
            pass
        sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
        return _UdpSocket(sock, state.loop)

    def _close_state(self) -> None:
        state, self._state = self._state, None
        if state is not None:
            _discard(state)


def _discard(state: _LoopState) -> None:
    """Cancel what is pending and close the sockets of one event loop's state (idempotent)."""
    if state.closed:
        return
    state.closed = True
    if state.loop.is_closed():
        for sock in state.raw_sockets:  # the loop is gone: close what it no longer can
            sock.close()
        return
    for future in [*state.inflight.values(), state.ready]:
        if future is not None:
            future.cancel()
    if state.timer is not None:
        state.timer.cancel()
        state.timer = None
    if state.resend_timer is not None:
        state.resend_timer.cancel()
        state.resend_timer = None
    state.expiries.clear()
    state.resends.clear()
    for pool in state.sockets.values():
        for udp in pool:
            for pending in udp.pending.values():
                pending.future.cancel()
            udp.close()


async def _close_at_loop_shutdown(state: _LoopState):
    """Close the sockets when asyncio.run() winds the loop down, even if nobody called close().

    asyncio.run() finalizes async generators while the loop still runs, so the
    transports close cleanly instead of leaking until garbage collection.
    """
    try:
        yield
    finally:
        _discard(state)


def _failure(text: str, rdtype: str, failures: list[_Attempt]) -> Answer:
    """Report the most telling failure: a definite answer from a server beats silence."""
    for outcome in (Outcome.SERVFAIL, Outcome.REFUSED, Outcome.ERROR, Outcome.TIMEOUT):
        found = [f for f in failures if f.outcome == outcome]
        if found:
            plural = "s" if len(failures) > 1 else ""
            return Answer(
                text, rdtype, outcome, detail=f"{found[-1].detail} ({len(failures)} attempt{plural})"
            )
    raise AssertionError("no failure to report")


def _follow_chain(response: Response, qname: bytes, qtype: int) -> tuple[list[RR] | None, list[bytes]]:
    """The answer RRs of qtype at qname or at the end of its CNAME chain (None when there are
    none), and the CNAME targets passed on the way (wire names)."""
    name = qname
    chain: list[bytes] = []
    for _ in range(MAX_CNAME_HOPS):
        records = [rr for rr in response.answer if rr.owner == name and rr.rdtype == qtype]
        if records:
            return [rr for rr in records if rr.rdclass == dnswire.CLASS_IN] or None, chain
        cname = next(
            (rr for rr in response.answer if rr.owner == name and rr.rdtype == dnswire.TYPE_CNAME), None
        )
        if cname is None:
            return None, chain
        name = response.target(cname)
        if name in chain or name == qname:
            raise WireError("CNAME loop")
        chain.append(name)
    raise WireError(f"CNAME chain longer than {MAX_CNAME_HOPS}")


def _keep_order(data: bytes) -> tuple[bool, bytes]:
    """Which TXT records a bounded answer keeps first: SPF records, then by their bytes."""
    return (not data[:7].lower().startswith(b"v=spf1"), data)


def _txt_records(values: list[bytes], max_bytes: int) -> tuple[list[str], str]:
    """Decode TXT data as UTF-8 (errors replaced), keeping the total size bounded."""
    records: list[str] = []
    total = 0
    for data in values:
        total += len(data)
        if total > max_bytes:
            return records, f"TXT data over {max_bytes} bytes: kept the first {len(records)} records"
        records.append(data.decode("utf-8", errors="replace"))
    return records, ""


def _is_referral(response: Response) -> bool:
    """An empty non-authoritative answer pointing elsewhere: we asked a server that does not recurse."""
    if response.answer or response.flags & dnswire.FLAG_AA:
        return False
    return dnswire.TYPE_NS in response.authority_types and dnswire.TYPE_SOA not in response.authority_types


def _expire_due(state: _LoopState) -> None:
    """Time out every UDP query whose deadline has come (answered ones are just dropped)."""
    state.timer = None
    expiries = state.expiries
    soon = state.loop.time() + 0.001  # the loop may call a little early: do not re-arm for nothing
    while expiries:
        deadline, future = expiries[0]
        if deadline > soon:
            state.timer = state.loop.call_at(deadline, _expire_due, state)
            return
        expiries.popleft()
        if not future.done():
            future.set_result(None)


def _show(address: tuple[str, int]) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def _address(loop: asyncio.AbstractEventLoop, nameserver: Nameserver) -> tuple[int, tuple[str, int]]:
    """(family, (ip, port)) with the ip in the form recvfrom reports, so replies can be checked."""
    try:
        ip = ipaddress.ip_address(nameserver.host)
    except ValueError:
        infos = await loop.getaddrinfo(nameserver.host, nameserver.port, type=socket.SOCK_DGRAM)
        if not infos:
            raise ValueError(f"cannot resolve nameserver {nameserver.host!r}") from None
        ip = ipaddress.ip_address(infos[0][4][0])
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    return family, (ip.compressed, nameserver.port)
