from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Retirement tracker"

    def ready(self):
        # Loaded here rather than in tracker/__init__.py so that importing the
        # pure probe engine (tracker.probe) pulls in neither Celery nor Django.
        # The reassignment receiver makes a customer's work follow its new rep
        # (customers sends the signal, knowing nothing of tasks).
        from customers.signals import rep_changed  # lazy: apps are not loaded before ready()
        from tracker.project import celery  # noqa: F401  lazy: Django's hook for this, not at import
        from tracker.services.reassignment import tasks_follow_rep  # lazy: models load only after ready()

        rep_changed.connect(tasks_follow_rep, dispatch_uid="tracker.tasks_follow_rep")
