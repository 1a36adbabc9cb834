"""The Celery app: configuration comes from Django settings (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.project.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The app of every thread (web servers run requests in threads): services queue work by task
# name through `celery.current_app`, which would otherwise be a default app in other threads.
app.set_default()
