"""Saving campaigns: every change of the service definitions is recorded, a risky one must be confirmed.

`campaign_save` is how the settings page and the admin store a campaign they
validated; `campaign_load` is `manage.py campaign load`. Both record a
`CampaignChange` (who, when, from where, the service objects before and after,
and how many legacy domains the new legacy definition would turn clean), so a
sweep that suddenly finds hundreds of clean domains can be traced to its cause.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from tracker.choices import CampaignChangeSource
from tracker.models import Campaign, CampaignChange
from tracker.models.campaign import legacy_definition_error
from tracker.probe import campaign as probe_campaign
from tracker.queries.legacy_change import LegacyChangeImpact, legacy_change_impact


class ConfirmationNeeded(Exception):
    """The new legacy definition would turn more than the set share of legacy domains clean."""

    def __init__(self, impact: LegacyChangeImpact):
        super().__init__(impact_message(impact))
        self.impact = impact


def impact_message(impact: LegacyChangeImpact) -> str:
    """The warning in words: how many domains, which ones."""
    return _(
        "This change of the legacy definition would turn %(turning)d of the %(total)d legacy domains "
        "(%(share)s) clean at their next check, for example %(examples)s. Their references no longer "
        "match the new definition, so their tasks would close."
    ) % {
        "turning": impact.turning_clean,
        "total": impact.legacy_domains,
        "share": f"{impact.share:.0%}",
        "examples": ", ".join(impact.examples),
    }


def campaign_save(
    campaign: Campaign,
    *,
    source: CampaignChangeSource,
    by=None,
    impact: LegacyChangeImpact | None = None,
    confirmed: bool = False,
) -> CampaignChange | None:
    """Save a validated campaign; record the change if its services are new or changed."""
    with transaction.atomic():
        before = (
            Campaign.objects.filter(pk=campaign.pk).values("legacy", "successor").first()
            if campaign.pk
            else None
        )
        campaign.save()
        if before == {"legacy": campaign.legacy, "successor": campaign.successor}:
            return None
        impact = impact or LegacyChangeImpact()
        return CampaignChange.objects.create(
            campaign=campaign,
            changed_by=by,
            source=source,
            legacy_before=before["legacy"] if before else None,
            legacy_after=campaign.legacy,
            successor_before=before["successor"] if before else None,
            successor_after=campaign.successor,
            legacy_domains=impact.legacy_domains,
            turning_clean=impact.turning_clean,
            confirmed=confirmed and impact.needs_confirmation,
        )


def campaign_load(data: dict, *, confirmed: bool = False, by=None) -> tuple[Campaign, bool]:
    """Create or update the campaign of contract JSON `data`: (campaign, created).

    CampaignError for a contract error or an empty legacy definition;
    ConfirmationNeeded when the change needs confirming and `confirmed` is false.
    Milestones and `active` of an existing campaign are kept.
    """
    parsed = probe_campaign.Campaign.from_dict(data)
    error = legacy_definition_error(parsed)
    if error is not None:
        raise error
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(slug=parsed.slug).first()
        created = campaign is None
        impact = legacy_change_impact(campaign, parsed)
        if impact.needs_confirmation and not confirmed:
            raise ConfirmationNeeded(impact)
        campaign = campaign or Campaign()
        campaign.apply_contract(parsed)
        campaign_save(campaign, source=CampaignChangeSource.LOAD, by=by, impact=impact, confirmed=confirmed)
    return campaign, created
