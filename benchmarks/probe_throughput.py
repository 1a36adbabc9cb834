"""Probe engine vs checkdmarc on the same synthetic customers, served by Knot on loopback.

    .venv/bin/python benchmarks/probe_throughput.py                 # N=2000, 0 ms and 20 ms, table
    .venv/bin/python benchmarks/probe_throughput.py --n 100000 --engine-only --latency-ms 0
    .venv/bin/python benchmarks/probe_throughput.py --engine-only --campaigns plain full   # the extra checks
    .venv/bin/python benchmarks/probe_throughput.py --engine-only --engine-path /tmp/old  # an older engine

`--campaigns`: `plain` is the campaign without the optional fields (every extra
check skipped), `full` turns every extra check on (MTA-STS, TLS-RPT, DMARC
report addresses, legacy DKIM, client names, SRV, TLSA). Some customers
publish those references too; the MTA-STS policies are served over HTTPS by a
policy server in a process of its own (test CA), so its TLS work is not
charged to the engine. `--engine-path DIR` imports `tracker` from DIR (e.g. a
`git archive` of an older commit) to time that engine on the same data.

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
import contextlib
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
if "--engine-path" in sys.argv:  # before anything imports tracker: the engine under test comes from there
    sys.path.insert(0, str(Path(sys.argv[sys.argv.index("--engine-path") + 1]).resolve()))

import inspect  # noqa: E402
import multiprocessing  # noqa: E402

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

PLAIN = {
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
CAMPAIGN = Campaign.from_dict(PLAIN)
LEGACY_PIN = "ab" * 32
# Every extra check on: the legacy service's other hosts, mailboxes, selectors and MX key.
FULL = {
    **PLAIN,
    "legacy": {
        **PLAIN["legacy"],
        "dkim_selectors": ["po1", "po2"],
        "hosts": ["*.postoffice.test"],
        "mail_domains": ["postoffice.test"],
        "tlsa": [LEGACY_PIN],
    },
    "successor": {
        **PLAIN["successor"],
        "hosts": ["*.securemx.test"],
        "tlsa": ["3 1 1 " + "cd" * 32],
        "client_hosts": {"imap": "imap.securemx.test", "submission": "smtp.securemx.test"},
        "dmarc_rua": ["mailto:dmarc@securemx.test"],
        "tlsrpt_rua": ["mailto:tlsrpt@securemx.test"],
    },
}
# Extra references some customers publish (by index % 12), and the kinds the full campaign finds.
EXTRA_REFERENCES = {1: ("tls-rpt",), 3: ("dkim",), 5: ("client-host", "srv"), 7: ("mta-sts",), 9: ("tlsa",),
                    11: ("dmarc-report",)}  # fmt: skip
MTA_STS_POLICY = "version: STSv1\r\nmode: enforce\r\nmx: *.postoffice.test\r\nmax_age: 604800\r\n"


def campaign_named(name: str):
    return Campaign.from_dict(FULL if name == "full" else PLAIN)


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
    extra = index % 12
    if extra == 1:
        records[f"_smtp._tls.{domain}"] = {"TXT": ["v=TLSRPTv1; rua=mailto:tlsrpt@postoffice.test"]}
    elif extra == 3:
        records[f"po1._domainkey.{domain}"] = {"CNAME": [f"po1.{index}.dkim.postoffice.test"]}
        records[f"po1.{index}.dkim.postoffice.test"] = {"TXT": ["v=DKIM1; k=rsa; p=MIIBIjAN"]}
    elif extra == 5:
        records[f"imap.{domain}"] = {"CNAME": ["imap.postoffice.test"]}
        records[f"_imaps._tcp.{domain}"] = {"SRV": ["0 1 993 imap.postoffice.test."]}
    elif extra == 7:
        records[f"_mta-sts.{domain}"] = {"TXT": ["v=STSv1; id=20240101"]}
        records[f"mta-sts.{domain}"] = {"A": ["127.0.0.1"]}
    elif extra == 9:
        records[f"_25._tcp.mail.{domain}"] = {"TLSA": [f"3 1 1 {LEGACY_PIN}"]}
    elif extra == 11:
        records[f"_dmarc.{domain}"] = {"TXT": ["v=DMARC1; p=none; rua=mailto:dmarc@postoffice.test"]}
    return domain, kind, records


def all_records(n: int) -> tuple[list[str], dict[str, str], dict]:
    records: dict[str, dict] = {
        LEGACY_SPF: {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]},
        SUCCESSOR_SPF: {"TXT": ["v=spf1 ip4:198.51.100.0/24 -all"]},
        "mx1.postoffice.test": {"A": ["192.0.2.1"]},
        "mx2.postoffice.test": {"A": ["192.0.2.2"]},
        "mx1.securemx.test": {"A": ["198.51.100.1"]},
        "mx2.securemx.test": {"A": ["198.51.100.2"]},
        "imap.postoffice.test": {"A": ["192.0.2.30"]},
        "imap.securemx.test": {"A": ["198.51.100.30"]},
        "smtp.securemx.test": {"A": ["198.51.100.31"]},
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


# What the full campaign also finds in a base kind: its own MX name `mail.` is a client name too.
FULL_KIND_REFERENCES = {"legacy-mx-address": ("client-host",)}


def expected_references(kind: str, index: int, campaign: str) -> tuple[str, ...]:
    extra = ()
    if campaign == "full":
        extra = EXTRA_REFERENCES.get(index % 12, ()) + FULL_KIND_REFERENCES.get(kind, ())
    return tuple(sorted(EXPECTED_REFERENCES[kind] + extra))


def engine_mistakes(reports, kinds: dict[str, str], index_of: dict[str, int], campaign: str) -> list[str]:
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
        wanted = expected_references(kind, index_of[report.domain], campaign)
        verdict = "legacy" if wanted else EXPECTED[kind]
        if report.verdict != verdict:
            found.append(f"verdict {report.verdict} (expected {verdict})")
        references = tuple(sorted(ref.kind for ref in report.legacy_references))
        if references != wanted:
            found.append(f"references {references} (expected {wanted})")
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


def run_engine(campaign, domains, address, concurrency, processes, timeout, https):
    extra = {"https": https} if https is not None else {}
    return probe_many(campaign, domains, [address], timeout, concurrency, processes=processes, **extra)


def _serve_policies(hosts: list[str], ca_path: str, ready) -> None:
    """A worker process: the HTTPS policy server (tests/probe/policy_server.py) until killed."""
    from tests.probe.policy_server import Page, PolicyServer

    with PolicyServer() as server:
        for host in hosts:
            server.serve(host, Page(body=MTA_STS_POLICY))
        server.ca.cert_pem.write_to_path(ca_path)
        ready.put(server.port)
        while True:
            time.sleep(3600)


class PolicyProcess:
    """The MTA-STS policies of the synthetic customers, served from another process (its TLS work
    is the server's, not the engine's)."""

    def __init__(self, hosts: list[str]):
        self.hosts = hosts
        self.ca_path = f"/tmp/bench-policy-ca-{os.getpid()}.pem"
        self.process = None
        self.port = 0

    def __enter__(self) -> PolicyProcess:
        context = multiprocessing.get_context("spawn")
        ready = context.Queue()
        self.process = context.Process(
            target=_serve_policies, args=(self.hosts, self.ca_path, ready), daemon=True
        )
        self.process.start()
        self.port = ready.get(timeout=60)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.join(5)

    def options(self):
        from tracker.probe.https_get import HttpsOptions

        return HttpsOptions(ca_file=self.ca_path, port=self.port, allow_private=True, timeout=5.0)


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
        expected_dmarc = index_of[domain] % 2 == 0 or index_of[domain] % 12 == 11
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


def time_engine(name, latency_ms, knot, proxy, domains, kinds, index_of, address, args, https):
    """One engine run on every domain with the named campaign: printed, checked; (Measured, any wrong)."""
    campaign = campaign_named(name)
    tool = f"engine ({args.processes} proc, {name})"
    cpu_before = os.times()
    with TreeMemory(_server_pids(knot, proxy)) as memory:
        engine, reports = measure(
            latency_ms,
            tool,
            knot,
            len(domains),
            run_engine,
            campaign,
            domains,
            address,
            args.concurrency,
            args.processes,
            args.timeout,
            https if name == "full" else None,
        )
    cpu_after = os.times()
    mistakes = engine_mistakes(reports, kinds, index_of, name)
    engine.wrong = len(mistakes)
    cpu = (cpu_after.user - cpu_before.user + cpu_after.system - cpu_before.system) + (
        cpu_after.children_user
        - cpu_before.children_user
        + cpu_after.children_system
        - cpu_before.children_system
    )
    print(
        f"[{latency_ms:g} ms] {tool}: {engine.seconds:.2f} s, {engine.rate:.1f} domains/s, "
        f"{engine.queries_per_domain:.2f} queries/domain, engine CPU {cpu:.1f} s "
        f"({cpu / len(domains) * 1000:.2f} ms/domain, spawn and import included); "
        f"verdicts {dict(Counter(r.verdict for r in reports))}; wrong reports: {len(mistakes)}",
        flush=True,
    )
    for line in mistakes[:5]:
        print(f"    {line}")
    print(
        f"[{latency_ms:g} ms] peak memory: engine process tree (this process + its engine "
        f"workers, RSS summed, sampled every 50 ms) {memory.peak_kib / 1024:.0f} MiB; this "
        f"process alone (getrusage maxrss) "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB",
        flush=True,
    )
    return engine, bool(mistakes)


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
    parser.add_argument(
        "--campaigns",
        nargs="+",
        choices=("plain", "full"),
        default=["plain"],
        help="engine runs per condition: plain (extra checks skipped), full (every extra check on)",
    )
    parser.add_argument("--engine-path", metavar="DIR", help="import tracker from DIR (an older engine)")
    args = parser.parse_args()
    supports_https = "https" in inspect.signature(probe_many).parameters
    if "full" in args.campaigns and not supports_https:
        parser.error("this engine has no extra checks: use --campaigns plain with --engine-path")
    print(f"engine: {Path(inspect.getfile(probe_many)).resolve().parents[2]}", flush=True)

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
    policy_hosts = (
        [f"mta-sts.{d}" for d in domains if index_of[d] % 12 == 7] if "full" in args.campaigns else []
    )
    with KnotServer(records, udp_workers=2) as knot, contextlib.ExitStack() as stack:
        https = stack.enter_context(PolicyProcess(policy_hosts)).options() if policy_hosts else None
        print(f"knotd loaded {args.n} zones in {time.perf_counter() - started:.1f} s", flush=True)
        for latency_ms in args.latency_ms:
            proxy = DelayProxy((knot.host, knot.port), latency_ms / 1000).start() if latency_ms else None
            try:
                address = proxy.address if proxy else knot.address
                host, port = "127.0.0.1", (proxy.port if proxy else knot.port)
                for name in args.campaigns:
                    engine, wrong = time_engine(
                        name, latency_ms, knot, proxy, domains, kinds, index_of, address, args, https
                    )
                    runs.append(engine)
                    failed |= wrong
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
