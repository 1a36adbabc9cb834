"""What a new legacy definition would do to the domains that are legacy now, judged from their stored reports.

Each stored reference is matched again against the new definition: exactly for MX,
MX addresses, SPF includes, redirects and ip terms and the other kinds whose value
names what matched (a CNAME target, an address, a report mailbox, a TLSA record); a
reference whose value says too little (an MTA-STS `mx:` pattern) survives only if the
fields its check depends on did not change. A domain none of whose references survives
would turn clean at the next check. When in doubt a reference counts as lost: the
count is there to warn, so it errs on the side of warning.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from django.conf import settings

from tracker.choices import Verdict
from tracker.models import Campaign, DomainState
from tracker.probe import dane
from tracker.probe.campaign import Campaign as ProbeCampaign
from tracker.probe.campaign import Service
from tracker.probe.stored import StoredReference, StoredReport

EXAMPLES = 10
# The legacy fields each kind's check depends on (docs/campaign-file.md).
DEPENDS_ON = {
    "mx": ("mx_hosts",),
    "mx-address": ("mx_hosts", "ip_ranges"),
    "spf-include": ("spf_includes",),
    "spf-redirect": ("spf_includes",),
    "spf-ip": ("ip_ranges",),
    "mta-sts": ("mx_hosts", "hosts", "ip_ranges"),
    "tls-rpt": ("mx_hosts", "hosts", "mail_domains", "ip_ranges"),
    "dmarc-report": ("mail_domains",),
    "dkim": ("mx_hosts", "hosts", "dkim_selectors"),
    "client-host": ("mx_hosts", "hosts", "ip_ranges"),
    "srv": ("mx_hosts", "hosts", "ip_ranges"),
    "tlsa": ("tlsa",),
}
_ADDRESS = re.compile(r"\(([0-9a-fA-F:.]+)\)$")
_MAILBOX = re.compile(r"^(?:rua|ruf)=mailto:[^@]+@([^!\s]+)", re.IGNORECASE)
_HTTPS = re.compile(r"^rua=https://([^/:]+)", re.IGNORECASE)
_TLSA = re.compile(r" TLSA (\d) (\d) (\d) ([0-9a-f]+)$")


@dataclass(frozen=True)
class LegacyChangeImpact:
    """How many legacy domains a new legacy definition would turn clean."""

    legacy_domains: int = 0
    turning_clean: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.turning_clean / self.legacy_domains if self.legacy_domains else 0.0

    @property
    def needs_confirmation(self) -> bool:
        return self.turning_clean > 0 and self.share > settings.LEGACY_CHANGE_CONFIRM_SHARE


def legacy_change_impact(campaign: Campaign | None, new: ProbeCampaign) -> LegacyChangeImpact:
    """The effect of replacing the stored legacy definition of `campaign` (None: a new one) by `new.legacy`."""
    if campaign is None or campaign.pk is None:
        return LegacyChangeImpact()
    stored = Campaign.objects.get(pk=campaign.pk)
    old_legacy = stored.legacy or {}
    new_legacy = new.legacy.to_dict(with_dkim=False)
    if old_legacy == new_legacy:
        return LegacyChangeImpact()
    changed = {key for key in set(old_legacy) | set(new_legacy) if old_legacy.get(key) != new_legacy.get(key)}
    rows = DomainState.objects.filter(campaign=stored, verdict=Verdict.LEGACY).values_list(
        "domain__name", "latest_check__report"
    )
    total, turning, examples = 0, 0, []
    for name, report in rows.iterator():
        total += 1
        if not report:
            continue  # never checked in full: nothing to judge it by, so it is not counted as turning clean
        references = StoredReport(report).references
        if not any(_survives(ref, new.legacy, changed) for ref in references):
            turning += 1
            if len(examples) < EXAMPLES:
                examples.append(name)
    return LegacyChangeImpact(total, turning, examples)


def _survives(ref: StoredReference, legacy: Service, changed: set[str]) -> bool:
    """Would the new legacy definition still find this reference?"""
    depends = DEPENDS_ON.get(ref.kind)
    if depends is not None and not changed.intersection(depends):
        return True
    return bool(_matches_again(ref, legacy))


def _matches_again(ref: StoredReference, legacy: Service) -> bool | None:
    """The reference matched against `legacy` from its value; None when the value does not say enough."""
    value = ref.value
    if ref.kind == "mx":
        return legacy.matches_mx_host(value)
    if ref.kind in ("spf-include", "spf-redirect"):
        return legacy.matches_spf_domain(value)
    if ref.kind == "spf-ip":
        try:
            text = value[4:] if value[:4].lower() in ("ip4:", "ip6:") else value
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            return None
        return legacy.overlaps_network(network)
    if ref.kind == "tlsa":
        match = _TLSA.search(value)
        if match is None:
            return None
        usage, selector, matching_type, data = match.groups()
        return dane.pins((int(usage), int(selector), int(matching_type), data), legacy.tlsa or ())
    if ref.kind == "dkim" and " -> " in value:
        selector = value.split("._domainkey.", 1)[0]
        if selector not in (legacy.dkim_selectors or ()):
            return False
    if ref.kind in ("tls-rpt", "dmarc-report"):
        mailbox = _MAILBOX.match(value)
        if mailbox:
            domain = mailbox.group(1)
            return legacy.matches_mail_domain(domain) or legacy.matches_host(domain)
        https = _HTTPS.match(value)
        if https:
            return legacy.matches_host(https.group(1))
    address = _ADDRESS.search(value)
    if address:
        return legacy.contains_address(address.group(1))
    if " -> " in value:
        target = value.split(" -> ", 1)[1]
        if ref.kind == "srv":
            target = target.rsplit(":", 1)[0]  # `target:port`
        return legacy.matches_host(target)
    return None
