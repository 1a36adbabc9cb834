"""Writing the burndown's day figures: today's when a sweep ends or at night, past days from history.

The dashboard reads `DailyFigures` rows and adds today's live counts, so it never
walks the check spans (seconds on a large campaign, on every cold cache).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from tracker.choices import Verdict
from tracker.models import Campaign, Check, DailyFigures
from tracker.queries.dashboards import checks_version, dashboard_details
from tracker.services.enqueue import enqueue_after_commit

RECORD_TASK = "tracker.record_daily_figures"
# While a sweep runs (or the dashboard finds its figures stale), they are recomputed at most this often.
REFRESH_EVERY_S = 60


def daily_figures_record(campaign: Campaign, now: dt.datetime | None = None) -> DailyFigures:
    """Store (or refresh) today's figures, and the dashboard's details, from the current domain states."""
    now = now or timezone.now()
    version = checks_version(campaign)  # before the aggregates: a span stored meanwhile makes them stale
    details = dashboard_details(campaign)
    values = {**details["live"], "details": details, "checks_version": version, "recorded_at": now}
    figures = DailyFigures(campaign=campaign, day=timezone.localdate(now), **values)
    # One INSERT .. ON CONFLICT DO UPDATE: the same single query whether the day has a row or not.
    DailyFigures.objects.bulk_create(
        [figures], update_conflicts=True, unique_fields=["campaign", "day"], update_fields=list(values)
    )
    return figures


def daily_figures_refresh_soon(campaign: Campaign) -> bool:
    """Queue a recount of the campaign's figures unless one was queued in the last minute; True if queued."""
    if not cache.add(f"tracker:figures-refresh:{campaign.pk}", 1, timeout=REFRESH_EVERY_S):
        return False
    enqueue_after_commit(RECORD_TASK, [[campaign.pk]])
    return True


def daily_figures_record_active(now: dt.datetime | None = None, campaign_id: int | None = None) -> int:
    """Today's figures of every active campaign (the nightly task); returns how many were stored.

    A campaign without any stored day (one from before this table) is backfilled first.
    With `campaign_id`, that campaign only (the refresh a sweep or a stale dashboard asks for).
    """
    campaigns = Campaign.objects.filter(active=True)
    campaigns = list(campaigns.filter(pk=campaign_id) if campaign_id is not None else campaigns)
    for campaign in campaigns:
        if not DailyFigures.objects.filter(campaign=campaign).exists():
            daily_figures_backfill(campaign, now)
        daily_figures_record(campaign, now)
    return len(campaigns)


class _Tally:
    """Domains and customers legacy or unknown, as spans are replayed in time order."""

    def __init__(self):
        self.verdicts: dict[int, str] = {}
        self.per_customer: dict[int, dict[str, int]] = defaultdict(lambda: {"legacy": 0, "unknown": 0})
        self.domains = {"legacy": 0, "unknown": 0}
        self.customers = {"legacy": 0, "unknown": 0}

    @staticmethod
    def _kind(verdict: str | None) -> str | None:
        return {Verdict.LEGACY: "legacy", Verdict.INCONCLUSIVE: "unknown"}.get(verdict)

    def apply(self, domain_id: int, customer_id: int, verdict: str) -> None:
        old, new = self._kind(self.verdicts.get(domain_id)), self._kind(verdict)
        self.verdicts[domain_id] = verdict
        if old == new:
            return
        counts = self.per_customer[customer_id]
        if old:
            self.domains[old] -= 1
            counts[old] -= 1
            if counts[old] == 0:
                self.customers[old] -= 1
        if new:
            self.domains[new] += 1
            counts[new] += 1
            if counts[new] == 1:
                self.customers[new] += 1

    def row(self, campaign: Campaign, day: dt.date, now: dt.datetime) -> DailyFigures:
        return DailyFigures(
            campaign=campaign,
            day=day,
            legacy_domains=self.domains["legacy"],
            unknown_domains=self.domains["unknown"],
            legacy_customers=self.customers["legacy"],
            unknown_customers=self.customers["unknown"],
            recorded_at=now,
        )


def daily_figures_backfill(campaign: Campaign, now: dt.datetime | None = None) -> int:
    """Store the figures of every past day with a check span, replaying the spans; returns rows added.

    Days that already have a row keep it (a recorded row also knows the breaking
    counts, which spans do not). Today is left to the live counts.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    spans = (
        Check.objects.filter(campaign=campaign)
        .order_by("first_seen_at", "pk")
        .values_list("domain_id", "domain__customer_id", "verdict", "first_seen_at")
    )
    tally, rows, day = _Tally(), [], None
    for domain_id, customer_id, verdict, seen in spans.iterator(chunk_size=20000):
        seen_day = timezone.localdate(seen)
        if day is not None and seen_day != day and day < today:
            rows.append(tally.row(campaign, day, now))
        day = seen_day
        tally.apply(domain_id, customer_id, verdict)
    if day is not None and day < today:
        rows.append(tally.row(campaign, day, now))
    with transaction.atomic():
        existing = set(DailyFigures.objects.filter(campaign=campaign).values_list("day", flat=True))
        new_rows = [row for row in rows if row.day not in existing]
        DailyFigures.objects.bulk_create(new_rows, batch_size=1000)
    return len(new_rows)
