"""`manage.py spf_check --ip IP --sender SENDER`: RFC 7208 check_host() for one message, as JSON.

Handy for answering "would mail from the successor's servers pass for this
customer?" by hand. Needs no database.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tracker.management.dns_options import add_dns_arguments
from tracker.probe.resolver import Resolver
from tracker.probe.spf.check_host import check_host


class Command(BaseCommand):
    help = 'Evaluate SPF (RFC 7208 check_host) and print {"result": ..., "explanation": ...}.'
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--ip", required=True, help="the connecting client's IP address")
        parser.add_argument("--sender", required=True, help="MAIL FROM address (or a bare domain)")
        parser.add_argument("--helo", default=None, help="HELO/EHLO name (used when the sender is empty)")
        add_dns_arguments(parser)

    def handle(self, *args, ip, sender, helo, nameserver, timeout, **options):
        try:
            ipaddress.ip_address(ip.strip())
        except ValueError:
            raise CommandError(f"--ip {ip!r} is not an IP address") from None
        domain = sender.rpartition("@")[2] if sender else (helo or "")
        if not domain:
            raise CommandError("--sender (or --helo for an empty sender) must name a domain")
        nameservers = nameserver or list(settings.DNS_NAMESERVERS)
        try:
            resolver = Resolver(nameservers, timeout=timeout or settings.DNS_TIMEOUT)
        except ValueError as exc:
            raise CommandError(f"--nameserver: {exc}") from None
        result = asyncio.run(_check(resolver, ip, domain, sender, helo))
        output = {"result": result.result, "explanation": result.explanation}
        if result.mechanism:
            output["mechanism"] = result.mechanism
        if result.detail:
            output["detail"] = result.detail
        self.stdout.write(json.dumps(output, ensure_ascii=False))


async def _check(resolver: Resolver, ip: str, domain: str, sender: str, helo: str | None):
    try:
        return await check_host(resolver, ip, domain, sender, helo)
    finally:
        await resolver.close()
