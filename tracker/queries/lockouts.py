"""Login lockouts in force (django-axes' attempt rows at or over the failure limit)."""

from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.utils import timezone


def lockouts_current():
    """The user name/address pairs locked out now, most recent first."""
    attempts = AccessAttempt.objects.filter(failures_since_start__gte=get_failure_limit(None, None))
    if settings.AXES_COOLOFF_TIME:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME)
    return attempts.order_by("-attempt_time")
