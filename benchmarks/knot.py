"""Knot DNS as a real, fast authoritative server on loopback, for benchmarks.

The test server in tests/dnsserver.py is Python and shares the GIL with the
code it serves, so it cannot measure throughput. Knot (Debian's `knot`
package: knotd, knotc) answers from C with several worker threads.

    with KnotServer({"example.com": {"TXT": ["v=spf1 -all"]}}) as knot:
        ...  # Resolver([knot.address])
        knot.query_count()   # answered queries, from knotd's mod-stats

`records` take the same form as TestDNSServer.set_records; names are grouped
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
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
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
        self._wait_until_loaded(len(zones))
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
            [KNOTC, "-s", self.socket_path, *args], capture_output=True, text=True, timeout=10, check=True
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
        while time.monotonic() - started < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"knotd exited: {self.log()}")
            try:
                status = self.knotc("zone-status")
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                time.sleep(0.05)
                continue
            loaded = sum(1 for line in status.splitlines() if "serial: 1" in line)
            if loaded >= zone_count:
                return
            time.sleep(0.05)
        raise RuntimeError(f"knotd did not load {zone_count} zones in {deadline}s: {self.log()}")


class DelayProxy:
    """A UDP relay on loopback that holds every answer `delay` seconds (network latency stand-in).

    It runs in its own process so that it does not compete for the GIL with the
    resolver being measured. Only UDP: a TCP fallback goes straight upstream.
    """

    def __init__(self, upstream: tuple[str, int], delay: float):
        self.upstream = upstream
        self.delay = delay
        self.port = 0
        self._process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> DelayProxy:
        host, port = self.upstream
        self._process = subprocess.Popen(
            [sys.executable, __file__, "--proxy", f"{host}:{port}", "--delay", str(self.delay)],
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


def serve_delay_proxy(upstream: tuple[str, int], delay: float) -> None:
    """Relay UDP queries to upstream and answers back `delay` seconds later; prints its port, runs forever."""
    loop = asyncio.new_event_loop()
    clients: dict[bytes, tuple] = {}  # query id + question -> client address

    class Upstream(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple) -> None:
            client = clients.pop(_question_key(data), None)
            if client is not None:
                loop.call_later(delay, front.sendto, data, client)

    class Front(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple) -> None:
            clients[_question_key(data)] = addr
            upstream_transport.sendto(data, upstream)

    front, _ = loop.run_until_complete(loop.create_datagram_endpoint(Front, local_addr=("127.0.0.1", 0)))
    upstream_transport, _ = loop.run_until_complete(
        loop.create_datagram_endpoint(Upstream, local_addr=("127.0.0.1", 0))
    )
    for transport in (front, upstream_transport):
        transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    print(front.get_extra_info("sockname")[1], flush=True)
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.run_forever()


def _question_key(message: bytes) -> bytes:
    """Id and question bytes: clients with several sockets may reuse an id, but not with the same question."""
    end = 12
    while end < len(message) and message[end]:
        end += message[end] + 1
    return message[:2] + message[12 : end + 5]


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
    parser.add_argument("--throughput", type=int, metavar="N", help="measure the resolver with N queries")
    parser.add_argument("--concurrency", type=int, default=200)
    args = parser.parse_args()
    if args.selftest:
        _selftest()
    elif args.throughput:
        _resolver_throughput(args.throughput, args.concurrency, args.delay)
    elif args.proxy:
        proxy_host, _, proxy_port = args.proxy.rpartition(":")
        serve_delay_proxy((proxy_host, int(proxy_port)), args.delay)
    else:
        parser.print_help()
