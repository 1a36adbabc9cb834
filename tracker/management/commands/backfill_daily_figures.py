"""`manage.py backfill_daily_figures`: the burndown's past days from the check history (once, after upgrading)."""

from django.core.management.base import BaseCommand

from tracker.models import Campaign
from tracker.services.daily_figures import daily_figures_backfill, daily_figures_record


class Command(BaseCommand):
    help = "Store each past day's legacy and unknown counts from the check spans (days already stored stay)."

    def add_arguments(self, parser):
        parser.add_argument("--campaign", help="slug (default: every campaign)")

    def handle(self, *args, **options):
        campaigns = Campaign.objects.all()
        if options["campaign"]:
            campaigns = campaigns.filter(slug=options["campaign"])
        for campaign in campaigns:
            added = daily_figures_backfill(campaign)
            daily_figures_record(campaign)
            self.stdout.write(f"{campaign.slug}: {added} days added, today recorded")
