"""Probe engine vs checkdmarc on the same synthetic customers, served by Knot on loopback.

    .venv/bin/python benchmarks/probe_throughput.py --n 2000 --latency-ms 20

N customer domains (a mix: legacy MX and SPF include, nested include, redirect,
legacy MX by address, migrated, no SPF) are served by knotd, behind a UDP relay
that adds the given latency to every answer. Both tools ask the same server;
queries are counted by Knot itself (mod-stats). checkdmarc works one domain at
a time, so by default it gets a sample of the domains (`--checkdmarc-n`); its
rate is per domain, so the two rates compare fairly.

checkdmarc is measured twice: `check_domains` (everything it does: SOA, NS,
DNSSEC, MTA-STS, TLS-RPT, BIMI, MX, SPF, DMARC) and only the three checks our
engine does (MX, SPF, DMARC), the fair comparison.
"""

from __future__ import annotations

import argparse
import logging
import sys
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


@dataclass
class Measured:
    tool: str
    domains: int
    seconds: float
    queries: int

    @property
    def rate(self) -> float:
        return self.domains / self.seconds if self.seconds else float("inf")

    @property
    def queries_per_domain(self) -> float:
        return self.queries / self.domains

    def line(self) -> str:
        return (
            f"{self.tool:<28} {self.domains:>6} domains  {self.seconds:8.2f} s  "
            f"{self.rate:9.1f} domains/s  {self.queries_per_domain:6.1f} queries/domain"
        )


def measure(tool: str, knot: KnotServer, count: int, run) -> tuple[Measured, object]:
    before = knot.query_count()
    started = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    return Measured(tool, count, seconds, knot.query_count() - before), result


def run_engine(domains, address, concurrency, processes, timeout):
    return probe_many(CAMPAIGN, domains, [address], timeout, concurrency, processes=processes)


def run_checkdmarc_full(domains, host, port, timeout):
    import checkdmarc
    import dns.nameserver

    return checkdmarc.check_domains(
        domains, nameservers=[dns.nameserver.Do53Nameserver(host, port)], timeout=timeout
    )


def run_checkdmarc_same_job(domains, host, port, timeout):
    """Only what our engine does: MX, SPF (with its include tree), DMARC."""
    import checkdmarc
    import dns.nameserver

    nameservers = [dns.nameserver.Do53Nameserver(host, port)]
    results = []
    for domain in domains:
        results.append(
            {
                "mx": checkdmarc.check_mx(domain, nameservers=nameservers, timeout=timeout),
                "spf": checkdmarc.check_spf(domain, nameservers=nameservers, timeout=timeout),
                "dmarc": checkdmarc.check_dmarc(domain, nameservers=nameservers, timeout=timeout),
            }
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="customer domains")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="added to every UDP answer")
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--processes", type=int, default=2, help="engine worker processes")
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument(
        "--checkdmarc-n", type=int, default=100, help="domains given to checkdmarc (it is sequential)"
    )
    parser.add_argument(
        "--skip-full-checkdmarc", action="store_true", help="only the same-job checkdmarc run"
    )
    args = parser.parse_args()

    domains, kinds, records = all_records(args.n)
    sample = domains[: min(args.checkdmarc_n, args.n)]
    print(f"serving {args.n} customer zones with Knot; latency {args.latency_ms:g} ms per answer", flush=True)
    with (
        KnotServer(records, udp_workers=2) as knot,
        DelayProxy((knot.host, knot.port), args.latency_ms / 1000) as proxy,
    ):
        host, port = "127.0.0.1", proxy.port
        engine, reports = measure(
            f"engine ({args.processes} proc)",
            knot,
            len(domains),
            lambda: run_engine(domains, proxy.address, args.concurrency, args.processes, args.timeout),
        )
        print(engine.line(), flush=True)
        wrong = [r.domain for r in reports if r.verdict != EXPECTED[kinds[r.domain]]]
        print(
            f"  verdicts: {dict(Counter(r.verdict for r in reports))}; unexpected: {len(wrong)} {wrong[:5]}"
        )

        same_job, _ = measure(
            "checkdmarc (mx+spf+dmarc)",
            knot,
            len(sample),
            lambda: run_checkdmarc_same_job(sample, host, port, args.timeout),
        )
        print(same_job.line(), flush=True)
        runs = [same_job]
        if not args.skip_full_checkdmarc:
            full, _ = measure(
                "checkdmarc (check_domains)",
                knot,
                len(sample),
                lambda: run_checkdmarc_full(sample, host, port, args.timeout),
            )
            print(full.line(), flush=True)
            runs.append(full)

    print()
    for other in runs:
        print(
            f"engine vs {other.tool}: {engine.rate / other.rate:6.1f}x domains/s, "
            f"{other.queries_per_domain / engine.queries_per_domain:4.1f}x fewer queries per domain"
        )


if __name__ == "__main__":
    logging.getLogger("checkdmarc").setLevel(logging.ERROR)  # "Could not check DNSSEC" per domain
    main()
