"""Remembering when a user looked at their home page, for "changed since I last looked"."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tracker.models import HomeVisit

# Visits closer together than this are one look: a reload does not empty the list of changes.
SAME_LOOK = dt.timedelta(hours=1)
# Without any earlier visit, changes of this long are shown.
FIRST_LOOK = dt.timedelta(days=7)


def home_visit_record(user, now: dt.datetime | None = None) -> dt.datetime:
    """Store this visit; returns the time the page shows changes since (the previous look)."""
    now = now or timezone.now()
    visit, created = HomeVisit.objects.get_or_create(user=user, defaults={"last_seen_at": now})
    if created:
        visit.previous_seen_at = now - FIRST_LOOK
    elif visit.last_seen_at is None or now - visit.last_seen_at > SAME_LOOK:
        visit.previous_seen_at = visit.last_seen_at or now - FIRST_LOOK
    visit.last_seen_at = now
    visit.save(update_fields=["previous_seen_at", "last_seen_at"])
    return visit.previous_seen_at
