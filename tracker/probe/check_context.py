"""What a check beside MX and SPF gets to work with (its own module: the checks import it, not the registry)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.probe.campaign import Campaign
    from tracker.probe.dmarc import DmarcAnalysis
    from tracker.probe.https_get import HttpsOptions
    from tracker.probe.mx import MxAnalysis
    from tracker.probe.resolver import Resolver


@dataclass
class CheckContext:
    """One domain's probe as a check sees it."""

    domain: str
    campaign: Campaign
    resolver: Resolver
    https: HttpsOptions
    now: dt.datetime  # the report's checked_at: dates derived from it (max_age) use the same clock
    mx: Callable[[], Awaitable[MxAnalysis | None]]  # None when the MX part failed or ran out of time
    dmarc: Callable[[], Awaitable[DmarcAnalysis | None]]
