from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Retirement tracker"

    def ready(self):
        # Loaded here rather than in tracker/__init__.py so that importing the
        # pure probe engine (tracker.probe) pulls in neither Celery nor Django.
        from tracker.project import celery  # noqa: F401  lazy: Django's hook for this, not at import
