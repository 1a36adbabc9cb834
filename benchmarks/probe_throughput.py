"""Probe engine vs checkdmarc on the same synthetic customers, served by Knot on loopback.

    .venv/bin/python benchmarks/probe_throughput.py                 # N=2000, 0 ms and 20 ms, table
    .venv/bin/python benchmarks/probe_throughput.py --n 100000 --engine-only --latency-ms 0

N customer domains (a mix: legacy MX and SPF include, nested include, redirect,
legacy MX by address, migrated, no SPF) are served by knotd, one zone per
customer. For each latency condition the engine and checkdmarc ask the same
server: Knot directly for 0 ms, or a UDP relay (benchmarks/knot.py DelayProxy)
that holds every answer the given time. Queries are counted by Knot itself
(mod-stats), so "queries/domain" is what reached the server, after caches.

Every engine report is checked against what the synthetic data says it must be
(verdict, reference kinds, on_successor, no errors): a fast wrong answer fails
the run (exit status 1). checkdmarc's answers are checked too (SPF record
found where one is published, MX hosts found, DMARC found where published), so
a checkdmarc that failed fast would show.

Each engine run prints its CPU time and peak memory: the summed RSS of this
process and its engine workers, sampled from /proc every 50 ms (knotd and the
relay excluded), and this process's getrusage maxrss (see benchmarks/README.md
for why RUSAGE_CHILDREN is not used).

checkdmarc works one domain at a time, so it gets a sample of the domains
(`--checkdmarc-n`); its rate is per domain, so the two rates compare fairly.
Its module-level DNS caches are emptied before each of its runs, so no run
profits from an earlier one. Timed: `check_mx`, `check_spf`, `check_dmarc`
per domain (the job the engine does: MX, SPF with its include tree, DMARC),
and with `--checkdmarc-full` also `check_domains` (everything it does: SOA,
NS, DNSSEC, MTA-STS, TLS-RPT, BIMI, MX, SPF, DMARC; MX TLS tests stay off).
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.knot import DelayProxy, KnotServer  # noqa: E402
from tracker.probe.campaign import Campaign  # noqa: E402
from tracker.probe.engine import probe_many  # noqa: E402

LEGACY_SPF = "spf.postoffice.test"
SUCCESSOR_SPF = "spf.securemx.test"
KINDS = ("legacy-direct", "legacy-nested", "legacy-redirect", "legacy-mx-address", "migrated", "no-spf")
EXPECTED = {
    "legacy-direct": "legacy",
    "legacy-nested": "legacy",
    "legacy-redirect": "legacy",
    "legacy-mx-address": "legacy",
    "migrated": "clean",
    "no-spf": "clean",
}
# What else each kind's report must say: legacy reference kinds, and on_successor.
EXPECTED_REFERENCES = {
    "legacy-direct": ("mx", "mx", "spf-include"),
    "legacy-nested": ("spf-include",),
    "legacy-redirect": ("mx", "mx", "spf-redirect"),
    "legacy-mx-address": ("mx-address",),
    "migrated": (),
    "no-spf": (),
}
EXPECTED_ON_SUCCESSOR = {
    "legacy-direct": False,
    "legacy-nested": False,  # its SPF does not authorize the successor's outbound IP
    "legacy-redirect": False,
    "legacy-mx-address": False,
    "migrated": True,
    "no-spf": False,  # no SPF at all
}

CAMPAIGN = Campaign.from_dict(
    {
        "slug": "post-office",
        "name": "Post Office to Secure MX",
        "legacy": {
            "name": "Post Office",
            "mx_hosts": ["*.postoffice.test"],
            "spf_includes": [LEGACY_SPF],
            "ip_ranges": ["192.0.2.0/24"],
            "outbound_ips": ["192.0.2.10"],
        },
        "successor": {
            "name": "Secure MX",
            "mx_hosts": ["*.securemx.test"],
            "spf_includes": [SUCCESSOR_SPF],
            "ip_ranges": ["198.51.100.0/24"],
            "outbound_ips": ["198.51.100.10"],
        },
        "end_date": "2026-09-30",
    }
)


def customer_records(index: int) -> tuple[str, str, dict]:
    """One customer: (domain, kind, records). Every customer is its own zone, like real life."""
    kind = KINDS[index % len(KINDS)]
    domain = f"customer{index}.test"
    legacy_mx = [(10, "mx1.postoffice.test"), (20, "mx2.postoffice.test")]
    successor_mx = [(10, "mx1.securemx.test"), (20, "mx2.securemx.test")]
    records: dict[str, dict] = {}
    if kind == "legacy-direct":
        records[domain] = {"MX": legacy_mx, "TXT": [f"v=spf1 mx include:{LEGACY_SPF} ~all"]}
    elif kind == "legacy-nested":
        records[domain] = {"MX": successor_mx, "TXT": [f"v=spf1 include:_spf.{domain} -all"]}
        records[f"_spf.{domain}"] = {"TXT": [f"v=spf1 ip4:203.0.113.{index % 250} include:{LEGACY_SPF} ~all"]}
    elif kind == "legacy-redirect":
        records[domain] = {"MX": legacy_mx, "TXT": [f"v=spf1 redirect={LEGACY_SPF}"]}
    elif kind == "legacy-mx-address":
        records[domain] = {"MX": [(10, f"mail.{domain}")], "TXT": [f"v=spf1 include:{SUCCESSOR_SPF} -all"]}
        records[f"mail.{domain}"] = {"A": [f"192.0.2.{index % 250}"]}
    elif kind == "migrated":
        records[domain] = {"MX": successor_mx, "TXT": [f"v=spf1 include:{SUCCESSOR_SPF} -all"]}
    else:
        records[domain] = {"MX": successor_mx, "TXT": ["google-site-verification=abc"]}
    if index % 2 == 0:
        records[f"_dmarc.{domain}"] = {"TXT": ["v=DMARC1; p=quarantine; rua=mailto:dmarc@" + domain]}
    return domain, kind, records


def all_records(n: int) -> tuple[list[str], dict[str, str], dict]:
    records: dict[str, dict] = {
        LEGACY_SPF: {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]},
        SUCCESSOR_SPF: {"TXT": ["v=spf1 ip4:198.51.100.0/24 -all"]},
        "mx1.postoffice.test": {"A": ["192.0.2.1"]},
        "mx2.postoffice.test": {"A": ["192.0.2.2"]},
        "mx1.securemx.test": {"A": ["198.51.100.1"]},
        "mx2.securemx.test": {"A": ["198.51.100.2"]},
        # The DMARCbis tree walk asks _dmarc.test: make Knot authoritative for it (NODATA, not REFUSED).
        "_dmarc.test": {"A": ["127.0.0.1"]},
    }
    domains, kinds = [], {}
    for index in range(n):
        domain, kind, own = customer_records(index)
        domains.append(domain)
        kinds[domain] = kind
        records.update(own)
    return domains, kinds, records


# -- measuring -------------------------------------------------------------------------------------


@dataclass
class Measured:
    latency_ms: float
    tool: str
    domains: int
    seconds: float
    queries: int
    wrong: int = 0  # answers that differ from what the synthetic data says

    @property
    def rate(self) -> float:
        return self.domains / self.seconds if self.seconds else float("inf")

    @property
    def queries_per_domain(self) -> float:
        return self.queries / self.domains


def measure(
    latency_ms: float, tool: str, knot: KnotServer, count: int, run, *args
) -> tuple[Measured, object]:
    before = knot.query_count()
    started = time.perf_counter()
    result = run(*args)
    seconds = time.perf_counter() - started
    return Measured(latency_ms, tool, count, seconds, knot.query_count() - before), result


def engine_mistakes(reports, kinds: dict[str, str]) -> list[str]:
    """Every report that is not what the synthetic data says, with why (empty: all correct)."""
    mistakes = []
    seen = set()
    for report in reports:
        seen.add(report.domain)
        kind = kinds.get(report.domain)
        if kind is None:
            mistakes.append(f"{report.domain}: not an input domain")
            continue
        found = []
        if report.verdict != EXPECTED[kind]:
            found.append(f"verdict {report.verdict} (expected {EXPECTED[kind]})")
        references = tuple(sorted(ref.kind for ref in report.legacy_references))
        if references != EXPECTED_REFERENCES[kind]:
            found.append(f"references {references} (expected {EXPECTED_REFERENCES[kind]})")
        if report.on_successor is not EXPECTED_ON_SUCCESSOR[kind]:
            found.append(f"on_successor {report.on_successor} (expected {EXPECTED_ON_SUCCESSOR[kind]})")
        if report.errors:
            found.append(f"errors {[e.to_json() for e in report.errors][:2]}")
        if found:
            mistakes.append(f"{report.domain} ({kind}): " + "; ".join(found))
    missing = set(kinds) - seen
    mistakes.extend(f"{domain}: no report" for domain in sorted(missing)[:5])
    if len(missing) > 5:
        mistakes.append(f"... and {len(missing) - 5} more without a report")
    return mistakes


def run_engine(domains, address, concurrency, processes, timeout):
    return probe_many(CAMPAIGN, domains, [address], timeout, concurrency, processes=processes)


def _clear_checkdmarc_caches() -> None:
    """checkdmarc keeps module-level caches (DNS answers, DNSSEC, TLS): start each run cold."""
    import importlib
    import pkgutil

    import checkdmarc
    from expiringdict import ExpiringDict

    for info in pkgutil.iter_modules(checkdmarc.__path__):
        try:
            module = importlib.import_module(f"checkdmarc.{info.name}")
        except Exception:  # noqa: BLE001 (an optional submodule that does not import: nothing cached)
            continue
        for value in vars(module).values():
            if isinstance(value, ExpiringDict):
                value.clear()


def _checkdmarc_nameservers(host: str, port: int):
    import dns.nameserver

    return [dns.nameserver.Do53Nameserver(host, port)]


def run_checkdmarc_same_job(domains, host, port, timeout):
    """Only what our engine does: check_mx, check_spf (with its include tree), check_dmarc."""
    import checkdmarc

    _clear_checkdmarc_caches()
    nameservers = _checkdmarc_nameservers(host, port)
    results = []
    for domain in domains:
        results.append(
            {
                "domain": domain,
                "mx": checkdmarc.check_mx(domain, nameservers=nameservers, timeout=timeout),
                "spf": checkdmarc.check_spf(domain, nameservers=nameservers, timeout=timeout),
                "dmarc": checkdmarc.check_dmarc(domain, nameservers=nameservers, timeout=timeout),
            }
        )
    return results


def run_checkdmarc_full(domains, host, port, timeout):
    import checkdmarc

    _clear_checkdmarc_caches()
    results = checkdmarc.check_domains(
        domains, nameservers=_checkdmarc_nameservers(host, port), timeout=timeout
    )
    return results if isinstance(results, list) else [results]


def checkdmarc_mistakes(results, kinds: dict[str, str], index_of: dict[str, int]) -> int:
    """Domains where checkdmarc did not see what is published (its answers, not its opinions)."""
    wrong = 0
    for result in results:
        domain = result["domain"]
        spf_found = bool(result["spf"].get("record"))
        mx_found = bool(result["mx"].get("hosts"))
        dmarc_found = bool(result["dmarc"].get("record"))
        expected_spf = kinds[domain] != "no-spf"
        expected_dmarc = index_of[domain] % 2 == 0
        if spf_found != expected_spf or not mx_found or dmarc_found != expected_dmarc:
            wrong += 1
    return wrong


# -- memory ---------------------------------------------------------------------------------------


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                found.extend(int(child) for child in children.read().split())
    except OSError:
        pass
    return found


class TreeMemory:
    """Peak of the summed RSS of this process and its engine workers, sampled every 50 ms.

    knotd and the delay proxy are children too, but they are the server, not the
    engine: their pids are excluded.
    """

    def __init__(self, exclude: set[int]):
        self.exclude = exclude
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.05):
            pids = [me, *(pid for pid in _children(me) if pid not in self.exclude)]
            self.peak_kib = max(self.peak_kib, sum(_rss_kib(pid) for pid in pids))

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


def _server_pids(knot: KnotServer, proxy: DelayProxy | None) -> set[int]:
    pids = set()
    for process in (knot._process, proxy._process if proxy else None):
        if process is not None:
            pids.add(process.pid)
    return pids


# -- output ---------------------------------------------------------------------------------------


def print_table(runs: list[Measured]) -> None:
    header = (
        f"{'latency':>8}  {'tool':<30} {'domains':>7} {'seconds':>8} {'domains/s':>10} "
        f"{'queries/domain':>15} {'engine speed-up':>16} {'wrong':>6}"
    )
    print(header)
    print("-" * len(header))
    for latency in sorted({run.latency_ms for run in runs}):
        group = [run for run in runs if run.latency_ms == latency]
        engine = next((run for run in group if run.tool.startswith("engine")), None)
        for run in group:
            if engine is None or run is engine:
                ratio = ""
            else:
                ratio = f"{engine.rate / run.rate:.1f}x"
            print(
                f"{latency:>6g}ms  {run.tool:<30} {run.domains:>7} {run.seconds:>8.2f} {run.rate:>10.1f} "
                f"{run.queries_per_domain:>15.2f} {ratio:>16} {run.wrong:>6}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="customer domains")
    parser.add_argument(
        "--latency-ms",
        type=float,
        nargs="+",
        default=[0.0, 20.0],
        help="conditions: latency added to every UDP answer (0 = Knot directly); default 0 20",
    )
    parser.add_argument(
        "--concurrency", type=int, default=1000, help="engine domains in flight, all processes together"
    )
    parser.add_argument("--processes", type=int, default=2, help="engine worker processes")
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument(
        "--checkdmarc-n",
        type=int,
        default=100,
        help="domains given to checkdmarc without added latency (it is sequential)",
    )
    parser.add_argument(
        "--checkdmarc-n-latency",
        type=int,
        default=40,
        help="domains given to checkdmarc with added latency (about 0.4 s each at 20 ms)",
    )
    parser.add_argument(
        "--checkdmarc-full", action="store_true", help="also time checkdmarc.check_domains (everything)"
    )
    parser.add_argument("--engine-only", action="store_true", help="no checkdmarc runs")
    args = parser.parse_args()

    domains, kinds, records = all_records(args.n)
    index_of = {domain: index for index, domain in enumerate(domains)}
    print(
        f"{args.n} customer zones served by Knot on loopback; engine: {args.processes} processes, "
        f"{args.concurrency} domains in flight in all; timeout {args.timeout:g} s; "
        f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs",
        flush=True,
    )
    runs: list[Measured] = []
    failed = False
    started = time.perf_counter()
    with KnotServer(records, udp_workers=2) as knot:
        print(f"knotd loaded {args.n} zones in {time.perf_counter() - started:.1f} s", flush=True)
        for latency_ms in args.latency_ms:
            proxy = DelayProxy((knot.host, knot.port), latency_ms / 1000).start() if latency_ms else None
            try:
                address = proxy.address if proxy else knot.address
                host, port = "127.0.0.1", (proxy.port if proxy else knot.port)
                tool = f"engine ({args.processes} proc)"
                cpu_before = os.times()
                with TreeMemory(_server_pids(knot, proxy)) as memory:
                    engine, reports = measure(
                        latency_ms,
                        tool,
                        knot,
                        len(domains),
                        run_engine,
                        domains,
                        address,
                        args.concurrency,
                        args.processes,
                        args.timeout,
                    )
                cpu_after = os.times()
                mistakes = engine_mistakes(reports, kinds)
                engine.wrong = len(mistakes)
                runs.append(engine)
                cpu = (cpu_after.user - cpu_before.user + cpu_after.system - cpu_before.system) + (
                    cpu_after.children_user
                    - cpu_before.children_user
                    + cpu_after.children_system
                    - cpu_before.children_system
                )
                print(
                    f"[{latency_ms:g} ms] engine: {engine.seconds:.2f} s, {engine.rate:.1f} domains/s, "
                    f"{engine.queries_per_domain:.2f} queries/domain, engine CPU {cpu:.1f} s "
                    f"({cpu / len(domains) * 1000:.2f} ms/domain, spawn and import included); "
                    f"verdicts {dict(Counter(r.verdict for r in reports))}; wrong reports: {len(mistakes)}",
                    flush=True,
                )
                for line in mistakes[:5]:
                    print(f"    {line}")
                failed |= bool(mistakes)
                print(
                    f"[{latency_ms:g} ms] peak memory: engine process tree (this process + its engine "
                    f"workers, RSS summed, sampled every 50 ms) {memory.peak_kib / 1024:.0f} MiB; this "
                    f"process alone (getrusage maxrss) "
                    f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB",
                    flush=True,
                )
                del reports
                if args.engine_only:
                    continue
                sample = domains[
                    : min(args.checkdmarc_n_latency if latency_ms else args.checkdmarc_n, args.n)
                ]
                same_job, results = measure(
                    latency_ms,
                    "checkdmarc mx+spf+dmarc",
                    knot,
                    len(sample),
                    run_checkdmarc_same_job,
                    sample,
                    host,
                    port,
                    args.timeout,
                )
                same_job.wrong = checkdmarc_mistakes(results, kinds, index_of)
                runs.append(same_job)
                print(
                    f"[{latency_ms:g} ms] checkdmarc (mx+spf+dmarc): {same_job.rate:.1f} domains/s",
                    flush=True,
                )
                if args.checkdmarc_full:
                    full, _ = measure(
                        latency_ms,
                        "checkdmarc check_domains",
                        knot,
                        len(sample),
                        run_checkdmarc_full,
                        sample,
                        host,
                        port,
                        args.timeout,
                    )
                    runs.append(full)
                    print(
                        f"[{latency_ms:g} ms] checkdmarc (check_domains): {full.rate:.1f} domains/s",
                        flush=True,
                    )
            finally:
                if proxy is not None:
                    proxy.stop()

    print()
    print_table(runs)
    print()
    print(
        "domains/s: wall clock over the whole run (engine: process spawn included). queries/domain: "
        "queries Knot answered during the run / domains. engine speed-up: engine domains/s over that "
        "row's. wrong: reports (engine) or answers (checkdmarc) that differ from the published data."
    )
    if not args.engine_only:
        print(
            "checkdmarc timed: check_mx + check_spf + check_dmarc per domain"
            + (", and check_domains" if args.checkdmarc_full else "")
            + f"; sample of {args.checkdmarc_n} domains (0 ms) / {args.checkdmarc_n_latency} (with latency), "
            "caches emptied before each run."
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    logging.getLogger("checkdmarc").setLevel(logging.ERROR)  # "Could not check DNSSEC" per domain
    sys.exit(main())
