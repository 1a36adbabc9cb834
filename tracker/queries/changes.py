"""The "changed since" feed for a CRM: verdict and status changes after a moment, oldest first."""

from __future__ import annotations

import datetime as dt

from customers.access import customers_visible_to
from customers.models import StatusChange
from tracker.models import Campaign, DomainState
from tracker.queries.access import domains_visible_to

FEED_LIMIT = 500


def changes_since(user, campaign: Campaign | None, since: dt.datetime, limit: int = FEED_LIMIT) -> dict:
    """Domains whose verdict changed and customers whose status changed after `since`.

    `next_since` is where the next poll starts: the newest moment returned, or,
    when a list was cut at `limit`, the oldest of the lists' last moments (so
    nothing is skipped; a few rows may come twice).
    """
    verdicts = []
    if campaign is not None:
        verdicts = list(
            DomainState.objects.filter(
                campaign=campaign,
                verdict_changed_at__gt=since,
                domain__in=domains_visible_to(user),
            )
            .order_by("verdict_changed_at", "pk")
            .values(
                "domain_id",
                "domain__name",
                "domain__customer__account_id",
                "verdict",
                "last_conclusive_verdict",
                "verdict_changed_at",
            )[:limit]
        )
    statuses = list(
        StatusChange.objects.filter(changed_at__gt=since, customer__in=customers_visible_to(user))
        .order_by("changed_at", "pk")
        .values("customer_id", "customer__account_id", "from_status", "to_status", "changed_at")[:limit]
    )
    cut = [
        rows[-1][key]
        for rows, key in ((verdicts, "verdict_changed_at"), (statuses, "changed_at"))
        if len(rows) == limit
    ]
    newest = [
        rows[-1][key] for rows, key in ((verdicts, "verdict_changed_at"), (statuses, "changed_at")) if rows
    ]
    next_since = min(cut) if cut else max(newest, default=since)
    return {
        "since": since,
        "next_since": next_since,
        "complete": not cut,
        "verdicts": [
            {
                "domain": row["domain_id"],
                "name": row["domain__name"],
                "account_id": row["domain__customer__account_id"],
                "verdict": row["verdict"],
                "last_conclusive_verdict": row["last_conclusive_verdict"],
                "changed_at": row["verdict_changed_at"],
            }
            for row in verdicts
        ],
        "statuses": [
            {
                "customer": row["customer_id"],
                "account_id": row["customer__account_id"],
                "from_status": row["from_status"],
                "to_status": row["to_status"],
                "changed_at": row["changed_at"],
            }
            for row in statuses
        ],
    }
