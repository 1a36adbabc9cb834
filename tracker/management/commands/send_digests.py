"""`manage.py send_digests [--reps] [--ops]`: send the rep digests and/or the ops summary now."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from tracker.services.digests import send_ops_summary, send_rep_digests


class Command(BaseCommand):
    help = "Send the rep digests and the daily operations summary now (beat sends them on schedule)."

    def add_arguments(self, parser):
        parser.add_argument("--reps", action="store_true", help="only the rep digests")
        parser.add_argument("--ops", action="store_true", help="only the operations summary")

    def handle(self, *args, **options):
        both = not options["reps"] and not options["ops"]
        if options["reps"] or both:
            # Now, whatever the reps' clocks say (beat sends at 08:30 local time).
            self.stdout.write(f"rep digests sent: {send_rep_digests(today=timezone.localdate())}")
        if options["ops"] or both:
            self.stdout.write(f"ops summaries sent: {send_ops_summary()}")
