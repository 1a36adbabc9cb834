"""`manage.py probe`: sweep domains' DNS for legacy references and print one report per domain.

With `--campaign-file` and without `--save` it needs no database (only
`--campaign` and `--save` query it), so it runs on any laptop against any
nameserver. `--json` prints the domain report (docs/domain-report.md), one object per
line, as each domain finishes; the default is a table in input order, with
every legacy reference under its domain (kind, value, what it breaks, path)
and the checks the campaign skipped.
`--save` stores each report like a sweep does (`tracker.services.sweeps.check_store`:
history span, domain state, follow-up rules), for domains known to the database.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from customers.models import Domain
from tracker.management.dns_options import add_dns_arguments
from tracker.models import Campaign as StoredCampaign
from tracker.probe.campaign import Campaign, CampaignError
from tracker.probe.domains import DomainNameError, normalize_domain
from tracker.probe.engine import probe_domains, probe_many
from tracker.probe.report import DomainReport
from tracker.probe.resolver import Resolver
from tracker.services.sweeps import check_store, probe_https_options

PROGRESS_BAR_MIN_DOMAINS = 20
_UNPRINTABLE = {codepoint: "?" for codepoint in [*range(0x20), 0x7F, *range(0x80, 0xA0), 0x202E, 0x2066]}


def printable(text: str, width: int | None = None) -> str:
    """DNS text is attacker-controlled: no terminal escapes or bidi tricks in the table."""
    text = text.translate(_UNPRINTABLE)
    if width is not None and len(text) > width:
        return text[: width - 1] + "…"
    return text


def read_domain_lines(lines: Iterable[str]) -> list[str]:
    """One domain per line; blank lines and `#` comments ignored."""
    return [stripped for line in lines if (stripped := line.split("#", 1)[0].strip())]


def _yes_no(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "unknown"}[value]


def table_row(report: DomainReport) -> str:
    refs = report.legacy_references
    first = f"{refs[0].kind} {refs[0].value}" if refs else "-"
    more = f" (+{len(refs) - 1})" if len(refs) > 1 else ""
    return (
        f"{printable(report.domain, 40):<40}  {report.verdict:<12}  {_yes_no(report.on_successor):<8}  "
        f"{len(report.errors):>6}  {printable(first + more, 60)}"
    )


TABLE_HEADER = f"{'DOMAIN':<40}  {'VERDICT':<12}  {'ON SUCC.':<8}  {'ERRORS':>6}  LEGACY REFERENCES"
REFERENCE_INDENT = "    "


def reference_rows(report: DomainReport) -> list[str]:
    """One line per legacy reference: kind, value, what it breaks, and the path to where it was found."""
    rows = []
    for ref in report.legacy_references:
        breaks = getattr(ref, "breaks", None) or "?"
        path = " > ".join(ref.path)
        rows.append(
            f"{REFERENCE_INDENT}{printable(ref.kind, 13):<13}  {printable(ref.value, 90):<60}  "
            f"breaks {breaks:<8}  path {printable(path, 120)}"
        )
    return rows


class Command(BaseCommand):
    help = "Probe domains' MX, SPF and DMARC for references to the legacy service (docs/domain-report.md)."
    requires_system_checks = []  # runs without a database: nothing to check there

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--campaign", metavar="SLUG", help="a campaign stored in the database")
        source.add_argument(
            "--campaign-file", metavar="FILE", help="a campaign JSON file (no database needed)"
        )
        add_dns_arguments(parser)
        parser.add_argument("--concurrency", type=int, default=None, help="domains probed at once")
        parser.add_argument("--processes", type=int, default=1, help="worker processes (uses more cores)")
        parser.add_argument("--domains-file", metavar="FILE", help="one domain per line ('-' for stdin)")
        parser.add_argument("--json", action="store_true", help="JSON lines, one report per domain")
        parser.add_argument("--save", action="store_true", help="store the results in the database")
        parser.add_argument(
            "--ca-file",
            metavar="PEM",
            default=None,
            help="CA bundle for MTA-STS policy fetches; default: settings.MTA_STS_CA_FILE, else the system's",
        )
        parser.add_argument("domains", nargs="*", metavar="DOMAIN")

    def handle(self, *args, **options):
        campaign = self._campaign(options)
        domains, invalid = self._domains(options)
        for raw, reason in invalid:
            self.stderr.write(f"invalid domain name {printable(raw, 80)!r}: {reason}")
        if not domains:
            raise CommandError("no valid domain to probe (give DOMAIN arguments or --domains-file)")
        store = _Storage.open(campaign.slug, domains) if options["save"] else None
        nameservers = options["nameserver"] or list(settings.DNS_NAMESERVERS)
        timeout = options["timeout"] or settings.DNS_TIMEOUT
        concurrency = options["concurrency"] or settings.PROBE_CONCURRENCY
        if timeout <= 0 or concurrency < 1 or options["processes"] < 1:
            raise CommandError("--timeout, --concurrency and --processes must be positive")
        try:
            Resolver(nameservers, timeout=timeout)  # validates the nameserver strings up front
        except ValueError as exc:
            raise CommandError(f"--nameserver: {exc}") from None

        show: Callable[[DomainReport], None] = self._print_json if options["json"] else lambda report: None
        https = probe_https_options(options["ca_file"])
        if options["processes"] > 1:
            reports = probe_many(
                campaign,
                domains,
                nameservers,
                timeout,
                concurrency,
                processes=options["processes"],
                https=https,
            )
            for report in reports:
                show(report)
        else:
            reports = asyncio.run(
                self._stream(campaign, domains, nameservers, timeout, concurrency, show, https)
            )
        if not options["json"]:
            self._print_table(reports, domains)
        if store is not None:
            saved = store.save(reports)
            self.stderr.write(f"saved {saved} report(s) for campaign {campaign.slug!r}")
            for name in store.unknown:
                self.stderr.write(f"not saved: {name} is not a domain in the database")
        if invalid:
            raise CommandError(f"{len(invalid)} invalid domain name(s) were not probed (see above)")
        if store is not None and store.unknown:
            raise CommandError(f"{len(store.unknown)} report(s) not saved: unknown domain(s), see above")

    # -- input -----------------------------------------------------------------------------------

    def _campaign(self, options) -> Campaign:
        if options["campaign_file"]:
            path = options["campaign_file"]
            try:
                with open(path, encoding="utf-8") as handle:
                    data = json.load(handle)
                return Campaign.from_dict(data)
            except OSError as exc:
                raise CommandError(f"{path}: {exc.strerror}") from None
            except json.JSONDecodeError as exc:
                raise CommandError(f"{path}: not valid JSON ({exc})") from None
            except CampaignError as exc:
                raise CommandError(f"{path}: {exc.field}: {exc.message}") from None
        stored = StoredCampaign.objects.filter(slug=options["campaign"]).first()
        if stored is None:
            raise CommandError(f"no campaign with slug {options['campaign']!r}")
        try:
            return stored.to_probe()
        except CampaignError as exc:
            raise CommandError(f"campaign {stored.slug!r} is stored with invalid data: {exc}") from None

    def _domains(self, options) -> tuple[list[str], list[tuple[str, str]]]:
        raw = list(options["domains"])
        path = options["domains_file"]
        if path:
            try:
                if path == "-":
                    raw.extend(read_domain_lines(sys.stdin))
                else:
                    with open(path, encoding="utf-8") as handle:
                        raw.extend(read_domain_lines(handle))
            except OSError as exc:
                raise CommandError(f"{path}: {exc.strerror}") from None
            except UnicodeDecodeError as exc:
                raise CommandError(f"{path}: not UTF-8 text ({exc})") from None
        domains: dict[str, None] = {}
        invalid: list[tuple[str, str]] = []
        for name in raw:
            try:
                domains.setdefault(normalize_domain(name), None)
            except DomainNameError as exc:
                invalid.append((name, str(exc)))
        return list(domains), invalid

    # -- running and output ----------------------------------------------------------------------

    async def _stream(
        self, campaign, domains, nameservers, timeout, concurrency, show, https
    ) -> list[DomainReport]:
        """Probe on one event loop, showing each report as it finishes; returns them in input order."""
        position = {domain: index for index, domain in enumerate(domains)}
        reports: list[DomainReport | None] = [None] * len(domains)
        progress = self._progress_bar(len(domains))
        resolver = Resolver(nameservers, timeout=timeout, concurrency=concurrency)
        try:
            async for report in probe_domains(
                campaign, domains, resolver, concurrency=concurrency, https=https
            ):
                reports[position.get(report.domain, 0)] = report
                show(report)
                if progress is not None:
                    progress.update(1)
        finally:
            await resolver.close()
            if progress is not None:
                progress.close()
        return [report for report in reports if report is not None]

    def _progress_bar(self, total: int):
        if total < PROGRESS_BAR_MIN_DOMAINS or not self.stderr.isatty():
            return None
        from tqdm import tqdm

        return tqdm(total=total, unit="domain", file=sys.stderr, leave=False)

    def _print_json(self, report: DomainReport) -> None:
        self.stdout.write(report.to_json_line())

    def _print_table(self, reports: list[DomainReport], domains: list[str]) -> None:
        self.stdout.write(TABLE_HEADER)
        for report in reports:
            self.stdout.write(table_row(report))
            for row in reference_rows(report):
                self.stdout.write(row)
        skipped = next((report.skipped_checks for report in reports if report.skipped_checks), {})
        for check, reason in skipped.items():
            self.stdout.write(f"not checked: {check} ({reason})")
        counts = Counter(report.verdict for report in reports)
        summary = ", ".join(f"{counts[v]} {v}" for v in ("legacy", "inconclusive", "unregistered", "clean"))
        self.stdout.write(f"{len(reports)} domains: {summary}")


class _Storage:
    """`--save`: the stored campaign and domains, and storing reports the way a sweep does."""

    def __init__(self, campaign, domains: dict, unknown: list[str]):
        self.campaign = campaign
        self.domains = domains  # name -> customers.Domain
        self.unknown = unknown

    @classmethod
    def open(cls, slug: str, names: list[str]) -> _Storage:
        stored = StoredCampaign.objects.filter(slug=slug).first()
        if stored is None:
            raise CommandError(
                f"--save: campaign {slug!r} is not in the database (load it with `manage.py campaign load FILE`)"
            )
        known = {domain.name: domain for domain in Domain.objects.filter(name__in=names)}
        return cls(stored, known, [name for name in names if name not in known])

    def save(self, reports: list[DomainReport]) -> int:
        saved = 0
        for report in reports:
            domain = self.domains.get(report.domain)
            if domain is None:
                continue
            with transaction.atomic():
                check_store(self.campaign, domain, report.to_json())
            saved += 1
        return saved
