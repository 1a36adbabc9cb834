"""Knot DNS as a real, fast authoritative server on loopback, for benchmarks.

The test server in tracker/probe/zoneserver.py is Python and shares the GIL with the
code it serves, so it cannot measure throughput. Knot (Debian's `knot`
package: knotd, knotc) answers from C with several worker threads.

    with KnotServer({"example.com": {"TXT": ["v=spf1 -all"]}}) as knot:
        ...  # Resolver([knot.address])
        knot.query_count()   # answered queries, from knotd's mod-stats

`records` take the same form as ZoneServer.set_records; names are grouped
into zones by their last two labels (one zone per registrable-looking suffix).
Latency: tc netem is not available in this sandbox (the kernel lacks the
qdisc), so DelayProxy, a small UDP relay in its own process that holds each
answer N ms, stands between the resolver and Knot.

    python benchmarks/knot.py --selftest
    python benchmarks/knot.py --throughput 20000 [--concurrency 200] [--delay 0.02]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

KNOTD = shutil.which("knotd") or "/usr/sbin/knotd"
KNOTC = shutil.which("knotc") or "/usr/sbin/knotc"
Records = Mapping[str, Mapping[str, Iterable[Any]]]


def free_port(host: str = "127.0.0.1") -> int:
    """A port free for both UDP and TCP right now (the OS picks it)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((host, 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((host, port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port")


def _quote_txt(value: Any) -> str:
    parts = value if isinstance(value, (list, tuple)) else [value]
    chunks: list[bytes] = []
    for part in parts:
        data = part.encode() if isinstance(part, str) else bytes(part)
        chunks.extend(data[i : i + 255] for i in range(0, max(len(data), 1), 255))
    return " ".join('"' + "".join(_escape_byte(b) for b in chunk) + '"' for chunk in chunks)


def _escape_byte(byte: int) -> str:
    if byte in (0x22, 0x5C):
        return "\\" + chr(byte)
    if 0x20 <= byte < 0x7F:
        return chr(byte)
    return f"\\{byte:03d}"


def _rdata_text(rdtype: str, value: Any) -> str:
    if rdtype in ("TXT", "SPF"):
        return _quote_txt(value)
    if rdtype == "MX" and isinstance(value, (list, tuple)):
        preference, exchange = value
        return f"{int(preference)} {_absolute(exchange)}"
    if rdtype in ("CNAME", "PTR", "NS"):
        return _absolute(str(value))
    return str(value)


def _absolute(name: str) -> str:
    return name if name.endswith(".") else name + "."


def zone_of(name: str) -> str:
    """The zone a name is put in: its last two labels (good enough for benchmark data)."""
    labels = name.rstrip(".").lower().split(".")
    return ".".join(labels[-2:])


def zone_files(records: Records) -> dict[str, str]:
    """Zone file text per zone apex, with SOA and NS so that Knot loads them."""
    lines: dict[str, list[str]] = defaultdict(list)
    for raw_name, by_type in records.items():
        name = raw_name.rstrip(".").lower()
        for rdtype, values in by_type.items():
            rdtype = rdtype.upper()
            if isinstance(values, (str, bytes)) or (
                rdtype == "MX"
                and isinstance(values, tuple)
                and len(values) == 2
                and isinstance(values[0], int)
            ):
                values = [values]
            for value in values:
                lines[zone_of(name)].append(f"{name}. 300 IN {rdtype} {_rdata_text(rdtype, value)}")
    return {
        apex: "\n".join(
            [
                f"$ORIGIN {apex}.",
                f"@ 300 IN SOA ns.{apex}. hostmaster.{apex}. 1 3600 600 86400 300",
                f"@ 300 IN NS ns.{apex}.",
                *body,
                "",
            ]
        )
        for apex, body in lines.items()
    }


class KnotServer:
    """knotd serving `records` on 127.0.0.1:port (UDP and TCP) until stopped."""

    def __init__(self, records: Records, udp_workers: int = 2, port: int | None = None):
        self.records = records
        self.udp_workers = udp_workers
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self._dir: tempfile.TemporaryDirectory | None = None
        self._process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def socket_path(self) -> str:
        assert self._dir is not None
        return str(Path(self._dir.name) / "knot.sock")

    def start(self) -> KnotServer:
        self._dir = tempfile.TemporaryDirectory(prefix="knot-bench-")
        root = Path(self._dir.name)
        zones = zone_files(self.records)
        for apex, text in zones.items():
            (root / f"{apex}.zone").write_text(text)
        (root / "knot.conf").write_text(self._config(root, zones))
        self._process = subprocess.Popen(
            [KNOTD, "-c", str(root / "knot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=open(root / "knotd.log", "wb"),  # noqa: SIM115 (closed with the process)
        )
        # Large sets (100,000 customer zones) take a while to load: allow ~1 s per 2,000 zones.
        self._wait_until_loaded(len(zones), deadline=15.0 + len(zones) / 2000)
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> KnotServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def query_count(self) -> int:
        """Queries knotd answered since start (mod-stats request counters, UDP and TCP)."""
        output = self.knotc("stats", "mod-stats")
        total = 0
        for line in output.splitlines():
            match = re.match(r"mod-stats\.request-protocol\[(udp\d?|tcp\d?)\]\s*=\s*(\d+)", line.strip())
            if match:
                total += int(match.group(2))
        return total

    def knotc(self, *args: str) -> str:
        result = subprocess.run(
            [KNOTC, "-s", self.socket_path, *args], capture_output=True, text=True, timeout=60, check=True
        )
        return result.stdout

    def log(self) -> str:
        assert self._dir is not None
        return (Path(self._dir.name) / "knotd.log").read_text(errors="replace")

    def _config(self, root: Path, zones: Mapping[str, str]) -> str:
        zone_lines = "\n".join(f"  - domain: {apex}\n    file: {root}/{apex}.zone" for apex in zones)
        return f"""server:
    rundir: {root}
    listen: {self.host}@{self.port}
    udp-workers: {self.udp_workers}
    tcp-workers: 1
    background-workers: 1
control:
    listen: {root}/knot.sock
database:
    storage: {root}/db
log:
  - target: stderr
    any: warning
mod-stats:
  - id: counters
    request-protocol: on
template:
  - id: default
    storage: {root}
    global-module: mod-stats/counters
    zonefile-sync: -1
    journal-content: none
zone:
{zone_lines}
"""

    def _wait_until_loaded(self, zone_count: int, deadline: float = 15.0) -> None:
        """Wait until knotc answers and every zone is loaded (large zones take a moment)."""
        started = time.monotonic()
        pause = 0.05 if zone_count < 1000 else 1.0  # zone-status lists every zone: do not ask it often
        while time.monotonic() - started < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"knotd exited: {self.log()}")
            try:
                status = self.knotc("zone-status")
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                time.sleep(pause)
                continue
            loaded = status.count("serial: 1")
            if loaded >= zone_count:
                return
            time.sleep(pause)
        raise RuntimeError(f"knotd did not load {zone_count} zones in {deadline}s: {self.log()}")


class DelayProxy:
    """A UDP relay on loopback that holds every answer `delay` seconds (network latency stand-in).

    It runs in its own process so that it does not compete for the GIL with the
    resolver being measured. Only UDP: a TCP fallback goes straight upstream.
    `loss` (0..1): that share of answers is dropped, as a lossy path would
    (every 1/loss-th answer, so that runs are comparable).
    """

    def __init__(self, upstream: tuple[str, int], delay: float, loss: float = 0.0):
        self.upstream = upstream
        self.delay = delay
        self.loss = loss
        self.port = 0
        self._process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> DelayProxy:
        host, port = self.upstream
        self._process = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--proxy",
                f"{host}:{port}",
                "--delay",
                str(self.delay),
                "--loss",
                str(self.loss),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self._process.stdout.readline()
        if not line.strip().isdigit():
            self.stop()
            raise RuntimeError(f"delay proxy did not start: {line!r}")
        self.port = int(line)
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process.stdout.close()
            self._process = None

    def __enter__(self) -> DelayProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve_delay_proxy(upstream: tuple[str, int], delay: float, loss: float = 0.0) -> None:
    """Relay UDP queries to upstream and answers back `delay` seconds later; prints its port, runs forever.

    Built to cost as little CPU per datagram as possible, so that it is not what
    limits a benchmark: one plain select() loop (no asyncio), no DNS parsing
    (each query gets a relay id of its own, mapped back to the client's id and
    address), and, the delay being the same for every answer, a FIFO of answers
    to release instead of one timer each. `python benchmarks/knot.py
    --proxy-ceiling` measures how many queries per second it relays.
    """
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(("127.0.0.1", 0))
    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    back.bind(("127.0.0.1", 0))
    for sock in (front, back):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        sock.setblocking(False)
    print(front.getsockname()[1], flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    slots: list[tuple[bytes, tuple] | None] = [None] * 65536  # relay id -> (client's id, client)
    next_id = 0
    held: deque[tuple[float, bytes, tuple]] = deque()  # (release time, answer, client), in order
    drop_every = round(1 / loss) if loss > 0 else 0
    answers = 0
    readable = [front, back]
    clock = time.monotonic
    while True:
        timeout = max(0.0, held[0][0] - clock()) if held else None
        ready, _, _ = select.select(readable, [], [], timeout)
        if front in ready:
            for _ in range(256):  # drain what is queued, a bounded batch at a time
                try:
                    data, client = front.recvfrom(4096)
                except BlockingIOError:
                    break
                if len(data) < 12:
                    continue
                slots[next_id] = (data[:2], client)
                back.sendto(next_id.to_bytes(2, "big") + data[2:], upstream)
                next_id = (next_id + 1) & 0xFFFF
        if back in ready:
            release = clock() + delay
            for _ in range(256):
                try:
                    data = back.recv(65535)
                except BlockingIOError:
                    break
                if len(data) < 12:
                    continue
                relay_id = int.from_bytes(data[:2], "big")
                slot = slots[relay_id]
                if slot is None:
                    continue
                slots[relay_id] = None
                answers += 1
                if drop_every and answers % drop_every == 0:
                    continue  # lost on the way
                held.append((release, slot[0] + data[2:], slot[1]))
        now = clock()
        while held and held[0][0] <= now:
            _, answer, client = held.popleft()
            try:
                front.sendto(answer, client)
            except BlockingIOError:
                pass  # the client's buffer is full: a lost datagram, as on a real network


def proxy_ceiling(count: int = 50_000, delay: float = 0.02, in_flight: int = 2000) -> float:
    """Queries per second the delay proxy relays, driven by a lean client (knotd behind it)."""
    records = {"example.com": {"TXT": ["v=spf1 -all"]}}
    query = b"\0\0\1\0\0\1\0\0\0\0\0\0" + b"\7example\3com\0" + b"\0\x10\0\1"  # TXT? example.com
    with KnotServer(records) as knot, DelayProxy((knot.host, knot.port), delay) as proxy:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        sock.settimeout(5)
        started = time.perf_counter()
        sent = received = 0
        while received < count:
            while sent < count and sent - received < in_flight:
                sock.sendto((sent & 0xFFFF).to_bytes(2, "big") + query[2:], ("127.0.0.1", proxy.port))
                sent += 1
            try:
                sock.recv(4096)
            except TimeoutError:
                break
            received += 1
        elapsed = time.perf_counter() - started
        sock.close()
    return received / elapsed


def _selftest() -> None:
    """Start Knot, ask it a few questions with dnspython, count them, add latency through the proxy."""
    import dns.message
    import dns.query

    records = {
        "example.com": {
            "TXT": ["v=spf1 include:spf.po.2iij.net -all", ("two ", "strings")],
            "MX": [(10, "mx.example.com")],
        },
        "spf.po.2iij.net": {"TXT": "v=spf1 ip4:192.0.2.0/24 -all"},
    }
    with KnotServer(records) as knot:
        answers = []
        for name, rdtype in [("example.com", "TXT"), ("example.com", "MX"), ("spf.po.2iij.net", "TXT")]:
            response = dns.query.udp(
                dns.message.make_query(name, rdtype), knot.host, port=knot.port, timeout=2
            )
            answers.append(sorted(rd.to_text() for rrset in response.answer for rd in rrset))
        tcp = dns.query.tcp(
            dns.message.make_query("example.com", "TXT"), knot.host, port=knot.port, timeout=2
        )
        assert answers[0] == ['"two " "strings"', '"v=spf1 include:spf.po.2iij.net -all"'], answers
        assert answers[1] == ["10 mx.example.com."], answers
        assert tcp.answer, "no answer over TCP"
        counted = knot.query_count()
        print(f"knot on {knot.address}: answers ok, query_count={counted} (expected 4)")
        assert counted == 4, knot.knotc("stats", "mod-stats")

        with DelayProxy((knot.host, knot.port), delay=0.05) as proxy:
            started = time.monotonic()
            dns.query.udp(
                dns.message.make_query("example.com", "TXT"), "127.0.0.1", port=proxy.port, timeout=2
            )
            elapsed = time.monotonic() - started
        print(f"delay proxy: one query took {elapsed * 1000:.0f} ms (50 ms added)")
        assert elapsed >= 0.05
    print("selftest ok")


def _resolver_throughput(count: int, concurrency: int, delay: float) -> None:
    """Queries per second of tracker.probe.resolver from one process: `count` distinct TXT names."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tracker.probe.resolver import Outcome, Resolver

    records = {
        f"d{i}.example{i % 50}.com": {"TXT": [f"v=spf1 ip4:192.0.2.{i % 250} -all"]} for i in range(count)
    }

    async def sweep(address: str) -> tuple[float, int, int]:
        async with Resolver([address], timeout=2.0, attempts=3, concurrency=concurrency) as resolver:
            started = time.perf_counter()
            answers = await asyncio.gather(*(resolver.query(name, "TXT") for name in records))
            elapsed = time.perf_counter() - started
        return count / elapsed, sum(a.outcome != Outcome.NOERROR for a in answers), resolver.queries_sent

    with KnotServer(records) as knot:
        if delay:
            with DelayProxy((knot.host, knot.port), delay) as proxy:
                rate, failures, sent = asyncio.run(sweep(proxy.address))
        else:
            rate, failures, sent = asyncio.run(sweep(knot.address))
        answered = knot.query_count()
    print(
        f"{count} TXT queries, concurrency {concurrency}, added latency {delay * 1000:.0f} ms: "
        f"{rate:,.0f} queries/s, {failures} failed, {sent} sent, {answered} answered by knotd"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--selftest", action="store_true", help="start Knot, query it, stop it")
    parser.add_argument("--proxy", metavar="HOST:PORT", help="run a delay proxy in front of HOST:PORT")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds added by --proxy / --throughput")
    parser.add_argument("--loss", type=float, default=0.0, help="share of answers --proxy drops (0..1)")
    parser.add_argument("--throughput", type=int, metavar="N", help="measure the resolver with N queries")
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument(
        "--proxy-ceiling",
        action="store_true",
        help="queries/s the delay proxy relays (--delay, default 20 ms)",
    )
    args = parser.parse_args()
    if args.selftest:
        _selftest()
    elif args.proxy_ceiling:
        rate = proxy_ceiling(delay=args.delay or 0.02)
        print(f"delay proxy ({(args.delay or 0.02) * 1000:g} ms): {rate:,.0f} queries/s relayed")
    elif args.throughput:
        _resolver_throughput(args.throughput, args.concurrency, args.delay)
    elif args.proxy:
        proxy_host, _, proxy_port = args.proxy.rpartition(":")
        serve_delay_proxy((proxy_host, int(proxy_port)), args.delay, args.loss)
    else:
        parser.print_help()
