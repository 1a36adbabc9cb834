"""The checks beside MX and SPF: which a campaign turns on, and what each one gets to work with.

Every check is off unless the campaign lists what it looks for (a campaign file
with only the original fields turns none on), so a campaign pays only for the lookups it asks
for; the report names each skipped check and why. A check that needs another
part's result (MX hosts for TLSA, the DMARC record for report addresses)
awaits it through the context instead of asking again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracker.probe import client_hosts, dane, dmarc_reports, legacy_dkim, mta_sts, srv, tls_rpt
from tracker.probe.check_context import CheckContext
from tracker.probe.findings import FrozenDict

if TYPE_CHECKING:
    from tracker.probe.campaign import Campaign
    from tracker.probe.findings import CheckResult


@dataclass(frozen=True)
class Check:
    name: str
    kinds: tuple[str, ...]  # the reference kinds it can find
    skip_reason: Callable[[Campaign], str | None]  # None: the campaign turns it on
    run: Callable[[CheckContext], Awaitable[CheckResult]]


# The report lists checks in this order; MX and SPF (always run) come first.
EXTRA_CHECKS = (
    Check("mta-sts", ("mta-sts",), mta_sts.skip_reason, mta_sts.check),
    Check("tls-rpt", ("tls-rpt",), tls_rpt.skip_reason, tls_rpt.check),
    Check("dmarc-report", ("dmarc-report",), dmarc_reports.skip_reason, dmarc_reports.check),
    Check("dkim", ("dkim",), legacy_dkim.skip_reason, legacy_dkim.check),
    Check("client-host", ("client-host",), client_hosts.skip_reason, client_hosts.check),
    Check("srv", ("srv",), srv.skip_reason, srv.check),
    Check("tlsa", ("tlsa",), dane.skip_reason, dane.check),
)
CORE_CHECKS = {"mx": ("mx", "mx-address"), "spf": ("spf-include", "spf-redirect", "spf-ip")}
CHECK_KINDS = {**CORE_CHECKS, **{check.name: check.kinds for check in EXTRA_CHECKS}}


_plans: dict[int, tuple[Campaign, list[Check], Mapping[str, str]]] = {}


def planned(campaign: Campaign) -> tuple[list[Check], Mapping[str, str]]:
    """The checks to run for this campaign, and why each other one is skipped.

    Worked out once per campaign object and shared by its reports (a sweep keeps
    them all): callers must not change what they get.
    """
    kept = _plans.get(id(campaign))
    if kept is not None and kept[0] is campaign:
        return kept[1], kept[2]
    run, skipped = [], {}
    for check in EXTRA_CHECKS:
        reason = check.skip_reason(campaign)
        if reason is None:
            run.append(check)
        else:
            skipped[check.name] = reason
    if len(_plans) > 64:  # campaigns are few; a long-lived process must not collect them
        _plans.clear()
    frozen = FrozenDict(skipped)
    _plans[id(campaign)] = (campaign, run, frozen)
    return run, frozen
