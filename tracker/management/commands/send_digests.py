"""`manage.py send_digests [--reps] [--ops]`: send the rep digests and/or the ops summary now."""

from django.core.management.base import BaseCommand

from tracker.services.digests import send_ops_summary, send_rep_digests


class Command(BaseCommand):
    help = "Send the weekly rep digests and the daily operations summary now (beat sends them on schedule)."

    def add_arguments(self, parser):
        parser.add_argument("--reps", action="store_true", help="only the rep digests")
        parser.add_argument("--ops", action="store_true", help="only the operations summary")

    def handle(self, *args, **options):
        both = not options["reps"] and not options["ops"]
        if options["reps"] or both:
            self.stdout.write(f"rep digests sent: {send_rep_digests()}")
        if options["ops"] or both:
            self.stdout.write(f"ops summaries sent: {send_ops_summary()}")
