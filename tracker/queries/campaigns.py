"""Which campaign a page shows when none is named."""

from __future__ import annotations

from tracker.models import Campaign


def active_campaign() -> Campaign | None:
    """The campaign pages open on: the first active one (Campaign.Meta.ordering), else any."""
    return Campaign.objects.filter(active=True).first() or Campaign.objects.first()
