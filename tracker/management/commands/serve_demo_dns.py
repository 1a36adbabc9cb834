"""`manage.py serve_demo_dns --port-file F`: a DNS server on loopback with zones for the demo customers.

`make run` starts it so that sweeps of the demo have something real to read
without touching the internet: every demo domain gets MX, SPF and DMARC records
that fit its customer's status (not contacted: still on the legacy service;
migrating: both includes; migrated: on the successor, sometimes with a
forgotten legacy include; leaving: another provider, sometimes still including
the legacy record), plus a few unregistered and unanswering names.

It is the test suite's authoritative server (tracker/probe/zoneserver.py), fed from the
database once at start; it writes its "host:port" to the file named by --port-file.
"""

from __future__ import annotations

import hashlib
import signal
import threading
from pathlib import Path

from django.core.management.base import BaseCommand

from customers.models import Domain
from tracker.probe.zoneserver import ZoneServer

LEGACY_SPF = "spf.po.2iij.net"
SUCCESSOR_SPF = "spf.securemx.example"
SERVICE_RECORDS = {
    LEGACY_SPF: {"TXT": ["v=spf1 ip4:192.0.2.0/24 -all"]},
    "mx1.po.2iij.net": {"A": ["192.0.2.10"]},
    "mx2.po.2iij.net": {"A": ["192.0.2.11"]},
    SUCCESSOR_SPF: {"TXT": ["v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:5::/48 -all"]},
    "mx1.securemx.example": {"A": ["198.51.100.10"]},
    "mx2.securemx.example": {"A": ["198.51.100.11"]},
    # The legacy service's client servers, and the successor's (RFC 5737 addresses).
    "pop.po.2iij.net": {"A": ["192.0.2.40"]},
    "imap.po.2iij.net": {"A": ["192.0.2.41"]},
    "smtp.po.2iij.net": {"A": ["192.0.2.42"]},
    "imap.securemx.example": {"A": ["198.51.100.41"]},
    "pop.securemx.example": {"A": ["198.51.100.40"]},
    "smtp.securemx.example": {"A": ["198.51.100.42"]},
    "webmail.securemx.example": {"A": ["198.51.100.43"]},
    "_spf.otherhost.example": {"TXT": ["v=spf1 ip4:203.0.113.0/24 -all"]},
    "mx.otherhost.example": {"A": ["203.0.113.5"]},
    # A bulky third-party sender: customers who keep it next to both services go over 10 lookups.
    "_spf.newsletters.example": {
        "TXT": ["v=spf1 include:a._spf.newsletters.example include:b._spf.newsletters.example ~all"]
    },
    "a._spf.newsletters.example": {"TXT": ["v=spf1 a mx include:c._spf.newsletters.example ~all"]},
    "b._spf.newsletters.example": {"TXT": ["v=spf1 a mx exists:%{i}.x.newsletters.example ~all"]},
    "c._spf.newsletters.example": {"TXT": ["v=spf1 a mx ptr ~all"]},
}
LEGACY_MX = [(10, "mx1.po.2iij.net"), (20, "mx2.po.2iij.net")]
SUCCESSOR_MX = [(10, "mx1.securemx.example"), (20, "mx2.securemx.example")]
OTHER_MX = [(10, "mx.otherhost.example")]
DMARC = [
    None,
    "v=DMARC1; p=none; rua=mailto:dmarc@{d}",
    "v=DMARC1; p=none; pct=100; rua=mailto:dmarc@{d}",
    "v=DMARC1; p=quarantine; pct=50",
    "v=DMARC1; p=reject; adkim=s",
]


def pick(domain: str, salt: str, options: int) -> int:
    """A stable choice per domain, so the demo looks the same at every start."""
    return int(hashlib.sha256(f"{salt}:{domain}".encode()).hexdigest(), 16) % options


