"""`manage.py ensure_schedules`: create the beat rows for sweeps and mails (idempotent; `make run`)."""

from django.core.management.base import BaseCommand

from tracker.services.schedules import ensure_schedules


class Command(BaseCommand):
    help = "Create the periodic sweeps, re-checks and mails in django-celery-beat (keeps edited timings)."

    def handle(self, *args, **options):
        created = ensure_schedules()
        for name in created:
            self.stdout.write(f"created: {name}")
        self.stdout.write(f"{len(created)} schedules created" if created else "schedules up to date")
