from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Retirement tracker"

    def ready(self):
        # Loaded here rather than in tracker/__init__.py so that importing the
        # pure probe engine (tracker.probe) pulls in neither Celery nor Django.
        from customers.signals import rep_changed  # lazy: apps are not loaded before ready()
        from tracker.models import Campaign  # lazy: models exist only once the app registry is ready
        from tracker.project import celery  # noqa: F401  lazy: Django's hook for this, not at import
        from tracker.services import schedules  # lazy: it imports the models, see above
        from tracker.services.reassignment import tasks_follow_rep  # lazy: models load only after ready()

        # Every active campaign has its beat rows from the moment it exists, however it was saved.
        post_save.connect(schedules.follow_campaign_saved, sender=Campaign, dispatch_uid="campaign-schedules")
        post_delete.connect(
            schedules.follow_campaign_deleted, sender=Campaign, dispatch_uid="campaign-schedules-delete"
        )
        # The reassignment receiver makes a customer's work follow its new rep
        # (customers sends the signal, knowing nothing of tasks).
        rep_changed.connect(tasks_follow_rep, dispatch_uid="tracker.tasks_follow_rep")