def zone_for(domain: str, status: str) -> dict:
    """MX, SPF and DMARC for one demo domain, by its customer's migration status."""
    roll = pick(domain, "scenario", 100)
    records: dict[str, dict] = {}
    if status == "migrated":
        mx, spf = SUCCESSOR_MX, f"v=spf1 include:{SUCCESSOR_SPF} -all"
        if roll < 15:  # marked migrated, but the legacy include was forgotten
            spf = f"v=spf1 include:{SUCCESSOR_SPF} include:{LEGACY_SPF} -all"
    elif status == "migrating":
        mx, spf = SUCCESSOR_MX, f"v=spf1 include:{SUCCESSOR_SPF} include:{LEGACY_SPF} ~all"
        if roll < 30:
            spf = (
                f"v=spf1 a mx include:_spf.newsletters.example include:{SUCCESSOR_SPF} "
                f"include:{LEGACY_SPF} ~all"
            )
    elif status == "leaving":
        mx, spf = OTHER_MX, "v=spf1 include:_spf.otherhost.example -all"
        if roll < 50:
            spf = f"v=spf1 include:_spf.otherhost.example include:{LEGACY_SPF} -all"
    else:
        mx = LEGACY_MX
        if roll < 20:  # the legacy include sits in a record the customer delegates to
            spf = f"v=spf1 include:_spf.{domain} ~all"
            records[f"_spf.{domain}"] = {"TXT": [f"v=spf1 a mx include:{LEGACY_SPF} -all"]}
        elif roll < 30:
            spf = f"v=spf1 redirect={LEGACY_SPF}"
        elif roll < 38:
            spf = "v=spf1 ip4:192.0.2.0/24 -all"
        elif roll < 45:
            spf = None
        else:
            spf = f"v=spf1 mx include:{LEGACY_SPF} ~all"
    records[domain] = {"MX": mx}
    if spf:
        records[domain]["TXT"] = [spf]
    dmarc = DMARC[pick(domain, "dmarc", len(DMARC))]
    if dmarc:
        if status in ("not_contacted", "contacted") and pick(domain, "rua", 3) == 0:
            dmarc = "v=DMARC1; p=none; rua=mailto:dmarc-reports@po.2iij.net"  # reports still go to the old service
        # RFC 7489 7.1: the successor's report mailbox accepts this domain's reports.
        records[f"{domain}._report._dmarc.securemx.example"] = {"TXT": ["v=DMARC1"]}
        records[f"_dmarc.{domain}"] = {"TXT": [dmarc.format(d=domain)]}
    if status not in ("migrated", "leaving"):
        # Mail client settings published for the old service.
        clients = pick(domain, "clients", 4)
        if clients == 0:
            records[f"mail.{domain}"] = {"CNAME": ["pop.po.2iij.net"]}
        elif clients == 1:
            records[f"_imaps._tcp.{domain}"] = {"SRV": [(0, 1, 993, "imap.po.2iij.net")]}
            records[f"_submission._tcp.{domain}"] = {"SRV": [(0, 1, 587, "smtp.po.2iij.net")]}
    return records


def demo_records() -> tuple[dict, list[str], list[str]]:
    """Records for every domain in the database; also the names left unregistered and unanswering."""
    records = dict(SERVICE_RECORDS)
    unregistered, silent = [], []
    for name, status in Domain.objects.values_list("name", "customer__status"):
        roll = pick(name, "fate", 200)
        if status == "unreachable" and roll < 60 or roll < 2:
            unregistered.append(name)  # expired: simply absent from the zone
            continue
        if roll < 4:
            silent.append(name)  # a broken name server: every query times out
        records.update(zone_for(name, status))
    return records, unregistered, silent


class Command(BaseCommand):
    help = "Serve DNS zones for the demo customers on loopback (make run starts it)."

    def add_arguments(self, parser):
        parser.add_argument("--port-file", required=True, help="where to write host:port once serving")

    def handle(self, *args, port_file, **options):
        records, unregistered, silent = demo_records()
        server = ZoneServer()
        server.set_records(records)
        for name in silent:
            server.set_fault(name, "timeout")
        server.start()
        Path(port_file).write_text(f"127.0.0.1:{server.port}\n")
        self.stdout.write(
            f"demo DNS on 127.0.0.1:{server.port}: {len(records)} names, "
            f"{len(unregistered)} unregistered, {len(silent)} not answering"
        )
        self.stdout.flush()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
        server.stop()
