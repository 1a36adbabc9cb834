"""What alerts say: a finished sweep's change summary, and the facts behind the daily alert conditions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from tracker.choices import Verdict
from tracker.models import Campaign, Check, DailyFigures, DomainState, Sweep
from tracker.queries.dashboards import legacy_figures


@dataclass(frozen=True)
class SweepChanges:
    """Since the last sweep: domains fixed (legacy -> clean), regressed (clean -> legacy),
    newly breaking (SPF now breaks when the legacy record is deleted) and seen for the first time."""

    fixed: int = 0
    regressed: int = 0
    newly_breaking: int = 0
    first_seen: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "fixed": self.fixed,
            "regressed": self.regressed,
            "newly_breaking": self.newly_breaking,
            "first_seen": self.first_seen,
        }


def sweep_changes(sweep: Sweep) -> SweepChanges:
    """Compares each span this sweep started with the same domain's span before it (two queries' worth)."""
    previous = Check.objects.filter(
        campaign=sweep.campaign_id, domain=OuterRef("domain"), first_seen_at__lt=OuterRef("first_seen_at")
    ).order_by("-first_seen_at", "-pk")
    rows = (
        Check.objects.filter(sweep=sweep)
        .annotate(
            previous_verdict=Subquery(previous.values("verdict")[:1]),
            previous_breaks=Subquery(previous.values("report__spf__breaks_on_legacy_removal")[:1]),
        )
        .values_list(
            "verdict", "report__spf__breaks_on_legacy_removal", "previous_verdict", "previous_breaks"
        )
    )
    fixed = regressed = newly_breaking = first_seen = 0
    for verdict, breaks, previous_verdict, previous_breaks in rows:
        if previous_verdict is None:
            first_seen += 1
            continue
        fixed += previous_verdict == Verdict.LEGACY and verdict == Verdict.CLEAN
        regressed += previous_verdict == Verdict.CLEAN and verdict == Verdict.LEGACY
        newly_breaking += breaks is True and previous_breaks is not True
    return SweepChanges(fixed, regressed, newly_breaking, first_seen)


def customers_still_legacy(campaign: Campaign) -> int:
    """Customers with at least one domain whose latest verdict is legacy."""
    return (
        DomainState.objects.filter(campaign=campaign, verdict=Verdict.LEGACY)
        .values("domain__customer")
        .distinct()
        .count()
    )


def milestones(campaign: Campaign) -> list[tuple[str, dt.date]]:
    """The campaign's dated milestones as (key, day); tracker.services.alerts names them for people."""
    keyed = [
        ("internal_announcement", campaign.internal_announcement_date),
        ("customer_announcement", campaign.customer_announcement_date),
        ("end_date", campaign.end_date),
        ("cleanup_date", campaign.cleanup_date),
    ]
    return [(key, day) for key, day in keyed if day is not None]


def legacy_unchanged_since(campaign: Campaign, today: dt.date) -> tuple[int, dt.date | None]:
    """(domains legacy now, the last day that count moved) from the stored day figures (DailyFigures)."""
    current = legacy_figures(campaign)["legacy_domains"]
    days = list(
        DailyFigures.objects.filter(campaign=campaign, day__lte=today)
        .order_by("day")
        .values_list("day", "legacy_domains")
    )
    moved, previous = None, None
    for day, count in days:
        if previous is not None and count != previous:
            moved = day
        previous = count
    if previous is not None and current != previous:
        moved = today
    elif previous is None:
        # No day stored yet (before the first nightly record): the count last moved at the newest span.
        newest = Check.objects.filter(campaign=campaign).order_by("-first_seen_at").first()
        moved = timezone.localdate(newest.first_seen_at) if newest is not None else None
    return current, moved
