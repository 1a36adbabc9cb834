"""DKIM keys the legacy service hosts (kind `dkim`): `<selector>._domainkey.<domain>` CNAMEs into its names.

Providers that sign for their customers often have them CNAME the selector to
a key the provider publishes (`po1._domainkey.customer.example ->
po1._domainkey.po.example.net`). The legacy service's selectors are listed in
the campaign (`legacy.dkim_selectors`). When the legacy service stops, so do
its keys (`end_date`): mail still signed with them fails DKIM, and the CNAME
points at nothing. A key the customer publishes themselves is theirs: not a
reference. The advice is to delete the CNAME after the end date, unless the
successor signs with the same selector name (then its key belongs there, and
the campaign does not say where that key is).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from tracker.probe.findings import AFTER_END_DATE, END_DATE, Advice, CheckResult, LegacyReference, Recorder
from tracker.probe.limits import MAX_DKIM_SELECTORS

if TYPE_CHECKING:
    from tracker.probe.check_context import CheckContext


def skip_reason(campaign) -> str | None:
    if not campaign.legacy.dkim_selectors:
        return "the campaign lists no legacy.dkim_selectors"
    return None


async def check(context: CheckContext) -> CheckResult:
    campaign, domain = context.campaign, context.domain
    recorder = Recorder(context.resolver)
    selectors = campaign.legacy.dkim_selectors[:MAX_DKIM_SELECTORS]
    for selector in campaign.legacy.dkim_selectors[MAX_DKIM_SELECTORS:]:  # unchecked: may hide a reference
        recorder.note(f"{selector}._domainkey.{domain}", "TXT", f"not looked up (over {MAX_DKIM_SELECTORS})")
    names = [f"{selector}._domainkey.{domain}" for selector in selectors]
    answers = await asyncio.gather(*(recorder.query(name, "TXT") for name in names))
    result = CheckResult("dkim")
    for selector, name, answer in zip(selectors, names, answers, strict=True):
        alias = next((a for a in answer.aliases if campaign.legacy.matches_host(a)), None)
        if answer.failed or alias is None:
            continue
        result.references.append(LegacyReference("dkim", f"{name} -> {alias}", (domain, name), END_DATE))
        shared = selector in (campaign.successor.dkim_selectors or ())
        result.advice.append(
            Advice(
                "dkim",
                name,
                "CNAME",
                (f"{answer.aliases[0]}.",),
                None if shared else (),
                AFTER_END_DATE,
                note="delete the CNAME once the legacy service no longer signs for the domain",
                withheld=(
                    f"the successor also signs with selector {selector!r}: point {name} at the "
                    "successor's key (the campaign does not say where it is)"
                    if shared
                    else None
                ),
            )
        )
    return result.took(recorder)
